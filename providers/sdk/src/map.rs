//! [`ValueMap`], the contents of an object or map [`Value`]: a vector of entries kept sorted by
//! key, with unique keys.
//!
//! Objects are the bulk of a plan's memory (every resource instance holds a few of them, prior
//! and planned), and most have a handful of attributes. A `BTreeMap` allocates a node with room
//! for eleven entries even for three; a sorted vector costs what its entries cost. Lookups are a
//! binary search, and building in key order (as from a `BTreeMap`, or from JSON written with
//! sorted keys) appends. Iteration order is exactly `BTreeMap<String, _>`'s (keys in byte order),
//! so everything printed from a value is unchanged.
//!
//! This module owns only the container: it must not know what the values mean.

use std::collections::BTreeMap;
use std::fmt;

use crate::value::Value;

/// The attributes of an object or the elements of a map: `(key, value)` pairs sorted by key,
/// each key once. The API follows `BTreeMap<String, Value>`'s.
#[derive(Clone, PartialEq, Default)]
pub struct ValueMap {
    entries: Vec<(String, Value)>,
}

impl ValueMap {
    pub const fn new() -> ValueMap {
        ValueMap {
            entries: Vec::new(),
        }
    }
    pub fn with_capacity(n: usize) -> ValueMap {
        ValueMap {
            entries: Vec::with_capacity(n),
        }
    }
    /// A map of `entries` in any order; of entries with the same key the last one stays, as
    /// when inserting them one by one.
    pub fn from_vec(mut entries: Vec<(String, Value)>) -> ValueMap {
        sort_keeping_last(&mut entries);
        entries.shrink_to_fit();
        ValueMap { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }
    /// The entry of `key`, with the key as stored.
    pub fn get_key_value(&self, key: &str) -> Option<(&String, &Value)> {
        self.find(key).ok().map(|i| {
            let (k, v) = &self.entries[i];
            (k, v)
        })
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }
    /// Sets `key` to `value`, returning the value it replaces. Appending (a key greater than
    /// every key present) takes constant time.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.entries.last() {
            None => {
                self.entries.push((key, value));
                return None;
            }
            Some((last, _)) if *last < key => {
                self.entries.push((key, value));
                return None;
            }
            _ => {}
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn remove_entry(&mut self, key: &str) -> Option<(String, Value)> {
        self.find(key).ok().map(|i| self.entries.remove(i))
    }
    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    /// Releases capacity beyond the entries held.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }
    /// The entry of the least key.
    pub fn first_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.first().map(|(k, v)| (k, v))
    }
    /// The entry of the greatest key.
    pub fn last_key_value(&self) -> Option<(&String, &Value)> {
        self.entries.last().map(|(k, v)| (k, v))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.entries.iter_mut())
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = String> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    /// The same entries in a `BTreeMap`.
    pub fn into_btree(self) -> BTreeMap<String, Value> {
        self.entries.into_iter().collect()
    }
    /// The entries, sorted by key.
    pub fn into_vec(self) -> Vec<(String, Value)> {
        self.entries
    }
    /// The entries, sorted by key.
    pub fn as_slice(&self) -> &[(String, Value)] {
        &self.entries
    }
}

/// Sorts `entries` by key and drops every entry but the last of each key, as inserting them one
/// by one into a map would leave them. Constant work per entry when they are sorted already.
pub(crate) fn sort_keeping_last<V>(entries: &mut Vec<(String, V)>) {
    if entries.windows(2).all(|w| w[0].0 < w[1].0) {
        return;
    }
    // Stable, so the entries of one key stay in their order.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // `dedup_by` keeps the first of a run: move each later value into it.
    entries.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            std::mem::swap(&mut later.1, &mut kept.1);
            true
        } else {
            false
        }
    });
}

impl fmt::Debug for ValueMap {
    /// As `BTreeMap`'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for ValueMap {
    type Output = Value;
    /// Panics when `key` is absent, as `BTreeMap`'s index does.
    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry found for key {key:?}"),
        }
    }
}

impl FromIterator<(String, Value)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(items: I) -> ValueMap {
        ValueMap::from_vec(items.into_iter().collect())
    }
}

impl Extend<(String, Value)> for ValueMap {
    /// As inserting each item in turn, in time linear in the entries when the items come
    /// sorted (as from another map): they are appended, and the two sorted runs merged.
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, items: I) {
        self.entries.extend(items);
        sort_keeping_last(&mut self.entries);
    }
}

impl<const N: usize> From<[(String, Value); N]> for ValueMap {
    fn from(items: [(String, Value); N]) -> ValueMap {
        ValueMap::from_vec(items.into())
    }
}

impl From<BTreeMap<String, Value>> for ValueMap {
    fn from(m: BTreeMap<String, Value>) -> ValueMap {
        // Already sorted and unique, and of exact size.
        ValueMap {
            entries: m.into_iter().collect(),
        }
    }
}

impl From<ValueMap> for BTreeMap<String, Value> {
    fn from(m: ValueMap) -> BTreeMap<String, Value> {
        m.into_btree()
    }
}

/// An iterator over a [`ValueMap`]'s entries, in key order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}
impl ExactSizeIterator for Iter<'_> {}

/// An iterator over a [`ValueMap`]'s entries with mutable values, in key order.
pub struct IterMut<'a>(std::slice::IterMut<'a, (String, Value)>);

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a String, &'a mut Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl DoubleEndedIterator for IterMut<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}
impl ExactSizeIterator for IterMut<'_> {}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}
impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}
impl<'a> IntoIterator for &'a mut ValueMap {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::Gen;

    impl Gen {
        fn key(&mut self) -> String {
            // Short keys from a small alphabet, so keys repeat; `é` and `Z` check byte order.
            let alphabet = ["a", "b", "Z", "é", "_", "aa", ""];
            (0..self.next(3))
                .map(|_| alphabet[self.next(alphabet.len() as u64) as usize])
                .collect()
        }
    }

    fn map<const N: usize>(items: [(&str, Value); N]) -> ValueMap {
        items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    fn assert_same(m: &ValueMap, b: &BTreeMap<String, Value>) {
        assert_eq!(m.len(), b.len());
        assert_eq!(m.is_empty(), b.is_empty());
        assert!(m.iter().eq(b.iter()), "{m:?} != {b:?}");
        assert!(m.keys().eq(b.keys()));
        assert!(m.values().eq(b.values()));
        assert!(m.iter().rev().eq(b.iter().rev()));
        assert_eq!(format!("{m:?}"), format!("{b:?}"));
        assert_eq!(format!("{m:#?}"), format!("{b:#?}"));
    }

    #[test]
    fn random_operations_agree_with_btreemap() {
        let mut g = Gen(11);
        for round in 0..500 {
            let mut m = ValueMap::new();
            let mut b = BTreeMap::new();
            for step in 0..g.next(40) {
                let k = g.key();
                let v = Value::number((round * 100 + step) as i64);
                match g.next(6) {
                    0 => assert_eq!(m.remove(&k), b.remove(&k)),
                    1 => {
                        assert_eq!(m.get(&k), b.get(&k));
                        assert_eq!(m.contains_key(&k), b.contains_key(&k));
                        assert_eq!(m.get_key_value(&k), b.get_key_value(&k));
                    }
                    2 => {
                        if let Some(x) = m.get_mut(&k) {
                            *x = v.clone();
                        }
                        if let Some(x) = b.get_mut(&k) {
                            *x = v;
                        }
                    }
                    _ => assert_eq!(m.insert(k.clone(), v.clone()), b.insert(k, v)),
                }
                assert_same(&m, &b);
            }
            assert_eq!(m.first_key_value(), b.first_key_value());
            assert_eq!(m.last_key_value(), b.last_key_value());
            assert_eq!(m.clone().into_btree(), b);
            assert_eq!(ValueMap::from(b.clone()), m);
            assert!(m.clone().into_iter().eq(b.clone()));
        }
    }

    #[test]
    fn collecting_sorts_and_keeps_the_last_of_a_key() {
        let mut g = Gen(3);
        for round in 0..500 {
            let items: Vec<(String, Value)> = (0..g.next(30))
                .map(|i| (g.key(), Value::number(round * 100 + i as i64)))
                .collect();
            let m: ValueMap = items.iter().cloned().collect();
            let b: BTreeMap<String, Value> = items.iter().cloned().collect();
            assert_same(&m, &b);
            assert_eq!(m.as_slice().len(), m.entries.capacity(), "shrunk");
            let mut extended = ValueMap::new();
            extended.extend(items.iter().cloned());
            assert_eq!(extended, m);
        }
        let m = map([
            ("b", Value::number(1)),
            ("a", Value::number(2)),
            ("b", Value::number(3)),
            ("a", Value::number(4)),
            ("b", Value::number(5)),
        ]);
        assert_eq!(
            m.into_vec(),
            vec![
                ("a".to_string(), Value::number(4)),
                ("b".to_string(), Value::number(5)),
            ]
        );
    }

    #[test]
    fn equality_ignores_how_a_map_was_built() {
        let mut a = ValueMap::new();
        a.insert("z".into(), Value::Null);
        a.insert("a".into(), Value::Bool(true));
        let b = map([("a", Value::Bool(true)), ("z", Value::Null)]);
        assert_eq!(a, b);
        a.insert("a".into(), Value::Bool(false));
        assert_ne!(a, b);
    }

    #[test]
    fn mutation_through_iterators_and_retain() {
        let mut m = map([
            ("a", Value::number(1)),
            ("b", Value::number(2)),
            ("c", Value::number(3)),
        ]);
        for (k, v) in &mut m {
            *v = Value::string(k.clone());
        }
        assert_eq!(m["b"], Value::string("b"));
        for v in m.values_mut() {
            *v = Value::string("x");
        }
        assert!(m.values().all(|v| v.as_str() == Some("x")));
        m.retain(|k, _| k != "b");
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(m.remove_entry("a"), Some(("a".into(), Value::string("x"))));
        assert_eq!(m.into_keys().collect::<Vec<_>>(), ["c"]);
    }

    /// Objects of a few attributes hold no more room than their entries need once built.
    #[test]
    fn built_maps_hold_no_spare_room() {
        let m: ValueMap = (0..3)
            .map(|i| (format!("k{i}"), Value::number(i)))
            .collect();
        assert_eq!(m.entries.capacity(), 3);
        let b: BTreeMap<String, Value> = m.clone().into_btree();
        assert_eq!(ValueMap::from(b).entries.capacity(), 3);
    }
}
