//! Folders and files only Gerbang's own user may read: keys, the SQLite database, mail
//! written to disk. Their modes are set explicitly, never left to the umask (under `umask
//! 000` a plain `create_dir_all` makes a folder anyone may write into).

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents as 0700. Folders that already exist keep their mode
/// (a database under `/var/lib` must not change the mode of `/var/lib`).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
    if missing.is_empty() || dir.as_os_str().is_empty() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        // The umask can only narrow the mode; set it exactly so Gerbang can still write.
        for p in missing.iter().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Narrows a folder that already exists and is Gerbang's alone (the key folder) to 0700
/// when it is wider: one left 0777 by an older version under `umask 000` would otherwise
/// stay so, and whoever can write there can put a key of theirs beside a rewritten ring.
/// Files directly in it become 0600 (symlinks are left alone: `chmod` would follow them).
/// A folder this user does not own is left as its owner set it. Returns whether it changed.
pub fn narrow_own_dir(dir: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() && entry.metadata()?.permissions().mode() & 0o077 != 0 {
                tolerate_foreign(make_private(&entry.path()))?;
            }
        }
        // The folder itself, or the one a `keys` symlink points to (a link has no mode).
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o077 == 0 {
            return Ok(false);
        }
        tolerate_foreign(std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode(0o700),
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(false)
    }
}

/// Takes the write bits of group and others off a folder that already exists and holds a
/// private file (the database's folder): in a folder others may write into, they can
/// rename the database away and put one of theirs in its place (their own password hashes)
/// or delete its `-wal`. Only the write bits, since that folder may be shared (`/var/lib`);
/// a sticky folder (`/tmp`) already keeps others' hands off our files, and a folder this
/// user does not own is left as its owner set it. Returns whether it changed.
pub fn no_foreign_writes(dir: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
        if mode & 0o022 == 0 || mode & 0o1000 != 0 {
            return Ok(false);
        }
        tolerate_foreign(std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode(mode & !0o022),
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(false)
    }
}

/// `chmod` on what another user owns fails (EPERM): theirs to set, not an error of ours.
#[cfg(unix)]
fn tolerate_foreign(r: io::Result<()>) -> io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(false),
        Err(e) => Err(e),
    }
}

/// Opens `path` for writing as 0600 whatever the umask: created so (never readable by others
/// even for a moment), and set so when it already existed (a file left by a crash keeps its
/// old mode when reopened).
pub fn open_private(path: &Path, create_new: bool) -> io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if create_new {
        opts.create_new(true);
    } else {
        opts.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let f = opts.open(path)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    opts.open(path)
}

/// Sets `path` to 0600 by its name: `chmod` opens no descriptor, so it is safe on a
/// database another connection of this process holds (closing any descriptor of a file drops
/// every POSIX lock the process holds on it). A missing file is left missing.
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_folders_are_private_and_existing_ones_keep_their_mode() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = root.path().join("a/b/c");
        super::create_dir(&deep).unwrap();
        assert_eq!(mode(root.path()), 0o755);
        for p in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&root.path().join(p)), 0o700, "{p}");
        }
        super::create_dir(&deep).unwrap();
    }

    #[test]
    fn wide_folders_left_by_an_older_version_are_narrowed() {
        let root = tempfile::tempdir().unwrap();
        let set = |p: &std::path::Path, m| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        let keys = root.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        std::fs::write(keys.join("ring.json"), "[]").unwrap();
        let outside = root.path().join("outside");
        std::fs::write(&outside, "").unwrap();
        set(&outside, 0o644);
        std::os::unix::fs::symlink(&outside, keys.join("link")).unwrap();
        set(&keys.join("ring.json"), 0o666);
        set(&keys, 0o777);
        assert!(super::narrow_own_dir(&keys).unwrap());
        assert_eq!(mode(&keys), 0o700);
        assert_eq!(mode(&keys.join("ring.json")), 0o600);
        assert_eq!(
            mode(&outside),
            0o644,
            "a symlink's target is not ours to change"
        );
        assert!(!super::narrow_own_dir(&keys).unwrap());
        // A key folder reached through a symlink: its target is judged, once.
        let via = root.path().join("via");
        std::os::unix::fs::symlink(&keys, &via).unwrap();
        assert!(!super::narrow_own_dir(&via).unwrap(), "already narrow");
        set(&keys, 0o755);
        assert!(super::narrow_own_dir(&via).unwrap());
        assert_eq!(mode(&keys), 0o700);

        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        set(&data, 0o777);
        assert!(super::no_foreign_writes(&data).unwrap());
        assert_eq!(mode(&data), 0o755);
        set(&data, 0o1777);
        assert!(
            !super::no_foreign_writes(&data).unwrap(),
            "sticky, like /tmp"
        );
    }

    #[test]
    fn reopened_files_become_private() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path().join("f");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        drop(super::open_private(&p, false).unwrap());
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"");
        assert!(super::open_private(&p, true).is_err(), "create_new refuses");
        super::make_private(&root.path().join("missing")).unwrap();
    }
}
