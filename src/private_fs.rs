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
