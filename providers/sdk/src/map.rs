//! [`SortedMap`], a vector of entries kept sorted by key with unique keys, and [`ValueMap`], the
//! contents of an object or map [`Value`], which is one.
//!
//! Objects are the bulk of a plan's memory (every resource instance holds a few of them, prior
//! and planned), and most have a handful of attributes. A `BTreeMap` allocates a node with room
//! for eleven entries even for three; a sorted vector costs what its entries cost. Lookups are a
//! binary search, and building in key order (as from a `BTreeMap`, or from JSON written with
//! sorted keys) appends. Iteration order is exactly `BTreeMap<String, _>`'s (keys in byte order),
//! so everything printed from a value is unchanged.
//!
//! The engine keeps the instances of each stored resource in one too (most resources have one
//! instance, and a `BTreeMap` node for it took 1.4 KB).
//!
//! This module owns only the container: it must not know what the values mean.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::value::Value;

/// The attributes of an object or the elements of a map: a [`SortedMap`] of names to values.
pub type ValueMap = SortedMap<String, Value>;

/// `(key, value)` pairs sorted by key, each key once. The API follows `BTreeMap`'s (lookups
/// take any borrowed form of the key), and so do iteration order, equality and `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap::new()
    }
}

impl<K, V> SortedMap<K, V> {
    pub const fn new() -> Self {
        SortedMap {
            entries: Vec::new(),
        }
    }
    pub fn with_capacity(n: usize) -> Self {
        SortedMap {
            entries: Vec::with_capacity(n),
        }
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    /// Releases capacity beyond the entries held.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }
    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
    /// The entry of the least key.
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(|(k, v)| (k, v))
    }
    /// The entry of the greatest key.
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(|(k, v)| (k, v))
    }
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.entries.iter())
    }
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut(self.entries.iter_mut())
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        self.entries.into_iter().map(|(k, _)| k)
    }
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
    /// The entries, sorted by key.
    pub fn into_vec(self) -> Vec<(K, V)> {
        self.entries
    }
    /// The entries, sorted by key.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.entries
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// A map of `entries` in any order; of entries with the same key the last one stays, as
    /// when inserting them one by one.
    pub fn from_vec(mut entries: Vec<(K, V)>) -> Self {
        sort_keeping_last(&mut entries);
        entries.shrink_to_fit();
        SortedMap { entries }
    }
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }
    /// The entry of `key`, with the key as stored.
    pub fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| {
            let (k, v) = &self.entries[i];
            (k, v)
        })
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// Sets `key` to `value`, returning the value it replaces. Appending (a key greater than
    /// every key present) takes constant time.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
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
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i))
    }
    /// The same entries in a `BTreeMap`.
    pub fn into_btree(self) -> BTreeMap<K, V> {
        self.entries.into_iter().collect()
    }
}

/// Sorts `entries` by key and drops every entry but the last of each key, as inserting them one
/// by one into a map would leave them. Constant work per entry when they are sorted already.
pub(crate) fn sort_keeping_last<K: Ord, V>(entries: &mut Vec<(K, V)>) {
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

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SortedMap<K, V> {
    /// As `BTreeMap`'s.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + fmt::Debug + ?Sized, V> std::ops::Index<&Q> for SortedMap<K, V> {
    type Output = V;
    /// Panics when `key` is absent, as `BTreeMap`'s index does.
    fn index(&self, key: &Q) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no entry found for key {key:?}"),
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        SortedMap::from_vec(items.into_iter().collect())
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    /// As inserting each item in turn, in time linear in the entries when the items come
    /// sorted (as from another map): they are appended, and the two sorted runs merged.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        self.entries.extend(items);
        sort_keeping_last(&mut self.entries);
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for SortedMap<K, V> {
    fn from(items: [(K, V); N]) -> Self {
        SortedMap::from_vec(items.into())
    }
}

impl<K, V> From<BTreeMap<K, V>> for SortedMap<K, V> {
    fn from(m: BTreeMap<K, V>) -> Self {
        // Already sorted and unique, and of exact size.
        SortedMap {
            entries: m.into_iter().collect(),
        }
    }
}

impl<K: Ord, V> From<SortedMap<K, V>> for BTreeMap<K, V> {
    fn from(m: SortedMap<K, V>) -> BTreeMap<K, V> {
        m.into_btree()
    }
}

/// Serialised as a map, as a `BTreeMap` is.
impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Read as a map, as a `BTreeMap` is (of a repeated key the last value stays).
impl<'de, K: Deserialize<'de> + Ord, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        BTreeMap::<K, V>::deserialize(d).map(SortedMap::from)
    }
}

/// An iterator over a [`SortedMap`]'s entries, in key order.
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter(self.0.clone())
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}
impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

/// An iterator over a [`SortedMap`]'s entries with mutable values, in key order.
pub struct IterMut<'a, K, V>(std::slice::IterMut<'a, (K, V)>);

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<K, V> DoubleEndedIterator for IterMut<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}
impl<K, V> ExactSizeIterator for IterMut<'_, K, V> {}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}
impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}
impl<'a, K, V> IntoIterator for &'a mut SortedMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> IterMut<'a, K, V> {
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
