//! The data directory holds the SQLite files, the token key and the
//! development tokens: only its owner may read it. It is created `0700`;
//! an existing one that its group or others can enter is refused (with the
//! command that fixes it); the database files are made `0600` once they
//! exist (SQLite gives its `-wal` and `-shm` files the database's mode).

use std::path::Path;

use anyhow::{Context, bail};

/// Creates `dir` (owner only) or checks that an existing one is private.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        create_private(dir)?;
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .permissions()
            .mode();
        if let Some(why) = exposed(mode) {
            bail!(
                "the data directory {} is {why} (mode {:o}); it holds the databases and the token key: run `chmod 700 {}` or choose another --data-dir",
                dir.display(),
                mode & 0o777,
                dir.display()
            );
        }
    }
    Ok(())
}

/// Why a directory of `mode` is not private, if it is not.
fn exposed(mode: u32) -> Option<&'static str> {
    match (mode & 0o070 != 0, mode & 0o007 != 0) {
        (_, true) => Some("open to other users"),
        (true, false) => Some("open to its group"),
        (false, false) => None,
    }
}

fn create_private(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Makes the SQLite file at `db` and its companions owner-only.
pub fn restrict_database(db: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let name = db.as_os_str().to_owned();
        for suffix in ["", "-wal", "-shm"] {
            let mut path = name.clone();
            path.push(suffix);
            let path = Path::new(&path);
            if path.exists() {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot restrict {}", path.display()))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_only_its_owner_enters_is_private() {
        assert_eq!(exposed(0o40700), None);
        assert_eq!(exposed(0o40750), Some("open to its group"));
        assert_eq!(exposed(0o40755), Some("open to other users"));
        assert_eq!(exposed(0o40701), Some("open to other users"));
    }
}
