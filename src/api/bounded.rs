//! Reading an answer without letting it grow in memory. An answer is at most `max_answer_mb` of
//! bytes, but parsed into general JSON values a body of tiny values (`[{},{},…]`, a million empty
//! strings) grows forty times over. So nothing here builds a general value of unknown size:
//! scalars are read as scalars, anything nested where a scalar belongs is skipped without being
//! kept (serde's `IgnoredAny`), and lists and objects keep at most a fixed number of entries.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// At most this many variables of one lead (or assistant) are kept.
pub const MAX_VARIABLES: usize = 500;
/// At most this many field errors of one refusal are kept, each with this many messages.
pub const MAX_FIELDS: usize = 100;
/// See [`MAX_FIELDS`].
pub const MAX_MESSAGES: usize = 10;

/// A JSON scalar, or `Skipped` for a list or object (read past, not kept).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// A number, as JSON has it.
    Num(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A list or an object, skipped.
    Skipped,
}

impl Scalar {
    /// As a JSON value (`Skipped` as `null`).
    pub fn into_value(self) -> Value {
        match self {
            Scalar::Str(s) => Value::String(s),
            Scalar::Num(n) => Value::Number(n),
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Null | Scalar::Skipped => Value::Null,
        }
    }

    /// As text: a string, or a number written out.
    pub fn into_text(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Num(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Num(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Scalar::Null, Scalar::Num))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Skipped)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Skipped)
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of which at most `N` elements are kept; the rest are read past (not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct Bounded<T, const N: usize>(pub Vec<T>);

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Bounded<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut kept = Vec::new();
                while kept.len() < N {
                    match seq.next_element::<T>()? {
                        Some(item) => kept.push(item),
                        None => return Ok(Bounded(kept)),
                    }
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Bounded(kept))
            }
        }
        d.deserialize_seq(V::<T, N>(PhantomData))
    }
}

/// An object read as a `T`, or the first element of a list read as one (the rest read past): the
/// older answers wrap what the newer ones give in a one-element list.
#[derive(Debug, Clone, PartialEq)]
pub struct First<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object, or a list of them")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<First<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(First)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<T>()?.ok_or_else(|| de::Error::custom("an empty list"))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        d.deserialize_any(V::<T>(PhantomData))
    }
}

/// An object of scalar values, at most [`MAX_VARIABLES`] kept; a nested value is kept as `null`
/// (read past), anything that is not an object is an empty one.
pub fn scalar_object<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, Value>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = IndexMap<String, Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = IndexMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let value: Scalar = map.next_value()?;
                // A nested value is not kept, its name is (as `null`): the name is what a
                // variable is known by.
                if kept.len() < MAX_VARIABLES {
                    kept.insert(key, value.into_value());
                }
            }
            Ok(kept)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(IndexMap::new())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
    }
    d.deserialize_any(V)
}

/// A refusal's field errors: at most [`MAX_FIELDS`] fields, each with at most [`MAX_MESSAGES`]
/// non-empty messages; anything else is read past.
pub fn field_errors<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, Vec<String>>, D::Error> {
    struct Messages;
    impl<'de> Visitor<'de> for Messages {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("messages")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut kept = Vec::new();
            while let Some(message) = seq.next_element::<Scalar>()? {
                if let Some(text) = message.into_text().filter(|t| !t.trim().is_empty())
                    && kept.len() < MAX_MESSAGES
                {
                    kept.push(text);
                }
            }
            Ok(kept)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(if v.trim().is_empty() { vec![] } else { vec![v.to_owned()] })
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(vec![])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(vec![])
        }
    }
    struct OneField(Vec<String>);
    impl<'de> Deserialize<'de> for OneField {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Messages).map(OneField)
        }
    }
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = IndexMap<String, Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("field errors")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = IndexMap::new();
            while let Some(field) = map.next_key::<String>()? {
                if kept.len() < MAX_FIELDS {
                    let OneField(messages) = map.next_value()?;
                    if !messages.is_empty() {
                        kept.insert(field, messages);
                    }
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(kept)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(IndexMap::new())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "scalar_object")]
        vars: IndexMap<String, Value>,
        #[serde(default, deserialize_with = "field_errors")]
        errors: IndexMap<String, Vec<String>>,
        #[serde(default)]
        list: Option<Bounded<u32, 3>>,
    }

    #[test]
    fn nested_values_are_skipped_and_lists_cut() {
        let h: Holder = serde_json::from_str(
            r#"{"vars":{"a":"x","b":1,"c":[1,2,{"deep":[]}],"d":{"e":1},"f":null},
                "errors":{"phone":["", "bad", 3, [1]],"x":[],"y":"one"},
                "list":[1,2,3,4,[5],{"six":6}]}"#,
        )
        .unwrap();
        assert_eq!(h.vars.keys().collect::<Vec<_>>(), ["a", "b", "c", "d", "f"]);
        assert_eq!(h.vars["c"], Value::Null, "the name kept, the nested value not");
        assert_eq!(h.errors["phone"], ["bad", "3"]);
        assert!(!h.errors.contains_key("x"));
        assert_eq!(h.errors["y"], ["one"]);
        assert_eq!(h.list.unwrap().0, [1, 2, 3], "the rest read past, whatever it is");
        let h: Holder = serde_json::from_str(r#"{"vars":[1,2],"errors":null}"#).unwrap();
        assert!(h.vars.is_empty() && h.errors.is_empty());
    }
}
