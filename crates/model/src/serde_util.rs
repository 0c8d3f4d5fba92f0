//! Serde helpers for Nomad's loose JSON: the same field can be absent, `null` or empty
//! depending on the endpoint and the Nomad version (nomad-model.md §1.1, §8), and all of
//! those mean "empty" to a reader.

use crate::sorted_map::{insert_sorted, SortedMap};
use crate::text::Text;
use serde::{Deserialize, Deserializer};

/// `null` (or absent, with `#[serde(default)]`) becomes `T::default()`.
pub fn null_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// `null_default` for a list kept for the life of the data: serde grows a `Vec` by doubling
/// (JSON gives no length up front), so a 5-element list would keep room for 8.
pub fn null_default_exact<'de, D, T>(de: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut v = Option::<Vec<T>>::deserialize(de)?.unwrap_or_default();
    v.shrink_to_fit();
    Ok(v)
}

/// A `map[string]string` such as `TaskEvent.Details`. Nomad only ever sends strings, but a
/// hand-edited or third-party file may hold numbers or booleans; those are kept as their
/// JSON text rather than failing the whole document. `null` values become `""`.
pub fn string_map<'de, D>(de: D) -> Result<Option<SortedMap<Text, Text>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<StringMap>::deserialize(de)?.map(|m| m.0))
}

/// Built by `insert_sorted`, as serde builds a `BTreeMap` (a later duplicate key wins), rather
/// than collected and sorted: sorting costs a stable-sort instantiation in the wasm.
struct StringMap(SortedMap<Text, Text>);

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StringMap;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Text, Scalar>()? {
                    insert_sorted(&mut out, k, v.0);
                }
                Ok(StringMap(SortedMap::from_sorted(out)))
            }
        }
        de.deserialize_map(V)
    }
}

struct Scalar(Text);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(Text::intern(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string().into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string().into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string().into()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string().into()))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar(Text::default()))
            }
        }
        de.deserialize_any(V)
    }
}

pub fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

pub fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
