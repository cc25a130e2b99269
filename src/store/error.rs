//! The store's own errors: what went wrong in the engine, in terms the vault
//! layer can act on, with no engine type in them. `From<StoreError>` words
//! each one for a person (the `error:` and `hint:` lines), once, for every
//! engine.

use crate::error::Error;

/// A storage failure.
#[derive(Debug)]
pub enum StoreError {
    /// Another command held the write lock past the busy timeout.
    Busy,
    /// The disk is full; the transaction was rolled back.
    DiskFull,
    /// The database or what the engine must write beside it is read-only.
    ReadOnly,
    /// The operating system failed a read or write.
    Io(String),
    /// Not a database, or a damaged one.
    Corrupt,
    /// The database could not be opened at all.
    CannotOpen(String),
    /// A record breaks the schema's rules (an edited or damaged database).
    Damaged(String),
    /// Detected by the store and already worded for the user (a vault of a
    /// newer format, a file that holds no vault, a failed create).
    Refused(Error),
    /// Anything else the engine reported.
    Other(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Busy => Error::other(
                "vault busy: another vault command kept the database locked for too long",
            )
            .hint("wait for the other command to finish, then try again"),
            StoreError::DiskFull => Error::other("the disk is full; nothing was written")
                .hint("free some disk space and try again"),
            // Reads hit this too: SQLite's WAL needs vault.db-wal and -shm.
            StoreError::ReadOnly => Error::other(
                "the vault database or its directory is read-only (vault needs to write vault.db-wal and vault.db-shm beside vault.db, even to read)",
            )
            .hint("make the vault directory and its files writable by you, or copy the vault to a writable place and use --vault-dir"),
            StoreError::Io(detail) => Error::other(format!(
                "the vault database could not be read or written: {detail}"
            ))
            .hint("check that the disk is not full (`df -h` on the vault directory) and the file system is healthy; nothing was written"),
            StoreError::Corrupt => Error::other("the vault database is damaged or is not a vault database")
                .hint("restore vault.db from a backup (and remove vault.db-wal and vault.db-shm beside it); vault never re-initialises a damaged vault on its own"),
            StoreError::CannotOpen(detail) => Error::other(format!(
                "cannot open the vault database: {detail}"
            ))
            .hint("check that the vault directory exists and is writable"),
            StoreError::Damaged(what) => Error::integrity(what)
                .hint("the database is damaged or was edited; restore vault.db from a backup"),
            StoreError::Refused(e) => e,
            StoreError::Other(detail) => Error::other(format!("database error: {detail}")),
        }
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> StoreError {
        StoreError::Refused(e)
    }
}
