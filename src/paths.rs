//! Where the vault lives, and creating its files privately.
//!
//! `--vault-dir DIR` / `VAULT_DIR` puts `vault.db` and `vault.key` in DIR.
//! Otherwise the database goes in the user's data dir and the key file in the
//! user's config dir (`~/.local/share/vault/vault.db`, `~/.config/vault/vault.key`
//! on Linux). `VAULT_KEY_FILE` names another key file.
//!
//! Files are born private: directories are created 0700 and files 0600 in the
//! same system call (plus a 077 umask set by `main`), never chmod-ed afterwards,
//! and new files are created with O_EXCL|O_NOFOLLOW so a planted symlink is
//! refused rather than followed. Existing files are opened by their real
//! directory ([`real_path`]) with O_NOFOLLOW on the last name only: a link
//! at vault.db or vault.key is refused, a link above them (a linked HOME or
//! `--vault-dir`) is not.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const DB_FILE: &str = "vault.db";
pub const KEY_FILE: &str = "vault.key";

#[derive(Debug, Clone)]
pub struct Paths {
    /// Directory holding the database.
    pub dir: PathBuf,
    pub db: PathBuf,
    pub key_file: PathBuf,
    /// The key file was named by `VAULT_KEY_FILE`, not found at its usual place.
    pub key_file_given: bool,
    /// `--database-url` / `VAULT_DATABASE_URL`: the vault is in PostgreSQL
    /// (only the key file stays local).
    pub database: Option<crate::store::DbUrl>,
}

impl Paths {
    /// `--vault-dir`, else `VAULT_DIR` (empty counts as unset, as for every
    /// variable vault reads), else the user's data and config directories.
    pub fn resolve(vault_dir: Option<&Path>) -> Result<Paths> {
        let from_env = std::env::var_os("VAULT_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from);
        let (dir, key_dir) = match vault_dir.map(Path::to_path_buf).or(from_env) {
            Some(d) => (d.clone(), d),
            None => {
                let absolute = |d: Option<PathBuf>, what: &str| {
                    d.filter(|d| d.is_absolute()).ok_or_else(|| {
                        Error::other(format!(
                            "cannot find your {what} directory (HOME is unset or not an absolute path)"
                        ))
                        .hint("pass --vault-dir DIR or set VAULT_DIR")
                    })
                };
                let data = absolute(dirs::data_dir(), "data")?;
                let config = absolute(dirs::config_dir(), "config")?;
                (data.join("vault"), config.join("vault"))
            }
        };
        let (key_file, key_file_given) = match std::env::var_os("VAULT_KEY_FILE") {
            Some(p) if !p.is_empty() => (PathBuf::from(p), true),
            _ => (key_dir.join(KEY_FILE), false),
        };
        Ok(Paths {
            db: dir.join(DB_FILE),
            dir,
            key_file,
            key_file_given,
            database: None,
        })
    }
}

impl Paths {
    /// Where the vault is, for messages: the file, or the PostgreSQL vault
    /// (never a password).
    pub fn location(&self) -> String {
        match &self.database {
            Some(u) => u.shown(),
            None => self.db.display().to_string(),
        }
    }

    /// The vault may exist: its file does, or it is on a server (which only
    /// opening it tells).
    pub fn vault_may_exist(&self) -> bool {
        self.database.is_some() || self.db.exists()
    }
}

/// Create `dir` (and missing parents) with mode 0700; check an existing one is safe.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    let existed = fs::symlink_metadata(dir).is_ok();
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) => return Err(Error::io("create the directory", dir, e)),
    }
    check_dir_safe(dir)?;
    // vault makes its own directories 0700. One the user made is theirs to
    // change (it may be a project directory), so only say what others see.
    // Once per process: with --vault-dir the key file's directory is the
    // same directory, checked twice.
    static NOTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if existed {
        if let Ok(meta) = fs::metadata(dir) {
            if meta.mode() & 0o077 != 0 && !NOTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprintln!(
                    "note: {} is readable by other users (mode {:o}): they cannot read the vault, but can see it is there; `chmod 700 {}` hides it",
                    dir.display(),
                    meta.mode() & 0o777,
                    shell_quote_path(dir)
                );
            }
        }
    }
    Ok(())
}

/// Refuse a vault database (or its WAL files) that is a symbolic link, a
/// directory or anything but a regular file, with a message saying which:
/// SQLite's own "unable to open database file" says none of it.
pub fn check_db_files(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        let what = if meta.file_type().is_symlink() {
            "a symbolic link; vault does not follow links for its database files"
        } else if meta.is_dir() {
            "a directory"
        } else if !meta.is_file() {
            "not a regular file (a FIFO, socket or device)"
        } else {
            continue;
        };
        return Err(Error::other(format!("{} is {what}", p.display()))
            .hint("put the real vault.db there (or move the odd file aside), or point --vault-dir at your vault"));
    }
    Ok(())
}

/// Refuse (exit 5) a file or directory that another user owns.
fn check_owner(meta: &fs::Metadata, what: &str, path: &Path, fix: &str) -> Result<()> {
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() == me {
        return Ok(());
    }
    Err(Error::locked(format!(
        "{what} {} belongs to another user (uid {})",
        path.display(),
        meta.uid()
    ))
    .hint(fix.to_owned()))
}

/// Refuse a vault directory owned by someone else or writable by others: they
/// could swap the database or key file under us.
pub fn check_dir_safe(dir: &Path) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| Error::io("inspect", dir, e))?;
    if !meta.is_dir() {
        return Err(
            Error::other(format!("{} is not a directory", dir.display()))
                .hint("point --vault-dir at a directory"),
        );
    }
    // Root too: a directory another user owns lets that user swap in a
    // vault (and the PATH or BASH_ENV it injects) that root would then run.
    check_owner(
        &meta,
        "the vault directory",
        dir,
        "use a vault directory that you own",
    )?;
    // Sticky (1777, like /tmp) is no excuse: others can still plant files.
    if meta.mode() & 0o022 != 0 {
        return Err(Error::locked(format!(
            "the vault directory {} is writable by other users",
            dir.display()
        ))
        .hint(format!("run `chmod 700 {}`", shell_quote_path(dir))));
    }
    Ok(())
}

/// Create a new file with mode 0600, refusing to follow or replace anything.
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// Publish `contents` at `path` atomically and privately, only if nothing is
/// there yet: write a 0600 temporary file beside it, fsync, then hard-link it
/// into place (link fails if the name exists, so a concurrent writer wins
/// cleanly and a reader never sees a half-written file). Returns false when
/// `path` already existed.
pub fn publish_new_file(path: &Path, contents: &[u8]) -> Result<bool> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("vault"),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        let mut f = create_private_file(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("create", path, e)),
    }
}

/// `path` with the directories above it resolved (symbolic links, `..`),
/// the last component left as it is. Opening the result with O_NOFOLLOW
/// (or SQLite's NOFOLLOW, which refuses a link in *any* component) then
/// refuses a link at the file itself, and only there: a linked home
/// (`/home -> /var/home`), data dir or `--vault-dir` works like a real one.
pub fn real_path(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(fs::canonicalize(parent)?.join(name))
}

/// Whether an open failed because the last component is a symbolic link
/// (O_NOFOLLOW gives ELOOP).
fn is_link_refusal(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// Read a key file, refusing one that others can read or write, one owned by
/// another user, a symbolic link (a link planted at vault.key could lend
/// this vault another vault's key) and anything that is not a regular file.
/// Links in the directories above the file are fine.
pub fn read_key_file(path: &Path) -> Result<zeroize::Zeroizing<String>> {
    let not_found = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => Error::locked(format!("no key file at {}", path.display()))
            .hint("set VAULT_KEY or VAULT_KEY_FILE, or pass --vault-dir for the vault you mean"),
        _ => Error::io("read the key file", path, e),
    };
    let real = real_path(path).map_err(not_found)?;
    let f = OpenOptions::new()
        .read(true)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(&real)
        .map_err(|e| {
            if is_link_refusal(&e) {
                key_file_is_link(path)
            } else {
                not_found(e)
            }
        })?;
    let meta = f.metadata().map_err(|e| Error::io("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::locked(format!(
            "the key file {} is not a regular file",
            path.display()
        ))
        .hint("point VAULT_KEY_FILE (or --vault-dir) at the vault.key file written when the vault was created"));
    }
    check_owner(
        &meta,
        "the key file",
        path,
        "use a key file you own: whoever owns it can replace it",
    )?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::locked(format!(
            "the key file {} is readable or writable by other users (mode {:o})",
            path.display(),
            meta.permissions().mode() & 0o777
        ))
        .hint(format!(
            "run `chmod 600 {}` — and consider the key exposed if others could read it",
            shell_quote_path(path)
        )));
    }
    if meta.len() > 4096 {
        return Err(Error::locked(format!(
            "{} is too large to be a vault key file",
            path.display()
        )));
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(128));
    use std::io::Read;
    (&f).take(4097)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read the key file", path, e))?;
    // Not text is as malformed as a bad prefix: exit 5 (FORMAT.md), and
    // the bytes are never shown.
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::locked(format!(
            "{} is not a vault key: it is not text",
            path.display()
        ))
        .hint(format!(
            "a key is one line `{}` followed by base64 of 32 bytes, as written by `vault init`; restore vault.key from your backup",
            crate::crypto::keyfile::PREFIX
        ))
    })?;
    Ok(zeroize::Zeroizing::new(text.to_owned()))
}

/// The refusal of a symbolic link at the key file's own name.
pub fn key_file_is_link(path: &Path) -> Error {
    let e = Error::locked(format!(
        "the key file {} is a symbolic link; vault does not follow a link at the key file (a planted link could hand this vault another vault's key)",
        path.display()
    ));
    match fs::canonicalize(path) {
        Ok(target) => e.hint(format!(
            "if {} is your key, name it directly: VAULT_KEY_FILE={}; otherwise remove the link",
            target.display(),
            shell_quote_path(&target)
        )),
        Err(_) => e.hint(format!(
            "remove the link (`rm {}`) and restore vault.key from your backup",
            shell_quote_path(path)
        )),
    }
}

/// Whether a symbolic link (dangling or not) is at `path`.
pub fn is_link(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether something (a file, a link, even a dangling one) is at `path`.
pub fn something_at(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// The directories `create_dir_all(dir)` would make, deepest first: what to
/// remove again when a first use fails, so that it leaves nothing behind.
pub fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d {
        if p.as_os_str().is_empty() || something_at(p) {
            break;
        }
        out.push(p.to_path_buf());
        d = p.parent();
    }
    out
}

/// Remove directories listed by [`missing_dirs`] if they are still empty.
pub fn remove_dirs(dirs: &[PathBuf]) {
    for d in dirs {
        let _ = fs::remove_dir(d);
    }
}

/// Hold an exclusive lock on the vault directory while a vault is created
/// there, so that a second process never sees the new key file without its
/// database (and takes that for a lost vault.db). Released on drop.
pub fn lock_dir(dir: &Path) -> Result<File> {
    let f = File::open(dir).map_err(|e| Error::io("open the directory", dir, e))?;
    rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| Error::io("lock the directory", dir, e.into()))?;
    Ok(f)
}

/// The mount point of the read-only file system holding `dir`, if it is on one.
pub fn read_only_mount(dir: &Path) -> Option<PathBuf> {
    let st = rustix::fs::statvfs(dir).ok()?;
    if !st.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
        return None;
    }
    Some(mount_point(dir))
}

/// The directory where the file system holding `dir` is mounted: the
/// highest ancestor on the same device.
pub fn mount_point(dir: &Path) -> PathBuf {
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Ok(dev) = fs::metadata(&dir).map(|m| m.dev()) else {
        return dir;
    };
    let mut top = dir.clone();
    while let Some(parent) = top.parent() {
        match fs::metadata(parent) {
            Ok(m) if m.dev() == dev => top = parent.to_path_buf(),
            _ => break,
        }
    }
    top
}

/// The error for a change to a vault on a read-only file system.
pub fn read_only_fs_error(db: &Path, mount: &Path) -> Error {
    Error::other(format!(
        "the vault at {} is on a read-only file system (mounted at {}): vault can show it but not change it",
        db.display(),
        mount.display()
    ))
    .hint(format!(
        "remount it read-write (`mount -o remount,rw {}`), or copy the vault directory to a writable place and pass --vault-dir",
        shell_quote_path(mount)
    ))
}

/// Say once (on stderr) that vault.db has more than one name. SQLite keeps
/// its journal (`-wal`) and lock file (`-shm`) by name, so two names for one
/// database let two processes miss each other's locks and lose or corrupt
/// changes (SQLite's "How To Corrupt" guide, 2.5). A warning, not a refusal:
/// the vault itself is fine, and refusing would lock the user out of it.
pub fn warn_if_hard_linked(db: &Path, real: &Path) {
    let Ok(meta) = fs::symlink_metadata(real) else {
        return;
    };
    if meta.nlink() > 1 {
        eprintln!(
            "warning: {} has {} names (hard links); SQLite tracks its locks and journal by name, so using the vault under two names can lose or corrupt changes",
            db.display(),
            meta.nlink()
        );
        eprintln!(
            "hint: keep one name: find the others with `find / -xdev -samefile {}` and remove them (copy the file instead if you need a second one)",
            shell_quote_path(db)
        );
    }
}

/// Quote a path for a shell command shown in a hint.
pub fn shell_quote_path(p: &Path) -> String {
    let s = p.display().to_string();
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+~".contains(&b))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
