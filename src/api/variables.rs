//! Call variables: a lead's few `name = value` pairs, in the order they were entered.
//!
//! A long history holds hundreds of thousands of these, so they are kept small: the pairs sit in
//! one vector of [`CompactString`]s, which hold up to 24 bytes without a separate allocation
//! (most names and values are shorter). On the wire they are a JSON object, as the API expects.

use std::fmt;

use compact_str::CompactString;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ordered `name = value` pairs with unique names; setting a name that exists replaces its value
/// in place.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Variables(Vec<(CompactString, CompactString)>);

impl Variables {
    /// No variables.
    pub const fn new() -> Self {
        Variables(Vec::new())
    }

    /// None yet, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Variables(Vec::with_capacity(n))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut CompactString> {
        self.0.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Whether `name` is set.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` to `value`: in place when it is set already (the old value is returned), else
    /// at the end.
    pub fn insert(
        &mut self,
        name: impl Into<CompactString>,
        value: impl Into<CompactString>,
    ) -> Option<CompactString> {
        let (name, value) = (name.into(), value.into());
        if let Some(old) = self.get_mut(&name) {
            Some(std::mem::replace(old, value))
        } else {
            self.0.push((name, value));
            None
        }
    }

    /// Removes `name`, keeping the others in order.
    pub fn remove(&mut self, name: &str) -> Option<CompactString> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(at).1)
    }

    /// Keeps only the pairs `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + DoubleEndedIterator {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The names, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// The values, in order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator {
        self.0.iter().map(|(_, v)| v.as_str())
    }

    /// Gives back spare capacity (for values kept a long time, such as a loaded history).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> FromIterator<(K, V)> for Variables {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut out = Variables::new();
        out.extend(pairs);
        out
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> Extend<(K, V)> for Variables {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>, const N: usize> From<[(K, V); N]> for Variables {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl std::ops::Index<&str> for Variables {
    type Output = CompactString;

    /// The value of `name`; panics when it is not set (as a map's index does).
    fn index(&self, name: &str) -> &CompactString {
        let found = self.0.iter().find(|(k, _)| k == name);
        &found.unwrap_or_else(|| panic!("no variable `{name}`")).1
    }
}

impl<'a> IntoIterator for &'a Variables {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (CompactString, CompactString)>,
        fn(&'a (CompactString, CompactString)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl Serialize for Variables {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Variables;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of variable names and text values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Variables, A::Error> {
                let mut out = Variables(Vec::with_capacity(map.size_hint().unwrap_or(0).min(64)));
                while let Some((k, v)) = map.next_entry::<CompactString, CompactString>()? {
                    out.insert(k, v);
                }
                out.shrink_to_fit();
                Ok(out)
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_set_again_keeps_its_place() {
        let mut vars = Variables::from([("a", "1"), ("b", "2")]);
        assert_eq!(vars.insert("a", "3").as_deref(), Some("1"));
        vars.insert("c", "4");
        assert_eq!(vars.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2"), ("c", "4")]);
        assert_eq!(vars.remove("b").as_deref(), Some("2"));
        assert_eq!(vars.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(vars.get("c"), Some("4"));
        assert!(!vars.contains_key("b"));
    }

    #[test]
    fn on_the_wire_it_is_an_object_in_order() {
        let text = r#"{"zeta":"1","alpha":"Ada Lovelace, an unusually long value","mid":""}"#;
        let vars: Variables = serde_json::from_str(text).unwrap();
        assert_eq!(vars.keys().collect::<Vec<_>>(), ["zeta", "alpha", "mid"]);
        assert_eq!(serde_json::to_string(&vars).unwrap(), text);
        let err = serde_json::from_str::<Variables>(r#"{"n":1}"#).unwrap_err().to_string();
        assert!(err.contains("invalid type: integer"), "{err}");
    }

    #[test]
    fn a_repeated_name_on_the_wire_keeps_the_last_value() {
        let vars: Variables = serde_json::from_str(r#"{"a":"1","b":"2","a":"3"}"#).unwrap();
        assert_eq!(vars.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }
}
