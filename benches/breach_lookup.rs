//! The offline breach lookup's latency, as a password check pays it: one prefix file read
//! and searched. `cargo bench --bench breach_lookup` (or `--profile dev` to reuse a debug
//! build). Figures and machine in `bench/results.md`.
//!
//! The corpus is built through `gerbang passwords load-breached`'s code from a synthetic
//! hash-ordered `HASH:COUNT` file with HIBP's density (~900 suffixes, ~16 KB, per prefix)
//! over the first `PREFIXES` prefixes: the per-lookup work is the real one, and the disk
//! used a thousandth of the real corpus's. Lookups alternate a loaded hash and one that is
//! not (same prefixes, so the file exists and is searched in full), with the page cache
//! warm (the usual case for a server's hot prefixes; a cold read adds one disk read).

use std::io::Write;
use std::time::{Duration, Instant};

use gerbang::breach::offline::{self, Lookup};
use gerbang::domain::breach::Sha1Hex;

const PREFIXES: u32 = 1024;
const PER_PREFIX: u32 = 900;
const LOOKUPS: usize = 20_000;

/// xorshift64*: reproducible hex digits without another dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A hash under `prefix`: 5 digits of prefix, 35 random ones.
    fn hash(&mut self, prefix: u32) -> String {
        let mut s = format!("{prefix:05X}");
        while s.len() < 40 {
            s.push_str(&format!("{:016X}", self.next()));
        }
        s.truncate(40);
        s
    }
}

fn percentiles(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let at = |p: f64| d[((d.len() as f64 * p) as usize).min(d.len() - 1)];
    println!(
        "{name}: n={} p50={:?} p90={:?} p99={:?} p99.9={:?} max={:?}",
        d.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        at(0.999),
        d[d.len() - 1]
    );
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x6765_7262_616e_6721);
    let file = tmp.path().join("pwned.txt");
    let mut known = Vec::new();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        for prefix in 0..PREFIXES {
            let mut hashes: Vec<String> = (0..PER_PREFIX).map(|_| rng.hash(prefix)).collect();
            hashes.sort();
            for (i, h) in hashes.iter().enumerate() {
                writeln!(out, "{h}:{}", i + 1).unwrap();
            }
            known.push(hashes[rng.next() as usize % hashes.len()].clone());
        }
    }
    let dir = tmp.path().join("data").join("breached");
    let started = Instant::now();
    let loaded = offline::load(std::fs::File::open(&file).unwrap(), &dir).unwrap();
    let took = started.elapsed();
    println!(
        "load: {} hashes in {} prefixes in {:?} ({:.0} lines/s)",
        loaded.hashes,
        loaded.prefixes,
        took,
        loaded.hashes as f64 / took.as_secs_f64()
    );

    let queries: Vec<(Sha1Hex, bool)> = (0..LOOKUPS)
        .map(|i| {
            if i % 2 == 0 {
                let h = &known[rng.next() as usize % known.len()];
                (Sha1Hex::parse(h).unwrap(), true)
            } else {
                let prefix = (rng.next() % u64::from(PREFIXES)) as u32;
                (Sha1Hex::parse(&rng.hash(prefix)).unwrap(), false)
            }
        })
        .collect();
    // Warm the page cache once, as a running server's is.
    for (h, _) in &queries[..2000] {
        offline::lookup(&dir, h);
    }

    let mut times = Vec::with_capacity(LOOKUPS);
    for (h, hit) in &queries {
        let t = Instant::now();
        let found = offline::lookup(&dir, h);
        times.push(t.elapsed());
        assert!(matches!(found, Lookup::Found(f) if f == *hit), "{found:?}");
    }
    percentiles("offline lookup (blocking)", times);

    // As the server calls it: on the blocking pool from a 2-worker runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let times = rt.block_on(async {
        let mut times = Vec::with_capacity(LOOKUPS);
        for (h, _) in &queries {
            let (d, h) = (dir.clone(), *h);
            let t = Instant::now();
            tokio::task::spawn_blocking(move || offline::lookup(&d, &h))
                .await
                .unwrap();
            times.push(t.elapsed());
        }
        times
    });
    percentiles("offline lookup (spawn_blocking)", times);
}
