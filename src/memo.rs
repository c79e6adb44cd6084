//! A small bounded in-process memo with expiry, for values that are expensive to get again
//! and safe to use for a second or so: client records at the token endpoints and users at
//! `/userinfo` (a database round trip each), and access tokens whose signature was already
//! checked (an ECDSA verification).
//!
//! Not the shared `Cache`: these entries are per replica by design (nothing to invalidate
//! across replicas beyond the short lifetime), and never hold a secret a stolen process dump
//! would not already have.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, (i64, Arc<V>)>>,
    capacity: usize,
}

impl<K: Hash + Eq, V> Memo<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value if present and not expired at `now` (unix seconds).
    pub fn get(&self, key: &K, now: i64) -> Option<Arc<V>> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((expires, v)) if *expires > now => Some(v.clone()),
            _ => None,
        }
    }

    /// Keeps `value` until `expires` (unix seconds). When full, expired entries go first; if
    /// none had expired, everything goes: a burst of distinct keys costs misses, never memory.
    pub fn insert(&self, key: K, value: Arc<V>, expires: i64, now: i64) {
        if self.capacity == 0 || expires <= now {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, (e, _)| *e > now);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(key, (expires, value));
    }

    pub fn remove(&self, key: &K) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_capacity_is_a_hard_bound() {
        let m: Memo<u32, &str> = Memo::new(3);
        m.insert(1, Arc::new("a"), 110, 100);
        assert_eq!(m.get(&1, 109).as_deref(), Some(&"a"));
        assert_eq!(m.get(&1, 110), None, "expired at its second");
        m.insert(2, Arc::new("b"), 200, 100);
        m.insert(3, Arc::new("c"), 200, 100);
        // Full: the expired entry (1, at t=150) makes room.
        m.insert(4, Arc::new("d"), 200, 150);
        assert_eq!(m.len(), 3);
        assert!(m.get(&2, 150).is_some() && m.get(&4, 150).is_some());
        // Full of live entries: cleared rather than grown.
        m.insert(5, Arc::new("e"), 200, 150);
        assert_eq!(m.len(), 1);
        assert!(m.get(&5, 150).is_some());
        // Already expired values and a zero capacity store nothing.
        m.insert(6, Arc::new("f"), 150, 150);
        assert!(m.get(&6, 149).is_none());
        let off: Memo<u32, &str> = Memo::new(0);
        off.insert(1, Arc::new("a"), 200, 100);
        assert!(off.is_empty());
    }
}
