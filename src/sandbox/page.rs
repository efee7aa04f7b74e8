//! Laravel's length-aware paginator, as `GET /user/leads` and `GET /user/assistants/get` answer
//! it: the page of items plus `current_page`, `last_page`, `total`, the page URLs and `links`.

use serde_json::{Value, json};

use super::validate::Errors;

/// Query parameters as decoded pairs, in order.
pub(crate) type Params = Vec<(String, String)>;

/// Decodes a raw query string (`+` and `%2B` as Laravel/PHP decode them: space and plus).
pub(crate) fn params(raw: Option<&str>) -> Params {
    raw.map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// The last non-empty value of a parameter (PHP keeps the last of repeated keys; Laravel turns
/// empty strings into null).
pub(crate) fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// The requested page size: `per_page` from 1 to 100, or `default`.
pub(crate) fn per_page(params: &Params, default: u64, errors: &mut Errors) -> u64 {
    let Some(raw) = param(params, "per_page") else {
        return default;
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=100).contains(&n) => n.unsigned_abs(),
        Ok(_) => {
            errors.add("per_page", "The {attr} field must be between 1 and 100.");
            default
        }
        Err(_) => {
            errors.add("per_page", "The {attr} field must be an integer.");
            default
        }
    }
}

/// The requested page: `page` as a positive integer; anything else means page 1, as Laravel's
/// paginator resolves it.
pub(crate) fn page_number(params: &Params) -> u64 {
    param(params, "page").and_then(|p| p.parse::<u64>().ok()).filter(|&p| p >= 1).unwrap_or(1)
}

/// One page of `items` with Laravel's paginator fields. `path` is the URL without query; `params`
/// are the request's parameters, kept in the page URLs (all but `page`).
pub(crate) fn paginate(items: Vec<Value>, page: u64, per_page: u64, path: &str, params: &Params) -> Value {
    let (page, per_page) = (page.max(1), per_page.max(1));
    let total = items.len() as u64;
    let last_page = total.div_ceil(per_page).max(1);
    let skip = (page - 1).saturating_mul(per_page);
    let data: Vec<Value> = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(usize::MAX))
        .collect();
    let (from, to) = match data.len() as u64 {
        0 => (Value::Null, Value::Null),
        n => (json!(skip + 1), json!(skip + n)),
    };
    let kept: Params = params.iter().filter(|(k, _)| k != "page").cloned().collect();
    let url = |p: u64| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        query.append_pair("page", &p.to_string());
        format!("{path}?{}", query.finish())
    };
    let prev = (page > 1).then(|| url(page - 1));
    let next = (page < last_page).then(|| url(page + 1));
    let mut links = vec![json!({"url": prev, "label": "&laquo; Previous", "active": false})];
    for element in window(page, last_page) {
        links.push(match element {
            Some(p) => json!({"url": url(p), "label": p.to_string(), "active": p == page}),
            None => json!({"url": null, "label": "...", "active": false}),
        });
    }
    links.push(json!({"url": next, "label": "Next &raquo;", "active": false}));
    json!({
        "current_page": page,
        "data": data,
        "first_page_url": url(1),
        "from": from,
        "last_page": last_page,
        "last_page_url": url(last_page),
        "links": links,
        "next_page_url": next,
        "path": path,
        "per_page": per_page,
        "prev_page_url": prev,
        "to": to,
        "total": total,
    })
}

/// Laravel's `UrlWindow` with three pages on each side: the page numbers to link, `None` for a
/// "..." gap.
fn window(current: u64, last: u64) -> Vec<Option<u64>> {
    const EACH_SIDE: u64 = 3;
    const WINDOW: u64 = EACH_SIDE + 4;
    let range = |a: u64, b: u64| (a..=b).map(Some).collect::<Vec<_>>();
    if last < EACH_SIDE * 2 + 8 {
        return range(1, last);
    }
    let gap = vec![None];
    let (start, finish) = (range(1, 2), range(last - 1, last));
    if current <= WINDOW {
        [range(1, WINDOW + EACH_SIDE), gap, finish].concat()
    } else if current > last - WINDOW {
        [start, gap, range(last - (WINDOW + EACH_SIDE - 1), last)].concat()
    } else {
        let slider = range(current - EACH_SIDE, current + EACH_SIDE);
        [start, gap.clone(), slider, gap, finish].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_like_laravel() {
        assert_eq!(window(1, 1), [Some(1)]);
        assert_eq!(window(2, 13).len(), 13);
        let w = window(1, 20);
        assert_eq!(w.len(), 13);
        assert_eq!((w[9], w[10], w[12]), (Some(10), None, Some(20)));
        let w = window(10, 20);
        assert_eq!(
            w,
            [
                Some(1),
                Some(2),
                None,
                Some(7),
                Some(8),
                Some(9),
                Some(10),
                Some(11),
                Some(12),
                Some(13),
                None,
                Some(19),
                Some(20)
            ]
        );
        assert_eq!(window(20, 20)[3], Some(11));
    }

    #[test]
    fn pages_and_urls() {
        let items: Vec<Value> = (1..=20).map(|i| json!(i)).collect();
        let params = params(Some("campaign_id=12&phone_number=%2B49+151&page=3&per_page=7"));
        let page = paginate(items.clone(), 3, 7, "http://h/api/user/leads", &params);
        assert_eq!(page["data"], json!([15, 16, 17, 18, 19, 20]));
        assert_eq!((page["from"].clone(), page["to"].clone()), (json!(15), json!(20)));
        assert_eq!(page["last_page"], 3);
        assert!(page["next_page_url"].is_null());
        assert_eq!(
            page["prev_page_url"],
            "http://h/api/user/leads?campaign_id=12&phone_number=%2B49+151&per_page=7&page=2"
        );
        let beyond = paginate(items, 9, 7, "p", &Params::new());
        assert!(beyond["from"].is_null() && beyond["data"] == json!([]));
        let empty = paginate(Vec::new(), 1, 15, "p", &Params::new());
        assert_eq!((empty["last_page"].clone(), empty["total"].clone()), (json!(1), json!(0)));
    }
}
