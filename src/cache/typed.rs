//! The typed layer over the cache's string primitives: each kind of short-lived entry
//! declares once, next to the value it holds, its namespace, its key, its value and how the
//! value is written; the cache builds the key (`"{NS}:{key}"`) and does the encoding, so no
//! feature formats a key or calls serde on a cache value.
//!
//! The key strings and stored bytes are exactly those written before this layer existed
//! (same prefixes, same JSON, same bare strings and numbers): a running Redis is read across
//! the upgrade, and replicas of both versions agree on every entry. A kind's namespace and
//! its value's format are therefore part of the wire format: never change them in place.
//!
//! Lifetimes are declared beside each kind as well: a constant where it is fixed, a function
//! of the settings where it is configured; where each entry has its own (a session's end, a
//! token's expiry) the caller computes it from the value.

use std::fmt::Write as _;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::backend::Cache;
use super::error::CacheError;

/// One part of a key; parts of a tuple are joined with `:`.
pub trait KeyPart {
    fn write_to(&self, out: &mut String);
}

impl KeyPart for &str {
    fn write_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl KeyPart for i64 {
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl KeyPart for u64 {
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
}

impl<A: KeyPart, B: KeyPart> KeyPart for (A, B) {
    fn write_to(&self, out: &mut String) {
        self.0.write_to(out);
        out.push(':');
        self.1.write_to(out);
    }
}

impl<A: KeyPart, B: KeyPart, C: KeyPart> KeyPart for (A, B, C) {
    fn write_to(&self, out: &mut String) {
        self.0.write_to(out);
        out.push(':');
        self.1.write_to(out);
        out.push(':');
        self.2.write_to(out);
    }
}

/// A kind of cache entry: what every key of the kind starts with, and what names one entry.
pub trait Kind {
    /// Every key of this kind is `"{NS}:{key}{SUFFIX}"`.
    const NS: &'static str;
    /// For kinds that share a namespace and a key, told apart by the end of the key
    /// (a lock's count `…:n`, its level `…:lvl`).
    const SUFFIX: &'static str = "";
    type Key<'k>: KeyPart;
}

/// A kind holding one value per key (`put`, `get`, `take`).
pub trait Entry: Kind {
    /// What is held and how it is written: `Json<T>`, `Text`, `Int` or `Flag`.
    type Value: Format;
}

/// A kind holding an atomic count per key (`count`, `count_by`, `counted`, `take_count`).
pub trait Counter: Kind {}

/// A kind holding a set of strings per key (`set_add`, `set_members`, `set_remove`).
pub trait Set: Kind {}

/// The full key of one entry of kind `K`: `"{NS}:{key}{SUFFIX}"`.
pub fn key<K: Kind>(k: K::Key<'_>) -> String {
    let mut out = String::with_capacity(K::NS.len() + 1 + 64 + K::SUFFIX.len());
    out.push_str(K::NS);
    out.push(':');
    k.write_to(&mut out);
    out.push_str(K::SUFFIX);
    out
}

/// How a value is written in the cache.
pub trait Format {
    type Item;
    fn encode(item: &Self::Item) -> Result<String, CacheError>;
    /// `None` for anything that does not parse: it reads as absent.
    fn decode(raw: String) -> Option<Self::Item>;
}

/// What an entry of kind `E` holds.
pub type Value<E> = <<E as Entry>::Value as Format>::Item;

/// A value written as JSON.
pub struct Json<T>(PhantomData<T>);

impl<T: Serialize + DeserializeOwned> Format for Json<T> {
    type Item = T;
    fn encode(item: &T) -> Result<String, CacheError> {
        serde_json::to_string(item).map_err(|e| CacheError(e.to_string()))
    }
    fn decode(raw: String) -> Option<T> {
        serde_json::from_str(&raw).ok()
    }
}

/// A string written as it is (no JSON quotes): a hash, a secret, a request id.
pub struct Text;

impl Format for Text {
    type Item = String;
    fn encode(item: &String) -> Result<String, CacheError> {
        Ok(item.clone())
    }
    fn decode(raw: String) -> Option<String> {
        Some(raw)
    }
}

/// A number written in decimal.
pub struct Int;

impl Format for Int {
    type Item = i64;
    fn encode(item: &i64) -> Result<String, CacheError> {
        Ok(item.to_string())
    }
    fn decode(raw: String) -> Option<i64> {
        raw.parse().ok()
    }
}

/// A mark whose presence is all it says (written `1`, as it always was; any value counts).
pub struct Flag;

impl Format for Flag {
    type Item = ();
    fn encode(_: &()) -> Result<String, CacheError> {
        Ok("1".to_string())
    }
    fn decode(_: String) -> Option<()> {
        Some(())
    }
}

impl Cache {
    /// Stores `value` under `key` for `ttl_secs`, replacing what was there.
    pub async fn put<E: Entry>(
        &self,
        key: E::Key<'_>,
        value: &Value<E>,
        ttl_secs: i64,
    ) -> Result<(), CacheError> {
        let raw = E::Value::encode(value)?;
        self.raw_set(&self::key::<E>(key), &raw, ttl_secs).await
    }

    pub async fn get<E: Entry>(&self, key: E::Key<'_>) -> Result<Option<Value<E>>, CacheError> {
        let raw = self.raw_get(&self::key::<E>(key)).await?;
        Ok(raw.and_then(E::Value::decode))
    }

    /// Reads and deletes in one atomic step: the primitive behind single-use codes.
    pub async fn take<E: Entry>(&self, key: E::Key<'_>) -> Result<Option<Value<E>>, CacheError> {
        let raw = self.raw_take(&self::key::<E>(key)).await?;
        Ok(raw.and_then(E::Value::decode))
    }

    /// Deletes the entry, count or set under `key`.
    pub async fn del<K: Kind>(&self, key: K::Key<'_>) -> Result<(), CacheError> {
        self.raw_del(&self::key::<K>(key)).await
    }

    /// Adds one and returns the new count, atomically; the window restarts with each call.
    pub async fn count<C: Counter>(
        &self,
        key: C::Key<'_>,
        ttl_secs: i64,
    ) -> Result<i64, CacheError> {
        self.raw_incr_by(&self::key::<C>(key), 1, ttl_secs).await
    }

    /// As `count`, by any amount; a count never goes below zero.
    pub async fn count_by<C: Counter>(
        &self,
        key: C::Key<'_>,
        delta: i64,
        ttl_secs: i64,
    ) -> Result<i64, CacheError> {
        self.raw_incr_by(&self::key::<C>(key), delta, ttl_secs)
            .await
    }

    /// The count now, if there is one (without counting).
    pub async fn counted<C: Counter>(&self, key: C::Key<'_>) -> Result<Option<i64>, CacheError> {
        let raw = self.raw_get(&self::key::<C>(key)).await?;
        Ok(raw.and_then(|r| r.parse().ok()))
    }

    /// Reads and deletes a count in one atomic step: of several callers, one gets it.
    pub async fn take_count<C: Counter>(&self, key: C::Key<'_>) -> Result<Option<i64>, CacheError> {
        let raw = self.raw_take(&self::key::<C>(key)).await?;
        Ok(raw.and_then(|r| r.parse().ok()))
    }

    /// Adds `member` and extends the set's life to at least `ttl_secs`.
    pub async fn set_add<S: Set>(
        &self,
        key: S::Key<'_>,
        member: &str,
        ttl_secs: i64,
    ) -> Result<(), CacheError> {
        self.raw_set_add(&self::key::<S>(key), member, ttl_secs)
            .await
    }

    pub async fn set_remove<S: Set>(
        &self,
        key: S::Key<'_>,
        member: &str,
    ) -> Result<(), CacheError> {
        self.raw_set_remove(&self::key::<S>(key), member).await
    }

    pub async fn set_members<S: Set>(&self, key: S::Key<'_>) -> Result<Vec<String>, CacheError> {
        self.raw_set_members(&self::key::<S>(key)).await
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::clock::Clock;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        name: String,
        n: i64,
    }

    struct Things;

    impl Kind for Things {
        const NS: &'static str = "thing";
        type Key<'k> = &'k str;
    }
    impl Entry for Things {
        type Value = Json<Thing>;
    }

    struct Pairs;

    impl Kind for Pairs {
        const NS: &'static str = "pair";
        const SUFFIX: &'static str = ":n";
        type Key<'k> = (&'k str, u64);
    }
    impl Counter for Pairs {}

    struct Marks;

    impl Kind for Marks {
        const NS: &'static str = "mark";
        type Key<'k> = &'k str;
    }
    impl Entry for Marks {
        type Value = Flag;
    }

    struct Members;

    impl Kind for Members {
        const NS: &'static str = "members";
        type Key<'k> = &'k str;
    }
    impl Set for Members {}

    fn cache() -> (Clock, Cache) {
        let clock = Clock::default();
        (clock.clone(), Cache::memory(clock, 1000))
    }

    fn thing() -> Thing {
        Thing {
            name: "a".into(),
            n: 7,
        }
    }

    #[test]
    fn key_is_namespace_colon_key_exactly() {
        assert_eq!(key::<Things>("abc"), "thing:abc");
        assert_eq!(key::<Pairs>(("dev", 42)), "pair:dev:42:n");
    }

    #[tokio::test]
    async fn put_get_take_round_trip_and_take_is_once() {
        let (clock, c) = cache();
        c.put::<Things>("x", &thing(), 60).await.unwrap();
        assert_eq!(c.get::<Things>("x").await.unwrap(), Some(thing()));
        // The bytes stored are the value's plain JSON, under "ns:key".
        assert_eq!(
            c.raw_get("thing:x").await.unwrap().as_deref(),
            Some(r#"{"name":"a","n":7}"#)
        );
        assert_eq!(c.take::<Things>("x").await.unwrap(), Some(thing()));
        assert_eq!(c.take::<Things>("x").await.unwrap(), None);
        assert_eq!(c.get::<Things>("x").await.unwrap(), None);

        c.put::<Marks>("m", &(), 10).await.unwrap();
        assert_eq!(c.raw_get("mark:m").await.unwrap().as_deref(), Some("1"));
        clock.advance(11);
        assert_eq!(c.get::<Marks>("m").await.unwrap(), None, "expired");
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_shape_reads_as_absent() {
        let (_, c) = cache();
        c.raw_set("thing:bad", r#"{"name":1}"#, 60).await.unwrap();
        assert_eq!(c.get::<Things>("bad").await.unwrap(), None);
        assert_eq!(c.take::<Things>("bad").await.unwrap(), None);
        // A mark is its presence, whatever is written.
        c.raw_set("mark:odd", "yes", 60).await.unwrap();
        assert_eq!(c.get::<Marks>("odd").await.unwrap(), Some(()));
    }

    #[tokio::test]
    async fn counters_and_sets_keep_their_keys() {
        let (_, c) = cache();
        assert_eq!(c.count::<Pairs>(("d", 1), 60).await.unwrap(), 1);
        assert_eq!(c.count_by::<Pairs>(("d", 1), 2, 60).await.unwrap(), 3);
        assert_eq!(c.count_by::<Pairs>(("d", 1), -5, 60).await.unwrap(), 0);
        assert_eq!(c.raw_get("pair:d:1:n").await.unwrap().as_deref(), Some("0"));
        assert_eq!(c.counted::<Pairs>(("d", 1)).await.unwrap(), Some(0));
        assert_eq!(c.take_count::<Pairs>(("d", 1)).await.unwrap(), Some(0));
        assert_eq!(c.counted::<Pairs>(("d", 1)).await.unwrap(), None);

        c.set_add::<Members>("u", "h1", 60).await.unwrap();
        c.set_add::<Members>("u", "h2", 60).await.unwrap();
        c.set_remove::<Members>("u", "h1").await.unwrap();
        assert_eq!(c.set_members::<Members>("u").await.unwrap(), vec!["h2"]);
        c.del::<Members>("u").await.unwrap();
        assert!(c.set_members::<Members>("u").await.unwrap().is_empty());
    }
}
