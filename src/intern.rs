//! Interned names: the resource types and names, module call names and provider names that
//! addresses, graph nodes and references are made of. Each distinct string is stored once for
//! the life of the process, so a [`Name`] is one pointer: copying it allocates nothing, and
//! comparing or hashing two of them looks at the pointer, not the text. Addresses are copied,
//! hashed and compared for every reference, every graph node and every stored instance.
//!
//! This module owns the process-wide table of names. It knows nothing of what the names mean,
//! and it must not hand out a `&'static str` that did not come from the table (two equal
//! names must be one pointer). Interned text is never freed; a process interns the names of
//! its configuration and state, which it holds until it ends anyway.

use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use foldhash::fast::FixedState;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An interned string. Equality and hashing use the pointer (equal text is one pointer);
/// ordering uses the text, so sorted output does not depend on the order of interning.
#[derive(Clone, Copy)]
pub struct Name(&'static str);

impl Name {
    /// The one `Name` for this text, interning it on first use.
    pub fn new(s: &str) -> Name {
        // Names come in runs (every resource of a state or a configuration names its type
        // right before its name), so the last four looked up are tried first, without a lock.
        let recent = RECENT.with(|r| r.get());
        if let Some(n) = recent.into_iter().flatten().find(|n| n.0 == s) {
            return n;
        }
        let n = Name::lookup(s);
        RECENT.with(|r| r.set([Some(n), recent[0], recent[1], recent[2]]));
        n
    }

    fn lookup(s: &str) -> Name {
        let hash = FixedState::with_seed(SEED).hash_one(s);
        // The top bits choose the shard; the set within it hashes again with its own seed.
        let shard = &TABLE[(hash >> (64 - SHARD_BITS)) as usize];
        let mut shard = shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&found) = shard.set.get(s) {
            return Name(found);
        }
        let text = shard.store(s);
        shard.set.insert(text);
        Name(text)
    }

    /// The text.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

thread_local! {
    static RECENT: Cell<[Option<Name>; 4]> = const { Cell::new([None; 4]) };
}

const SHARD_BITS: u32 = 5;
const SEED: u64 = 0x6361_6972_6e5f_6e6d;
/// Text is copied into blocks of this size, so that a name costs its length and no
/// allocation of its own. Small, since each shard that holds a name has a block.
const BLOCK: usize = 4096;

/// One part of the table: names are spread over several, each with its own lock, so that the
/// threads reading a configuration or a state in parallel rarely wait for each other.
struct Shard {
    set: std::collections::HashSet<&'static str, FixedState>,
    /// What is left of the current block.
    free: &'static mut [u8],
}

impl Shard {
    const fn new() -> Shard {
        Shard {
            set: std::collections::HashSet::with_hasher(FixedState::with_seed(!SEED)),
            free: &mut [],
        }
    }

    /// A copy of `s` that lives as long as the process.
    fn store(&mut self, s: &str) -> &'static str {
        if s.len() > BLOCK / 8 {
            return Box::leak(s.into());
        }
        if self.free.len() < s.len() {
            self.free = Box::leak(vec![0u8; BLOCK].into_boxed_slice());
        }
        let (head, tail) = std::mem::take(&mut self.free).split_at_mut(s.len());
        head.copy_from_slice(s.as_bytes());
        self.free = tail;
        // The bytes were copied from a `str`, so this cannot fail.
        std::str::from_utf8(head).unwrap_or_else(|_| Box::leak(s.into()))
    }
}

static TABLE: [Mutex<Shard>; 1 << SHARD_BITS] =
    [const { Mutex::new(Shard::new()) }; 1 << SHARD_BITS];

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Name {}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.as_ptr() as usize).hash(state);
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        if self == other {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(other.0)
        }
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.0 == other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self == other.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name::new(&s)
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0.to_string()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Name, E> {
                Ok(Name::new(s))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_one_name_and_order_follows_the_text() {
        let a = Name::new("aws_instance");
        let b = Name::new(&String::from("aws_instance"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        let c = Name::new("aws_vpc");
        assert_ne!(a, c);
        // Interned after "aws_vpc", still ordered by text.
        let d = Name::new("aws_ami");
        let mut v = [c, a, d];
        v.sort();
        assert_eq!(
            v.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            ["aws_ami", "aws_instance", "aws_vpc"]
        );
        let empty = String::new();
        assert_eq!(Name::new(""), Name::new(empty.as_str()));
        assert!(a == "aws_instance");
        assert!("aws_instance" == a);
    }

    #[test]
    fn names_interned_on_many_threads_agree() {
        let names: Vec<String> = (0..5000).map(|i| format!("n{i}")).collect();
        let per_thread: Vec<Vec<Name>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| names.iter().map(|n| Name::new(n)).collect::<Vec<_>>()))
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        for v in &per_thread[1..] {
            assert_eq!(v, &per_thread[0]);
        }
        for (n, s) in per_thread[0].iter().zip(&names) {
            assert_eq!(n.as_str(), s);
        }
        // Text longer than a block's share is stored on its own, and still interned.
        let long = "x".repeat(BLOCK);
        assert_eq!(Name::new(&long), Name::new(&long.clone()));
    }

    #[test]
    fn serde_round_trip_is_the_text() {
        let n = Name::new("web");
        let j = serde_json::to_string(&n).expect("serialise");
        assert_eq!(j, "\"web\"");
        let back: Name = serde_json::from_str(&j).expect("deserialise");
        assert_eq!(back, n);
    }
}
