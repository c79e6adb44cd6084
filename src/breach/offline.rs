//! The offline breach corpus on disk: one file per five-digit prefix (`AB/ABCDE`) holding
//! that prefix's suffixes, sorted, 18 bytes each (`domain::breach::Sha1Hex::packed_suffix`).
//! A lookup reads one small file (HIBP's corpus averages ~1,000 suffixes, ~18 KB, per
//! prefix); no hash is kept in memory between lookups.
//!
//! `load` streams the downloadable `HASH:COUNT` file (~40 GB) into a fresh folder beside
//! the live one and swaps it in when complete, so a running server reads the old corpus or
//! the new one, never half of one, and a refused file leaves the old one in place.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::domain::breach::{
    CorpusLine, PACKED_LEN, PREFIXES, Sha1Hex, parse_corpus_line, prefix_name,
};

/// Written last by `load`: its presence says the folder holds a whole corpus.
pub const MANIFEST: &str = "corpus.txt";

/// What the offline corpus says about one hash.
#[derive(Debug)]
pub enum Lookup {
    /// No corpus is loaded here.
    Absent,
    Found(bool),
    /// A corpus is loaded but cannot be read (disk error, a file gone wrong).
    Failed(io::Error),
}

fn prefix_path(dir: &Path, index: u32) -> PathBuf {
    let name = prefix_name(index);
    dir.join(&name[..2]).join(name)
}

/// Looks `hash` up in the corpus under `dir` (blocking: run it off the async workers).
pub fn lookup(dir: &Path, hash: &Sha1Hex) -> Lookup {
    match fs::read(prefix_path(dir, hash.prefix_index())) {
        Ok(bytes) => {
            if bytes.len() % PACKED_LEN != 0 {
                return Lookup::Failed(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a prefix file of the breach corpus is not whole records",
                ));
            }
            let want = hash.packed_suffix();
            let record = |i: usize| &bytes[i * PACKED_LEN..(i + 1) * PACKED_LEN];
            let (mut lo, mut hi) = (0, bytes.len() / PACKED_LEN);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                match record(mid).cmp(want.as_slice()) {
                    std::cmp::Ordering::Less => lo = mid + 1,
                    std::cmp::Ordering::Greater => hi = mid,
                    std::cmp::Ordering::Equal => return Lookup::Found(true),
                }
            }
            Lookup::Found(false)
        }
        // A prefix with no breached hash has no file; without the manifest there is no
        // corpus at all.
        Err(e) if e.kind() == io::ErrorKind::NotFound => match dir.join(MANIFEST).try_exists() {
            Ok(true) => Lookup::Found(false),
            Ok(false) => Lookup::Absent,
            Err(e) => Lookup::Failed(e),
        },
        Err(e) => Lookup::Failed(e),
    }
}

/// What a load did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Distinct hashes stored.
    pub hashes: u64,
    /// Prefix files written.
    pub prefixes: u64,
    /// Lines with count 0 (padding), not stored.
    pub zero_counts: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file is not in the `HASH:COUNT` SHA-1 format: nothing was changed.
    #[error(
        "line {line}: not a SHA-1 `HASH:COUNT` line (40 hex digits, a colon, a count); the NTLM corpus is not supported"
    )]
    Format { line: u64 },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Streams a `HASH:COUNT` file into the corpus under `dir`, replacing any corpus there only
/// once the whole file has been read. Memory holds one prefix's suffixes at a time. A file
/// ordered by hash (HIBP's download) is one pass; one in another order (by count) is still
/// loaded right, with a sort of the prefixes met more than once at the end — slowly.
pub fn load(input: impl Read, dir: &Path) -> Result<Loaded, LoadError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    crate::private_fs::create_dir(parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "breached".into());
    let fresh = parent.join(format!("{name}.loading"));
    if fresh.exists() {
        // A load that died half-way; nothing reads this folder.
        fs::remove_dir_all(&fresh)?;
    }
    crate::private_fs::create_dir(&fresh)?;
    let done = fill(input, &fresh);
    let loaded = match done {
        Ok(l) => l,
        Err(e) => {
            let _ = fs::remove_dir_all(&fresh);
            return Err(e);
        }
    };
    let old = parent.join(format!("{name}.old"));
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    if dir.exists() {
        fs::rename(dir, &old)?;
    }
    fs::rename(&fresh, dir)?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(loaded)
}

fn fill(input: impl Read, dir: &Path) -> Result<Loaded, LoadError> {
    let mut out = Loaded::default();
    // Prefixes already written, and those written more than once (to sort at the end).
    let mut written = vec![false; PREFIXES as usize];
    let mut unsorted = BTreeSet::new();
    let mut current: Option<u32> = None;
    let mut batch: Vec<[u8; PACKED_LEN]> = Vec::new();
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut line = String::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        n += 1;
        let (hash, count) = match parse_corpus_line(&line) {
            Some(CorpusLine::Hash(h, c)) => (h, c),
            Some(CorpusLine::Blank) => continue,
            None => return Err(LoadError::Format { line: n }),
        };
        if count == 0 {
            out.zero_counts += 1;
            continue;
        }
        let index = hash.prefix_index();
        if current != Some(index) {
            if let Some(prev) = current {
                flush(dir, prev, &mut batch, &mut written, &mut unsorted)?;
            }
            current = Some(index);
        }
        batch.push(hash.packed_suffix());
    }
    if let Some(prev) = current {
        flush(dir, prev, &mut batch, &mut written, &mut unsorted)?;
    }
    for index in unsorted {
        let path = prefix_path(dir, index);
        let bytes = fs::read(&path)?;
        let mut records: Vec<&[u8]> = bytes.chunks_exact(PACKED_LEN).collect();
        records.sort_unstable();
        records.dedup();
        write_private(&path, &records.concat(), false)?;
    }
    // Counted from the files: the hash-ordered download has each hash once, but a
    // concatenation of two files need not.
    for index in 0..PREFIXES {
        if written[index as usize] {
            let len = fs::metadata(prefix_path(dir, index))?.len();
            out.hashes += len / PACKED_LEN as u64;
            out.prefixes += 1;
        }
    }
    let manifest = format!(
        "Pwned Passwords (SHA-1) corpus\nhashes {}\nprefixes {}\n",
        out.hashes, out.prefixes
    );
    write_private(&dir.join(MANIFEST), manifest.as_bytes(), false)?;
    Ok(out)
}

fn flush(
    dir: &Path,
    index: u32,
    batch: &mut Vec<[u8; PACKED_LEN]>,
    written: &mut [bool],
    unsorted: &mut BTreeSet<u32>,
) -> Result<(), LoadError> {
    batch.sort_unstable();
    batch.dedup();
    let again = written[index as usize];
    if again {
        unsorted.insert(index);
    } else {
        crate::private_fs::create_dir(&dir.join(&prefix_name(index)[..2]))?;
    }
    written[index as usize] = true;
    write_private(&prefix_path(dir, index), &batch.concat(), again)?;
    batch.clear();
    Ok(())
}

/// Writes (or appends to) a file only Gerbang's user may read, like every data file.
fn write_private(path: &Path, bytes: &[u8], append: bool) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.create(true).write(true);
    if append {
        opts.append(true);
    } else {
        opts.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f: File = opts.open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(lines: &[&str]) -> (tempfile::TempDir, PathBuf, Loaded) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data").join("breached");
        let loaded = load(lines.join("\n").as_bytes(), &dir).unwrap();
        (tmp, dir, loaded)
    }

    fn h(pw: &str) -> Sha1Hex {
        Sha1Hex::of(pw)
    }

    fn line(pw: &str, count: u64) -> String {
        format!("{}{}:{count}", h(pw).prefix(), h(pw).suffix())
    }

    #[test]
    fn finds_what_was_loaded_in_any_order_and_nothing_else() {
        let mut lines: Vec<String> = (0..300).map(|i| line(&format!("bocor{i}"), 1)).collect();
        lines.push(line("padding-only", 0));
        // Out of order on purpose, with a duplicate: the slow path must still be right.
        lines.push(line("bocor7", 9));
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (_tmp, dir, loaded) = corpus(&refs);
        assert_eq!(loaded.hashes, 300);
        assert_eq!(loaded.zero_counts, 1);
        for i in 0..300 {
            assert!(matches!(
                lookup(&dir, &h(&format!("bocor{i}"))),
                Lookup::Found(true)
            ));
        }
        assert!(matches!(
            lookup(&dir, &h("padding-only")),
            Lookup::Found(false)
        ));
        assert!(matches!(
            lookup(&dir, &h("Gerbang#Aman2026")),
            Lookup::Found(false)
        ));
    }

    #[test]
    fn sorted_input_is_one_pass_and_files_are_private() {
        let mut lines: Vec<String> = (0..50).map(|i| line(&format!("urut{i}"), 2)).collect();
        lines.sort();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (_tmp, dir, loaded) = corpus(&refs);
        assert_eq!(loaded.hashes, 50);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let name = prefix_name(h("urut0").prefix_index());
            let file = dir.join(&name[..2]).join(&name);
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }

    #[test]
    fn no_corpus_is_absent_and_a_broken_file_is_a_failure() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(lookup(tmp.path(), &h("x")), Lookup::Absent));
        let (_tmp, dir, _) = corpus(&[&line("rusak", 1)]);
        let name = prefix_name(h("rusak").prefix_index());
        fs::write(dir.join(&name[..2]).join(&name), b"short").unwrap();
        assert!(matches!(lookup(&dir, &h("rusak")), Lookup::Failed(_)));
    }

    #[test]
    fn a_file_in_another_format_changes_nothing() {
        let (_tmp, dir, _) = corpus(&[&line("lama", 1)]);
        let bad = format!("{}\n8846F7EAEE8FB117AD06BDD830B7586C:5\n", line("baru", 1));
        match load(bad.as_bytes(), &dir) {
            Err(LoadError::Format { line }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup(&dir, &h("lama")), Lookup::Found(true)));
        assert!(matches!(lookup(&dir, &h("baru")), Lookup::Found(false)));
        assert!(!dir.with_file_name("breached.loading").exists());
    }
}
