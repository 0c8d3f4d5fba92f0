//! `SortedMap`: a string-keyed map stored as one boxed slice sorted by key.
//!
//! The maps in an allocation are tiny (a task event's `Details` has 0 to 4 keys, `TaskStates`
//! 1 to 3 tasks) and there are hundreds of thousands of them in a large list. A `BTreeMap`
//! allocates an 11-slot node for even one entry (about 500 bytes for `String` pairs); this
//! holds exactly its entries. It reads and writes the same JSON object as a `BTreeMap`:
//! keys in byte order, and a later duplicate key replaces the earlier value.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

/// `K` is the key's owned form: `Box<str>`, or `Text` for keys shared across a list.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SortedMap<V, K = Box<str>>(Box<[(K, V)]>);

impl<V, K> Default for SortedMap<V, K> {
    fn default() -> Self {
        SortedMap(Box::default())
    }
}

impl<V, K: Deref<Target = str> + Ord> SortedMap<V, K> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Insert or replace, returning the replaced value. Reallocates the slice: meant for
    /// building small maps, not for hot loops.
    pub fn insert(&mut self, key: impl Into<K>, value: V) -> Option<V> {
        let mut v = std::mem::take(&mut self.0).into_vec();
        let old = insert_sorted(&mut v, key.into(), value);
        self.0 = v.into_boxed_slice();
        old
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&str, &mut V)> + ExactSizeIterator {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// From entries already sorted by key and without duplicates (as `insert_sorted` keeps
    /// them).
    pub(crate) fn from_sorted(entries: Vec<(K, V)>) -> Self {
        SortedMap(entries.into_boxed_slice())
    }
}

/// Insert into a vector sorted by key, as `BTreeMap::insert` does: a key already present
/// gets the new value. Nomad writes map keys sorted, so the common case is a push.
pub(crate) fn insert_sorted<K: Ord, V>(v: &mut Vec<(K, V)>, key: K, value: V) -> Option<V> {
    if v.last().is_none_or(|(last, _)| *last < key) {
        v.push((key, value));
        return None;
    }
    match v.binary_search_by(|(k, _)| k.cmp(&key)) {
        Ok(i) => Some(std::mem::replace(&mut v[i].1, value)),
        Err(i) => {
            v.insert(i, (key, value));
            None
        }
    }
}

impl<V, K: Deref<Target = str> + Ord> std::ops::Index<&str> for SortedMap<V, K> {
    type Output = V;

    fn index(&self, key: &str) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

impl<IK: Into<K>, V, K: Deref<Target = str> + Ord> FromIterator<(IK, V)> for SortedMap<V, K> {
    fn from_iter<I: IntoIterator<Item = (IK, V)>>(iter: I) -> Self {
        let mut v = Vec::new();
        for (k, val) in iter {
            insert_sorted(&mut v, k.into(), val);
        }
        SortedMap::from_sorted(v)
    }
}

impl<V: fmt::Debug, K: Deref<Target = str> + Ord> fmt::Debug for SortedMap<V, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize, K: Deref<Target = str> + Ord> Serialize for SortedMap<V, K> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>, K: Deserialize<'de> + Deref<Target = str> + Ord> Deserialize<'de>
    for SortedMap<V, K>
{
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct MapVisitor<V, K>(PhantomData<(V, K)>);
        impl<'de, V: Deserialize<'de>, K: Deserialize<'de> + Deref<Target = str> + Ord> Visitor<'de>
            for MapVisitor<V, K>
        {
            type Value = SortedMap<V, K>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SortedMap<V, K>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<K, V>()? {
                    insert_sorted(&mut out, k, v);
                }
                Ok(SortedMap::from_sorted(out))
            }
        }
        de.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn reads_and_writes_json_as_a_btreemap_does() {
        for text in [r#"{}"#, r#"{"b":1,"a":2}"#, r#"{"a":1,"c":3,"b":2,"a":4}"#, r#"{"x":1,"y":2,"z":3}"#] {
            let ours: SortedMap<i64> = serde_json::from_str(text).unwrap();
            let theirs: BTreeMap<String, i64> = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
            assert_eq!(ours.len(), theirs.len());
            assert!(ours.iter().eq(theirs.iter().map(|(k, v)| (k.as_str(), v))));
        }
        assert_eq!(
            serde_json::from_str::<SortedMap<i64>>("[]").unwrap_err().to_string(),
            serde_json::from_str::<BTreeMap<String, i64>>("[]").unwrap_err().to_string()
        );
    }

    #[test]
    fn insert_keeps_keys_sorted_and_replaces() {
        let mut m: SortedMap<i64> = [("b", 1), ("a", 2)].into_iter().collect();
        assert_eq!(m.insert("c", 3), None);
        assert_eq!(m.insert("a", 5), Some(2));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(m["a"], 5);
        assert_eq!(m.get("d"), None);
    }
}
