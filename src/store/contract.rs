//! The storage contract: what every engine behind [`Backend`] must do, as
//! tests written against the interface only. Each engine runs the whole
//! suite through `contract_suite!` with a factory for a fresh, empty vault
//! and a way to open a second connection to it; the SQLite engine's run is
//! at the bottom. Nothing here knows SQL or cryptography: values are opaque
//! bytes, as the store sees them.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::{Audience, AuditFilter, AuditRow, Backend, SecretRow, StoredValue, Tagged, Tx};
use crate::error::{Error, Result};
use crate::model::{Kind, Scope};

/// One engine under test: a fresh vault, and further connections to it.
pub trait Engine: Send + Sync {
    type Store: Backend;
    /// A new, empty vault (one key slot, vault id `VAULT_ID`).
    fn fresh(&self) -> Self::Store;
    /// Another connection to the vault the last `fresh` made.
    fn connect(&self) -> Self::Store;
    /// The engine can be tested here (a server-based one may be missing on
    /// a developer machine: it says so and the test passes as skipped).
    fn available(&self) -> bool {
        true
    }
}

/// Run one contract test if the engine is available.
pub fn with<E: Engine>(e: E, f: impl FnOnce(&E)) {
    if e.available() {
        f(&e)
    }
}

pub const VAULT_ID: &[u8] = b"contract-vault-1";

fn sealed(tag: u8) -> StoredValue {
    StoredValue::Sealed {
        nonce: vec![tag; 12],
        ciphertext: vec![tag; 24],
    }
}

fn row(name: &str, scope: Scope, version: u64) -> SecretRow {
    SecretRow {
        env: String::new(),
        name: name.to_owned(),
        kind: Kind::Secret,
        scope,
        description: format!("about {name}"),
        provider: None,
        version,
        created: "2026-01-01T00:00:00Z".to_owned(),
        updated: "2026-01-01T00:00:00Z".to_owned(),
        value: sealed(0),
    }
}

/// Create `name` at version 1 (or its next version) with a sealed value tagged `tag`.
fn put(tx: &Tx<'_>, name: &str, scope: Scope, tag: u8) -> Result<u64> {
    let v = tx.max_version("", name)? + 1;
    tx.insert_version("", name, v, &sealed(tag), "2026-01-01T00:00:00Z")?;
    tx.upsert_secret(&row(name, scope, v))?;
    Ok(v)
}

fn names(rows: &[SecretRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

pub fn fresh_vault_has_its_id_and_one_slot(e: &impl Engine) {
    let mut s = e.fresh();
    let (id, slots, format) = s
        .read(|tx| Ok((tx.vault_id()?, tx.slots()?, tx.meta("format")?)))
        .unwrap();
    assert_eq!(id, VAULT_ID);
    assert_eq!(slots.len(), 1);
    assert_eq!(format.as_deref(), Some(&b"1"[..]));
}

pub fn meta_round_trips_and_overwrites(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| Ok(tx.set_meta("policy_tag", b"one")?))
        .unwrap();
    s.write(|tx| Ok(tx.set_meta("policy_tag", &[0, 1, 2, 255])?))
        .unwrap();
    let v = s.read(|tx| Ok(tx.meta("policy_tag")?)).unwrap();
    assert_eq!(v.as_deref(), Some(&[0u8, 1, 2, 255][..]));
    assert_eq!(s.read(|tx| Ok(tx.meta("no-such-key")?)).unwrap(), None);
}

/// `set_format` writes what the open-time format check reads: rewritten as
/// 1, another connection (which reads format 1 only) still opens; as 2,
/// `meta` reads it back as decimal text like every integer.
pub fn set_format_is_what_open_checks(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| Ok(tx.set_format(1)?)).unwrap();
    let mut other = e.connect();
    let f = other.read(|tx| Ok(tx.meta("format")?)).unwrap();
    assert_eq!(f.as_deref(), Some(&b"1"[..]));
    s.write(|tx| Ok(tx.set_format(2)?)).unwrap();
    let f = s.read(|tx| Ok(tx.meta("format")?)).unwrap();
    assert_eq!(f.as_deref(), Some(&b"2"[..]));
}

/// A fresh vault is at the engine's current schema version (4: row tags, 5: agent keys).
pub fn schema_version_is_the_current_one(e: &impl Engine) {
    let mut s = e.fresh();
    // SQLite 5; PostgreSQL 6 (team members: tables, roles and row-level security of its own).
    let v = s.read(|tx| Ok(tx.schema_version()?)).unwrap();
    assert!(
        [5, crate::store::postgres::SCHEMA_VERSION].contains(&v),
        "schema {v}"
    );
}

pub fn versions_are_kept_and_the_current_one_is_served(e: &impl Engine) {
    let mut s = e.fresh();
    for tag in 1..=3 {
        s.write(|tx| put(tx, "API_KEY", Scope::Global, tag))
            .unwrap();
    }
    let (cur, all, max) = s
        .read(|tx| {
            Ok((
                tx.secret("", "API_KEY")?,
                tx.versions("", "API_KEY")?,
                tx.max_version("", "API_KEY")?,
            ))
        })
        .unwrap();
    let cur = cur.unwrap();
    assert_eq!(cur.version, 3);
    assert_eq!(max, 3);
    assert!(matches!(cur.value, StoredValue::Sealed { ref nonce, .. } if nonce == &vec![3u8; 12]));
    assert_eq!(all.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(
        s.read(|tx| Ok(tx.secret("", "NOPE")?))
            .unwrap()
            .map(|r| r.name),
        None
    );
}

pub fn inserted_secrets_read_back_like_upserted_ones(e: &impl Engine) {
    let mut s = e.fresh();
    let mut var = row("B_VAR", Scope::Agent, 1);
    var.kind = Kind::Variable;
    var.provider = Some("openai".to_owned());
    var.value = StoredValue::Plain(Zeroizing::new("plain".to_owned()));
    let mut sec = row("A_KEY", Scope::Global, 4);
    sec.value = sealed(7);
    sec.created = "2026-01-03T00:00:00Z".to_owned();
    s.write(|tx| Ok(tx.insert_secrets(&[var.clone(), sec.clone()], None)?))
        .unwrap();
    let (all, hist) = s
        .read(|tx| Ok((tx.secrets(Audience::Everything)?, tx.history("", "A_KEY")?)))
        .unwrap();
    assert_eq!(names(&all), ["A_KEY", "B_VAR"]);
    assert_eq!((all[0].version, all[0].scope), (4, Scope::Global));
    assert_eq!(all[0].created, "2026-01-03T00:00:00Z");
    assert!(
        matches!(all[0].value, StoredValue::Sealed { ref nonce, .. } if nonce == &vec![7u8; 12])
    );
    assert_eq!((all[1].kind, all[1].scope), (Kind::Variable, Scope::Agent));
    assert_eq!(all[1].provider.as_deref(), Some("openai"));
    assert_eq!(all[1].description, "about B_VAR");
    assert!(matches!(all[1].value, StoredValue::Plain(ref p) if p.as_str() == "plain"));
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].created, "2026-01-03T00:00:00Z");
    // A name that exists fails the whole transaction.
    let again = s.write(|tx| {
        tx.insert_secrets(&[row("C_NEW", Scope::Global, 1)], None)?;
        Ok(tx.insert_secrets(&[sec.clone()], None)?)
    });
    assert!(again.is_err());
    let names_after = s.read(|tx| Ok(tx.secret_names()?)).unwrap();
    assert_eq!(names_after, ["A_KEY", "B_VAR"]);
}

pub fn history_gives_every_version_with_its_time(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        tx.insert_version("", "K", 1, &sealed(1), "2026-01-01T00:00:00Z")?;
        tx.insert_version(
            "",
            "K",
            2,
            &StoredValue::Plain(Zeroizing::new("plain".to_owned())),
            "2026-01-02T00:00:00Z",
        )?;
        tx.upsert_secret(&row("K", Scope::Global, 2))?;
        Ok(())
    })
    .unwrap();
    let h = s.read(|tx| Ok(tx.history("", "K")?)).unwrap();
    assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(h[0].created, "2026-01-01T00:00:00Z");
    assert_eq!(h[1].created, "2026-01-02T00:00:00Z");
    assert!(matches!(h[0].value, StoredValue::Sealed { ref nonce, .. } if nonce == &vec![1u8; 12]));
    assert!(matches!(h[1].value, StoredValue::Plain(ref p) if p.as_str() == "plain"));
    assert!(s.read(|tx| Ok(tx.history("", "NOPE")?)).unwrap().is_empty());
}

pub fn slots_are_added_and_removed(e: &impl Engine) {
    let mut s = e.fresh();
    let slot = super::SlotRow {
        id: 0,
        kind: "passphrase".to_owned(),
        kdf: Some("argon2id:m=64,t=2,p=2".to_owned()),
        salt: Some(vec![7; 16]),
        nonce: vec![8; 12],
        wrapped: vec![9; 48],
        check: vec![10; 16],
    };
    let id = s.write(|tx| Ok(tx.insert_slot(&slot)?)).unwrap();
    let slots = s.read(|tx| Ok(tx.slots()?)).unwrap();
    assert_eq!(slots.len(), 2);
    let added = slots.iter().find(|x| x.id == id).unwrap();
    assert_eq!(added.kind, "passphrase");
    assert_eq!(added.kdf, slot.kdf);
    assert_eq!(added.salt, slot.salt);
    assert_eq!(
        (&added.nonce, &added.wrapped, &added.check),
        (&slot.nonce, &slot.wrapped, &slot.check)
    );
    let first = slots.iter().find(|x| x.id != id).unwrap().id;
    assert!(s.write(|tx| Ok(tx.delete_slot(first)?)).unwrap());
    assert!(!s.write(|tx| Ok(tx.delete_slot(first)?)).unwrap());
    let left = s.read(|tx| Ok(tx.slots()?)).unwrap();
    assert_eq!(left.iter().map(|x| x.id).collect::<Vec<_>>(), [id]);
    // A failed write adds and removes nothing.
    let failed: Result<()> = s.write(|tx| {
        tx.insert_slot(&slot)?;
        tx.delete_slot(id)?;
        Err(Error::other("abort"))
    });
    assert!(failed.is_err());
    let after = s.read(|tx| Ok(tx.slots()?)).unwrap();
    assert_eq!(after.iter().map(|x| x.id).collect::<Vec<_>>(), [id]);
}

pub fn plain_and_sealed_values_round_trip(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        tx.insert_version(
            "",
            "LOG_LEVEL",
            1,
            &StoredValue::Plain(Zeroizing::new("debug".to_owned())),
            "t",
        )?;
        let mut r = row("LOG_LEVEL", Scope::Global, 1);
        r.kind = Kind::Variable;
        tx.upsert_secret(&r)?;
        Ok(())
    })
    .unwrap();
    let got = s
        .read(|tx| Ok(tx.secret("", "LOG_LEVEL")?))
        .unwrap()
        .unwrap();
    assert_eq!(got.kind, Kind::Variable);
    assert!(matches!(got.value, StoredValue::Plain(ref p) if p.as_str() == "debug"));
    // A kind change rewrites the stored form of a version in place.
    s.write(|tx| Ok(tx.replace_version("", "LOG_LEVEL", 1, &sealed(9))?))
        .unwrap();
    let got = s
        .read(|tx| Ok(tx.secret("", "LOG_LEVEL")?))
        .unwrap()
        .unwrap();
    assert!(
        matches!(got.value, StoredValue::Sealed { ref ciphertext, .. } if ciphertext == &vec![9u8; 24])
    );
}

pub fn metadata_update_keeps_created(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| put(tx, "K", Scope::Global, 1)).unwrap();
    s.write(|tx| {
        let mut r = row("K", Scope::Agent, 1);
        r.created = "2030-01-01T00:00:00Z".to_owned();
        r.updated = "2030-01-02T00:00:00Z".to_owned();
        r.description = "changed".to_owned();
        r.provider = Some("openai".to_owned());
        Ok(tx.upsert_secret(&r)?)
    })
    .unwrap();
    let got = s.read(|tx| Ok(tx.secret("", "K")?)).unwrap().unwrap();
    assert_eq!(got.created, "2026-01-01T00:00:00Z");
    assert_eq!(got.updated, "2030-01-02T00:00:00Z");
    assert_eq!(got.scope, Scope::Agent);
    assert_eq!(got.description, "changed");
    assert_eq!(got.provider.as_deref(), Some("openai"));
}

pub fn an_agent_sees_globals_and_its_grants_only(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put(tx, "GLOBAL_A", Scope::Global, 1)?;
        put(tx, "MINE", Scope::Agent, 2)?;
        put(tx, "THEIRS", Scope::Agent, 3)?;
        assert!(tx.create_agent("bot", "", "", "t")?);
        assert!(tx.create_agent("other", "", "", "t")?);
        assert!(tx.grant("bot", "MINE", "t")?);
        assert!(tx.grant("other", "THEIRS", "t")?);
        Ok(())
    })
    .unwrap();
    let (bot, everything) = s
        .read(|tx| {
            Ok((
                tx.secrets(Audience::Agent("bot"))?,
                tx.secrets(Audience::Everything)?,
            ))
        })
        .unwrap();
    assert_eq!(names(&bot), ["GLOBAL_A", "MINE"]);
    assert_eq!(names(&everything), ["GLOBAL_A", "MINE", "THEIRS"]);
    let policy = s.read(|tx| Ok(tx.policy_rows()?)).unwrap();
    assert_eq!(names(&policy), ["GLOBAL_A", "MINE", "THEIRS"]);
    assert_eq!(
        s.read(|tx| Ok(tx.all_grants()?)).unwrap(),
        [
            ("bot".to_owned(), "MINE".to_owned()),
            ("other".to_owned(), "THEIRS".to_owned())
        ]
    );
}

pub fn grants_and_agents_report_what_changed(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put(tx, "K", Scope::Agent, 1)?;
        assert!(tx.create_agent("b-bot", "second", "", "t")?);
        assert!(tx.create_agent("a-bot", "first", "", "t")?);
        assert!(
            !tx.create_agent("a-bot", "again", "", "t")?,
            "a duplicate agent is refused"
        );
        assert!(tx.grant("b-bot", "K", "t")?);
        assert!(tx.grant("a-bot", "K", "t")?);
        assert!(
            !tx.grant("a-bot", "K", "t")?,
            "a duplicate grant changes nothing"
        );
        Ok(())
    })
    .unwrap();
    let (grantees, agents) = s.read(|tx| Ok((tx.grantees("K")?, tx.agents()?))).unwrap();
    assert_eq!(grantees, ["a-bot", "b-bot"]);
    assert_eq!(
        agents.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["a-bot", "b-bot"]
    );
    assert_eq!(agents[0].description, "first");
    s.write(|tx| {
        assert!(tx.revoke("a-bot", "K")?);
        assert!(!tx.revoke("a-bot", "K")?);
        Ok(())
    })
    .unwrap();
    assert_eq!(s.read(|tx| Ok(tx.grantees("K")?)).unwrap(), ["b-bot"]);
    // Deleting an agent takes its grants with it.
    s.write(|tx| {
        assert!(tx.delete_agent("b-bot")?);
        assert!(!tx.delete_agent("b-bot")?);
        Ok(())
    })
    .unwrap();
    assert!(s.read(|tx| Ok(tx.grantees("K")?)).unwrap().is_empty());
    assert!(s.read(|tx| Ok(tx.agent("b-bot")?)).unwrap().is_none());
}

pub fn deliveries_track_what_an_agent_last_received(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put(tx, "SHARED", Scope::Global, 1)?;
        put(tx, "OWN", Scope::Agent, 1)?;
        tx.create_agent("bot", "", "", "t")?;
        tx.grant("bot", "OWN", "t")?;
        Ok(())
    })
    .unwrap();
    assert!(s
        .read(|tx| Ok(tx.deliveries("bot", "")?))
        .unwrap()
        .is_empty());
    s.write(|tx| Ok(tx.record_delivery("bot", "", &[("SHARED", "", 1), ("OWN", "", 1)], "t2")?))
        .unwrap();
    s.write(|tx| Ok(tx.record_delivery("bot", "production", &[("OWN", "production", 4)], "t3")?))
        .unwrap();
    let shared = s.read(|tx| Ok(tx.deliveries("bot", "")?)).unwrap();
    assert_eq!(
        shared
            .iter()
            .map(|d| (
                d.secret.as_str(),
                d.source.as_str(),
                d.version,
                d.delivered.as_str()
            ))
            .collect::<Vec<_>>(),
        [("OWN", "", 1, "t2"), ("SHARED", "", 1, "t2")]
    );
    let prod = s
        .read(|tx| Ok(tx.deliveries("bot", "production")?))
        .unwrap();
    assert_eq!(
        prod.iter()
            .map(|d| (d.secret.as_str(), d.source.as_str(), d.version))
            .collect::<Vec<_>>(),
        [("OWN", "production", 4)]
    );
    // A later run in the same environment replaces the record.
    s.write(|tx| Ok(tx.record_delivery("bot", "", &[("OWN", "", 2)], "t4")?))
        .unwrap();
    let shared = s.read(|tx| Ok(tx.deliveries("bot", "")?)).unwrap();
    let own = shared.iter().find(|d| d.secret == "OWN").unwrap();
    assert_eq!((own.version, own.delivered.as_str()), (2, "t4"));
    assert_eq!(s.read(|tx| Ok(tx.grants("bot")?)).unwrap(), ["OWN"]);
    let agent = s.read(|tx| Ok(tx.agent("bot")?)).unwrap().unwrap();
    assert_eq!(agent.last_run.as_deref(), Some("t4"));
}

pub fn deleting_a_secret_takes_versions_grants_and_deliveries(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put(tx, "GONE", Scope::Agent, 1)?;
        put(tx, "GONE", Scope::Agent, 2)?;
        tx.create_agent("bot", "", "", "t")?;
        tx.grant("bot", "GONE", "t")?;
        tx.record_delivery("bot", "", &[("GONE", "", 2)], "t")?;
        Ok(())
    })
    .unwrap();
    s.write(|tx| {
        assert!(tx.delete_secret("", "GONE")?);
        assert!(!tx.delete_secret("", "GONE")?);
        Ok(())
    })
    .unwrap();
    let (versions, grants, delivered, names) = s
        .read(|tx| {
            Ok((
                tx.versions("", "GONE")?,
                tx.all_grants()?,
                tx.deliveries("bot", "")?,
                tx.secret_names()?,
            ))
        })
        .unwrap();
    assert!(versions.is_empty() && grants.is_empty() && delivered.is_empty() && names.is_empty());
    // A name used again starts at version 1: history went with the secret.
    s.write(|tx| put(tx, "GONE", Scope::Global, 5)).unwrap();
    assert_eq!(s.read(|tx| Ok(tx.max_version("", "GONE")?)).unwrap(), 1);
}

/// Put version `tag` of `name` in `env` (its own numbering).
fn put_in(tx: &Tx<'_>, env: &str, name: &str, scope: Scope, tag: u8) -> Result<u64> {
    let v = tx.max_version(env, name)? + 1;
    tx.insert_version(env, name, v, &sealed(tag), "2026-01-01T00:00:00Z")?;
    let mut r = row(name, scope, v);
    r.env = env.to_owned();
    tx.upsert_secret(&r)?;
    Ok(v)
}

pub fn environments_keep_their_own_rows_and_versions(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put_in(tx, "", "DB_URL", Scope::Global, 1)?;
        put_in(tx, "production", "DB_URL", Scope::Agent, 2)?;
        put_in(tx, "production", "DB_URL", Scope::Agent, 3)?;
        put_in(tx, "staging", "ONLY_STAGING", Scope::Global, 4)?;
        assert!(tx.create_agent("deploy", "", "production", "t")?);
        assert!(tx.create_agent("plain", "", "", "t")?);
        Ok(())
    })
    .unwrap();
    let (shared, prod, none, all, names, envs, versions) = s
        .read(|tx| {
            Ok((
                tx.secret("", "DB_URL")?.unwrap(),
                tx.secret("production", "DB_URL")?.unwrap(),
                tx.secret("staging", "DB_URL")?,
                tx.policy_rows()?,
                tx.secret_names()?,
                tx.secret_envs("DB_URL")?,
                tx.versions("production", "DB_URL")?,
            ))
        })
        .unwrap();
    assert_eq!((shared.env.as_str(), shared.version), ("", 1));
    assert_eq!((prod.env.as_str(), prod.version), ("production", 2));
    assert!(matches!(prod.value, StoredValue::Sealed { ref nonce, .. } if nonce == &vec![3u8; 12]));
    assert_eq!(prod.scope, Scope::Agent);
    assert!(none.is_none());
    // By name, then environment, the shared row first.
    assert_eq!(
        all.iter()
            .map(|r| (r.name.as_str(), r.env.as_str()))
            .collect::<Vec<_>>(),
        [
            ("DB_URL", ""),
            ("DB_URL", "production"),
            ("ONLY_STAGING", "staging")
        ]
    );
    assert_eq!(names, ["DB_URL", "ONLY_STAGING"]);
    assert_eq!(envs, ["", "production"]);
    assert_eq!(versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
    let (pins, env_names, deploy) = s
        .read(|tx| Ok((tx.pins()?, tx.env_names()?, tx.agent("deploy")?.unwrap())))
        .unwrap();
    assert_eq!(pins, [("deploy".to_owned(), "production".to_owned())]);
    assert_eq!(env_names, ["production", "staging"]);
    assert_eq!(deploy.env, "production");
    // A kind change in one environment leaves the other's versions alone.
    s.write(|tx| Ok(tx.replace_version("production", "DB_URL", 1, &sealed(9))?))
        .unwrap();
    let shared_v1 = s.read(|tx| Ok(tx.versions("", "DB_URL")?)).unwrap();
    assert!(
        matches!(shared_v1[0].1, StoredValue::Sealed { ref nonce, .. } if nonce == &vec![1u8; 12])
    );
}

pub fn deleting_one_environment_keeps_the_name_and_its_grants(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put_in(tx, "", "K", Scope::Agent, 1)?;
        put_in(tx, "production", "K", Scope::Agent, 2)?;
        tx.create_agent("bot", "", "", "t")?;
        tx.grant("bot", "K", "t")?;
        tx.record_delivery("bot", "production", &[("K", "production", 1)], "t")?;
        tx.record_delivery("bot", "", &[("K", "", 1)], "t")?;
        Ok(())
    })
    .unwrap();
    s.write(|tx| {
        assert!(tx.delete_secret("production", "K")?);
        Ok(())
    })
    .unwrap();
    let (envs, grants, prod, shared, versions) = s
        .read(|tx| {
            Ok((
                tx.secret_envs("K")?,
                tx.grantees("K")?,
                tx.deliveries("bot", "production")?,
                tx.deliveries("bot", "")?,
                tx.versions("production", "K")?,
            ))
        })
        .unwrap();
    assert_eq!(envs, [""]);
    assert_eq!(grants, ["bot"]);
    assert!(
        prod.is_empty(),
        "the deleted row's delivery record went with it"
    );
    assert_eq!(shared.len(), 1);
    assert!(versions.is_empty());
    // The name's last row takes its grants and every delivery record.
    s.write(|tx| Ok(tx.delete_secret("", "K")?)).unwrap();
    let (grants, shared) = s
        .read(|tx| Ok((tx.all_grants()?, tx.deliveries("bot", "")?)))
        .unwrap();
    assert!(grants.is_empty() && shared.is_empty());
}

pub fn renaming_a_secret_moves_versions_grants_and_deliveries(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put(tx, "OLD", Scope::Agent, 1)?;
        put(tx, "OLD", Scope::Agent, 2)?;
        put_in(tx, "production", "OLD", Scope::Agent, 7)?;
        put(tx, "TAKEN", Scope::Global, 9)?;
        tx.create_agent("bot", "", "", "t")?;
        tx.grant("bot", "OLD", "t")?;
        tx.record_delivery("bot", "", &[("OLD", "", 2)], "t2")?;
        tx.record_delivery("bot", "production", &[("OLD", "production", 1)], "t2")?;
        Ok(())
    })
    .unwrap();
    s.write(|tx| {
        assert!(tx.rename_secret("OLD", "NEW")?);
        assert!(!tx.rename_secret("OLD", "OTHER")?, "no OLD any more");
        Ok(())
    })
    .unwrap();
    let (old, new, versions, history, grants, delivered, names) = s
        .read(|tx| {
            Ok((
                tx.secret("", "OLD")?,
                tx.secret("", "NEW")?.unwrap(),
                tx.versions("", "NEW")?,
                tx.history("", "OLD")?,
                tx.all_grants()?,
                tx.deliveries("bot", "")?,
                tx.secret_names()?,
            ))
        })
        .unwrap();
    assert!(old.is_none() && history.is_empty());
    assert_eq!((new.version, new.scope), (2, Scope::Agent));
    assert_eq!(new.description, "about OLD", "metadata comes along");
    let tags: Vec<(u64, u8)> = versions
        .iter()
        .map(|(v, s)| match s {
            StoredValue::Sealed { nonce, .. } => (*v, nonce[0]),
            StoredValue::Plain(_) => (*v, 0),
        })
        .collect();
    assert_eq!(tags, [(1, 1), (2, 2)], "every version, values as stored");
    assert_eq!(grants, [("bot".to_owned(), "NEW".to_owned())]);
    let got = delivered.iter().find(|d| d.secret == "NEW").unwrap();
    assert_eq!(got.version, 2);
    assert_eq!(names, ["NEW", "TAKEN"]);
    // Every environment's row moves with its own versions and deliveries.
    let (prod, prod_versions, prod_delivered, envs) = s
        .read(|tx| {
            Ok((
                tx.secret("production", "NEW")?,
                tx.versions("production", "NEW")?,
                tx.deliveries("bot", "production")?,
                tx.secret_envs("OLD")?,
            ))
        })
        .unwrap();
    assert_eq!(prod.map(|r| r.version), Some(1));
    assert_eq!(prod_versions.len(), 1);
    assert_eq!(prod_delivered[0].secret, "NEW");
    assert!(envs.is_empty());
    // Onto a name in use: refused, and the transaction changes nothing.
    let r: Result<bool> = s.write(|tx| Ok(tx.rename_secret("NEW", "TAKEN")?));
    assert!(r.is_err());
    let names = s.read(|tx| Ok(tx.secret_names()?)).unwrap();
    assert_eq!(names, ["NEW", "TAKEN"]);
}

pub fn a_failed_write_changes_nothing(e: &impl Engine) {
    let mut s = e.fresh();
    let r: Result<()> = s.write(|tx| {
        put(tx, "HALF", Scope::Global, 1)?;
        tx.create_agent("bot", "", "", "t")?;
        Err(Error::invalid("stop half-way"))
    });
    assert_eq!(
        r.unwrap_err().exit_code(),
        7,
        "the closure's error comes back as is"
    );
    let (names, agents) = s.read(|tx| Ok((tx.secret_names()?, tx.agents()?))).unwrap();
    assert!(names.is_empty() && agents.is_empty());
}

pub fn a_read_never_commits(e: &impl Engine) {
    let mut s = e.fresh();
    s.read(|tx| {
        put(tx, "DRY_RUN", Scope::Global, 1)?;
        Ok(())
    })
    .unwrap_or_default();
    assert!(s.read(|tx| Ok(tx.secret_names()?)).unwrap().is_empty());
}

pub fn a_write_is_seen_by_another_connection(e: &impl Engine) {
    let mut a = e.fresh();
    let mut b = e.connect();
    a.write(|tx| put(tx, "SEEN", Scope::Global, 1)).unwrap();
    assert_eq!(b.read(|tx| Ok(tx.secret_names()?)).unwrap(), ["SEEN"]);
}

/// `watch`: a commit on the store's own connection or another one is
/// reported (once), a read or a rolled-back write is not.
pub fn a_watch_reports_commits(e: &impl Engine) {
    use std::time::Duration;
    let quiet = Duration::from_millis(450);
    let soon = Duration::from_secs(5);
    let mut s = e.fresh();
    let mut w = s.watch().unwrap();
    assert!(!w.wait(quiet).unwrap(), "nothing was committed");
    let _ = s.read(|tx| {
        put(tx, "DRY", Scope::Global, 1)?;
        Ok(())
    });
    let r: Result<()> = s.write(|tx| {
        put(tx, "HALF", Scope::Global, 1)?;
        Err(Error::invalid("stop half-way"))
    });
    assert!(r.is_err());
    assert!(!w.wait(quiet).unwrap(), "a read or a rolled-back write");
    s.write(|tx| put(tx, "OWN", Scope::Global, 1)).unwrap();
    assert!(w.wait(soon).unwrap(), "a commit on the store's connection");
    assert!(!w.wait(quiet).unwrap(), "reported once");
    let mut other = e.connect();
    other
        .write(|tx| {
            tx.create_agent("bot", "", "", "t")?;
            Ok(tx.grant("bot", "OWN", "t")?)
        })
        .unwrap();
    assert!(w.wait(soon).unwrap(), "a commit on another connection");
}

/// `read_again` may continue an earlier snapshot, but never past a write:
/// this connection's own writes, a dry run's rollback, and (through `read`)
/// another connection's commits are all seen.
pub fn read_again_never_misses_a_write(e: &impl Engine) {
    let mut a = e.fresh();
    let mut b = e.connect();
    // A command's first looks, right after opening.
    let (id, names) = b
        .read_again(|tx| Ok((tx.vault_id()?, tx.secret_names()?)))
        .unwrap();
    assert_eq!(id, VAULT_ID);
    assert!(names.is_empty());
    assert!(b.read_again(|tx| Ok(tx.policy_rows()?)).unwrap().is_empty());
    a.write(|tx| put(tx, "OTHER", Scope::Global, 1)).unwrap();
    assert_eq!(
        b.read(|tx| Ok(tx.secret_names()?)).unwrap(),
        ["OTHER"],
        "read takes a new snapshot"
    );
    b.write(|tx| put(tx, "MINE", Scope::Global, 1)).unwrap();
    assert_eq!(
        names_of(b.read_again(|tx| Ok(tx.policy_rows()?)).unwrap()),
        ["MINE", "OTHER"],
        "a write ends the snapshot read_again could continue"
    );
    b.read(|tx| {
        put(tx, "DRY_RUN", Scope::Global, 1)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        b.read_again(|tx| Ok(tx.secret_names()?)).unwrap(),
        ["MINE", "OTHER"],
        "a dry run inside a read is rolled back, not continued"
    );
}

/// Each secret row with its format-2 tag, from one statement: untagged
/// rows `None`, a tag as it was set, in `policy_rows`' order and with its
/// fields; the same on a fresh read and on `read_again` (where an engine
/// may answer from what it fetched with its `BEGIN`).
pub fn rows_come_with_their_tags(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        put_in(tx, "", "B", Scope::Global, 1)?;
        put_in(tx, "prod", "B", Scope::Global, 2)?;
        put_in(tx, "", "A", Scope::Agent, 3)?;
        tx.set_row_tag(Tagged::Secrets, "prod", "B", &[7; 32])?;
        tx.set_row_tag(Tagged::Secrets, "", "A", &[9; 32])?;
        Ok(())
    })
    .unwrap();
    let expect = |tagged: &[(SecretRow, Option<Vec<u8>>)], plain: &[SecretRow]| {
        let keys: Vec<(&str, &str, Option<&[u8]>)> = tagged
            .iter()
            .map(|(r, t)| (r.env.as_str(), r.name.as_str(), t.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                ("", "A", Some(&[9u8; 32][..])),
                ("", "B", None),
                ("prod", "B", Some(&[7u8; 32][..])),
            ]
        );
        assert_eq!(tagged.len(), plain.len());
        for ((t, _), p) in tagged.iter().zip(plain) {
            assert_eq!(
                (&t.env, &t.name, t.kind, t.scope, &t.provider, t.version),
                (&p.env, &p.name, p.kind, p.scope, &p.provider, p.version)
            );
            assert_eq!(format!("{:?}", t.value), format!("{:?}", p.value));
        }
    };
    let (tagged, plain) = s
        .read(|tx| Ok((tx.tagged_policy_rows()?, tx.policy_rows()?)))
        .unwrap();
    expect(&tagged, &plain);
    let mut b = e.connect();
    let (tagged, plain) = b
        .read_again(|tx| Ok((tx.tagged_policy_rows()?, tx.policy_rows()?)))
        .unwrap();
    expect(&tagged, &plain);
    s.read(|tx| {
        let (row, tag) = tx.tagged_secret("prod", "B")?.unwrap();
        let plain = tx.secret("prod", "B")?.unwrap();
        assert_eq!(tag.as_deref(), Some(&[7u8; 32][..]));
        assert_eq!(
            (
                &row.env,
                &row.name,
                &row.description,
                &row.created,
                row.version
            ),
            (
                &plain.env,
                &plain.name,
                &plain.description,
                &plain.created,
                plain.version
            )
        );
        match row.value {
            StoredValue::Sealed { nonce, .. } => assert_eq!(nonce, vec![2; 12]),
            StoredValue::Plain(_) => panic!("a sealed value read back as plain"),
        }
        assert_eq!(tx.tagged_secret("", "B")?.unwrap().1, None);
        assert!(tx.tagged_secret("staging", "B")?.is_none());
        assert!(tx.tagged_secret("", "NONE")?.is_none());
        Ok(())
    })
    .unwrap();
}

fn names_of(rows: Vec<SecretRow>) -> Vec<String> {
    rows.into_iter().map(|r| r.name).collect()
}

/// Writers on several connections, each reading the latest version and
/// writing the next: with the write lock held for the whole closure, every
/// write lands and the versions have no gaps (what BEGIN IMMEDIATE gives on
/// SQLite, and row locks must give elsewhere).
pub fn concurrent_writers_lose_nothing<E: Engine + 'static>(e: Arc<E>) {
    const WRITERS: usize = 4;
    const EACH: usize = 25;
    e.fresh()
        .write(|tx| put(tx, "COUNTER", Scope::Global, 0).map(|_| ()))
        .unwrap();
    let threads: Vec<_> = (0..WRITERS)
        .map(|_| {
            let e = Arc::clone(&e);
            std::thread::spawn(move || {
                let mut s = e.connect();
                for _ in 0..EACH {
                    s.write(|tx| put(tx, "COUNTER", Scope::Global, 1).map(|_| ()))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let versions = e
        .connect()
        .read(|tx| Ok(tx.versions("", "COUNTER")?))
        .unwrap();
    let numbers: Vec<u64> = versions.iter().map(|(v, _)| *v).collect();
    let expected: Vec<u64> = (1..=(1 + WRITERS * EACH) as u64).collect();
    assert_eq!(numbers, expected);
}

fn audit_row(chain: u64, seq: u64, at: &str) -> AuditRow {
    AuditRow {
        chain,
        seq,
        at: at.to_owned(),
        action: "set".to_owned(),
        subject: format!("{{\"name\":\"S{seq}\"}}"),
        host: "h".to_owned(),
        prev: vec![seq as u8; 32],
        hash: vec![seq as u8 + 1; 32],
        sig: vec![7; 64],
    }
}

pub fn audit_entries_round_trip_per_chain(e: &impl Engine) {
    let mut s = e.fresh();
    assert_eq!(s.read(|tx| Ok(tx.audit_head(0)?)).unwrap(), None);
    s.write(|tx| {
        tx.append_audit(&audit_row(0, 1, "2026-01-01T00:00:00Z"))?;
        tx.append_audit(&audit_row(0, 2, "2026-01-02T00:00:00Z"))?;
        tx.append_audit(&audit_row(3, 1, "2026-01-03T00:00:00Z"))?;
        Ok(())
    })
    .unwrap();
    let (head0, head3, head9) = s
        .read(|tx| Ok((tx.audit_head(0)?, tx.audit_head(3)?, tx.audit_head(9)?)))
        .unwrap();
    assert_eq!(head0, Some((2, vec![3; 32])));
    assert_eq!(head3, Some((1, vec![2; 32])));
    assert_eq!(head9, None);
    let all = s
        .read(|tx| Ok(tx.audit_entries(&AuditFilter::default())?))
        .unwrap();
    assert_eq!(
        all,
        [
            audit_row(0, 1, "2026-01-01T00:00:00Z"),
            audit_row(0, 2, "2026-01-02T00:00:00Z"),
            audit_row(3, 1, "2026-01-03T00:00:00Z")
        ],
        "every field round-trips, ordered by chain then seq"
    );
    let cursor = AuditFilter {
        chain: Some(0),
        after_seq: Some(1),
        since: None,
    };
    let since = AuditFilter {
        since: Some("2026-01-02T00:00:00Z".to_owned()),
        ..AuditFilter::default()
    };
    let (after, recent) = s
        .read(|tx| Ok((tx.audit_entries(&cursor)?, tx.audit_entries(&since)?)))
        .unwrap();
    assert_eq!(
        after.iter().map(|r| (r.chain, r.seq)).collect::<Vec<_>>(),
        [(0, 2)]
    );
    assert_eq!(
        recent.iter().map(|r| (r.chain, r.seq)).collect::<Vec<_>>(),
        [(0, 2), (3, 1)]
    );
}

pub fn an_audit_seq_is_never_written_twice(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| Ok(tx.append_audit(&audit_row(0, 1, "t"))?))
        .unwrap();
    let again = s.write(|tx| Ok(tx.append_audit(&audit_row(0, 1, "u"))?));
    assert!(
        again.is_err(),
        "a second entry at the same (chain, seq) is refused"
    );
    let all = s
        .read(|tx| Ok(tx.audit_entries(&AuditFilter::default())?))
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].at, "t", "the first entry stays as it was");
}

pub fn pruning_takes_one_chains_prefix_only(e: &impl Engine) {
    let mut s = e.fresh();
    s.write(|tx| {
        for seq in 1..=4 {
            tx.append_audit(&audit_row(0, seq, "t"))?;
        }
        tx.append_audit(&audit_row(3, 1, "t"))?;
        Ok(())
    })
    .unwrap();
    let gone = s.write(|tx| Ok(tx.prune_audit(0, 2)?)).unwrap();
    assert_eq!(gone, 2);
    let left = s
        .read(|tx| Ok(tx.audit_entries(&AuditFilter::default())?))
        .unwrap();
    assert_eq!(
        left.iter().map(|r| (r.chain, r.seq)).collect::<Vec<_>>(),
        [(0, 3), (0, 4), (3, 1)],
        "later entries and other chains stay"
    );
    assert_eq!(
        s.read(|tx| Ok(tx.audit_head(0)?)).unwrap(),
        Some((4, vec![5; 32]))
    );
    assert_eq!(s.write(|tx| Ok(tx.prune_audit(0, 2)?)).unwrap(), 0);
}

fn agent_key_row(agent_id: u64, epoch: u64, tag: u8) -> super::AgentKeyRow {
    super::AgentKeyRow {
        agent_id,
        agent: String::new(),
        epoch,
        kem_pk: vec![tag; 32],
        sign_pk: vec![tag + 1; 32],
        created: "2026-01-01T00:00:00Z".to_owned(),
        expires: 99,
        revoked: None,
        made: "token".to_owned(),
    }
}

/// Agent ids are stable and never reused; the newest registration is the
/// agent's key; revoking drops its wraps and statement; deleting the agent
/// drops everything of it.
pub fn agent_keys_wraps_and_statements(e: &impl Engine) {
    use super::{AgentWrapRow, StatementRow};
    let mut s = e.fresh();
    let (a, b) = s
        .write(|tx| {
            for n in ["bot-a", "bot-b"] {
                tx.create_agent(n, "", "", "2026-01-01T00:00:00Z")?;
            }
            let a = tx.assign_agent_id("bot-a")?;
            assert_eq!(tx.assign_agent_id("bot-a")?, a);
            let b = tx.assign_agent_id("bot-b")?;
            assert_ne!(a, b);
            tx.insert_agent_key(&agent_key_row(a, 1, 1))?;
            tx.insert_agent_key(&agent_key_row(a, 2, 3))?;
            tx.insert_agent_key(&agent_key_row(b, 1, 5))?;
            for (id, ep) in [(a, 2), (b, 1)] {
                tx.put_keyring_wrap(id, ep, id, &[9; 80])?;
                tx.put_keyring_wrap(id, ep, 0, &[8; 80])?;
                tx.put_statement(&StatementRow {
                    agent_id: id,
                    policy_seq: 4,
                    signer: 0,
                    bytes: vec![id as u8; 10],
                    sig: vec![1; 64],
                })?;
            }
            put(tx, "A_KEY", Scope::Agent, 7)?;
            tx.put_agent_wrap(&AgentWrapRow {
                agent_id: a,
                epoch: 2,
                env: String::new(),
                name: "A_KEY".into(),
                version: 1,
                wrap: vec![6; 60],
            })?;
            Ok((a, b))
        })
        .unwrap();
    s.read(|tx| {
        let keys = tx.agent_keys()?;
        assert_eq!(keys.len(), 2);
        let ka = tx.agent_key("bot-a")?.expect("bot-a's key");
        assert_eq!((ka.agent_id, ka.epoch, ka.kem_pk[0]), (a, 2, 3));
        assert_eq!(ka.agent, "bot-a");
        assert_eq!(ka.expires, 99);
        assert_eq!(tx.keyring_wrap(a, 2, 0)?, Some(vec![8; 80]));
        assert_eq!(tx.keyring_wrap(a, 1, 0)?, None);
        assert_eq!(
            tx.agent_wrap_keys(a, 2)?,
            vec![(String::new(), "A_KEY".to_owned(), 1)]
        );
        let items = vec![
            (String::new(), "A_KEY".to_owned(), 1),
            (String::new(), "A_KEY".to_owned(), 5),
        ];
        let p = tx.agent_payload(a, 2, &items)?;
        assert_eq!(p.len(), 2);
        assert!(
            matches!(&p[0].0, Some(StoredValue::Sealed { nonce, .. }) if nonce == &vec![7; 12])
        );
        assert_eq!(p[0].1, Some(vec![6; 60]));
        assert!(p[1].0.is_none() && p[1].1.is_none());
        // In the order asked; a value this agent holds no wrap of still comes back.
        let p = tx.agent_payload(b, 1, &[items[1].clone(), items[0].clone()])?;
        assert_eq!(p.len(), 2);
        assert!(p[0].0.is_none() && p[0].1.is_none());
        assert!(
            matches!(&p[1].0, Some(StoredValue::Sealed { nonce, .. }) if nonce == &vec![7; 12])
        );
        assert_eq!(p[1].1, None, "bot-b holds no wrap of A_KEY");
        assert_eq!(tx.statement(b)?.map(|s| s.bytes), Some(vec![b as u8; 10]));
        Ok(())
    })
    .unwrap();
    s.write(|tx| {
        tx.revoke_agent_keys(a, "2026-02-01T00:00:00Z")?;
        tx.delete_agent_wrap(b, 1, "", "NONE", 1)?;
        Ok(())
    })
    .unwrap();
    s.read(|tx| {
        let ka = tx.agent_key("bot-a")?.expect("kept, revoked");
        assert_eq!(ka.revoked.as_deref(), Some("2026-02-01T00:00:00Z"));
        assert_eq!(tx.keyring_wrap(a, 2, a)?, None);
        assert!(tx.agent_wrap_keys(a, 2)?.is_empty());
        assert!(tx.statement(a)?.is_none());
        assert!(tx.statement(b)?.is_some());
        Ok(())
    })
    .unwrap();
    // A deleted agent's id is never given again.
    let c = s
        .write(|tx| {
            tx.delete_agent("bot-b")?;
            assert_eq!(tx.agent_id("bot-b")?, None);
            assert!(tx.statement(b)?.is_none());
            tx.create_agent("bot-b", "", "", "2026-01-01T00:00:00Z")?;
            Ok(tx.assign_agent_id("bot-b")?)
        })
        .unwrap();
    assert!(c != a && c != b, "ids are never reused");
}

/// Runs every contract test against one engine: `contract_suite!(module, engine_expr)`.
macro_rules! contract_suite {
    ($module:ident, $engine:expr) => {
        mod $module {
            use super::*;
            #[test]
            fn fresh_vault_has_its_id_and_one_slot() {
                super::with($engine, super::fresh_vault_has_its_id_and_one_slot)
            }
            #[test]
            fn meta_round_trips_and_overwrites() {
                super::with($engine, super::meta_round_trips_and_overwrites)
            }
            #[test]
            fn set_format_is_what_open_checks() {
                super::with($engine, super::set_format_is_what_open_checks)
            }
            #[test]
            fn schema_version_is_the_current_one() {
                super::with($engine, super::schema_version_is_the_current_one)
            }
            #[test]
            fn versions_are_kept_and_the_current_one_is_served() {
                super::with(
                    $engine,
                    super::versions_are_kept_and_the_current_one_is_served,
                )
            }
            #[test]
            fn plain_and_sealed_values_round_trip() {
                super::with($engine, super::plain_and_sealed_values_round_trip)
            }
            #[test]
            fn inserted_secrets_read_back_like_upserted_ones() {
                super::inserted_secrets_read_back_like_upserted_ones(&$engine)
            }
            #[test]
            fn history_gives_every_version_with_its_time() {
                super::with($engine, super::history_gives_every_version_with_its_time)
            }
            #[test]
            fn slots_are_added_and_removed() {
                super::with($engine, super::slots_are_added_and_removed)
            }
            #[test]
            fn metadata_update_keeps_created() {
                super::with($engine, super::metadata_update_keeps_created)
            }
            #[test]
            fn an_agent_sees_globals_and_its_grants_only() {
                super::with($engine, super::an_agent_sees_globals_and_its_grants_only)
            }
            #[test]
            fn grants_and_agents_report_what_changed() {
                super::with($engine, super::grants_and_agents_report_what_changed)
            }
            #[test]
            fn deliveries_track_what_an_agent_last_received() {
                super::with($engine, super::deliveries_track_what_an_agent_last_received)
            }
            #[test]
            fn environments_keep_their_own_rows_and_versions() {
                super::with(
                    $engine,
                    super::environments_keep_their_own_rows_and_versions,
                )
            }
            #[test]
            fn deleting_one_environment_keeps_the_name_and_its_grants() {
                super::with(
                    $engine,
                    super::deleting_one_environment_keeps_the_name_and_its_grants,
                )
            }
            #[test]
            fn deleting_a_secret_takes_versions_grants_and_deliveries() {
                super::with(
                    $engine,
                    super::deleting_a_secret_takes_versions_grants_and_deliveries,
                )
            }
            #[test]
            fn renaming_a_secret_moves_versions_grants_and_deliveries() {
                super::with(
                    $engine,
                    super::renaming_a_secret_moves_versions_grants_and_deliveries,
                )
            }
            #[test]
            fn agent_keys_wraps_and_statements() {
                super::with($engine, super::agent_keys_wraps_and_statements)
            }
            #[test]
            fn a_failed_write_changes_nothing() {
                super::with($engine, super::a_failed_write_changes_nothing)
            }
            #[test]
            fn a_read_never_commits() {
                super::with($engine, super::a_read_never_commits)
            }
            #[test]
            fn a_write_is_seen_by_another_connection() {
                super::with($engine, super::a_write_is_seen_by_another_connection)
            }
            #[test]
            fn a_watch_reports_commits() {
                super::with($engine, super::a_watch_reports_commits)
            }
            #[test]
            fn read_again_never_misses_a_write() {
                super::with($engine, super::read_again_never_misses_a_write)
            }
            #[test]
            fn rows_come_with_their_tags() {
                super::with($engine, super::rows_come_with_their_tags)
            }
            #[test]
            fn audit_entries_round_trip_per_chain() {
                super::audit_entries_round_trip_per_chain(&$engine)
            }
            #[test]
            fn an_audit_seq_is_never_written_twice() {
                super::an_audit_seq_is_never_written_twice(&$engine)
            }
            #[test]
            fn pruning_takes_one_chains_prefix_only() {
                super::with($engine, super::pruning_takes_one_chains_prefix_only)
            }
            #[test]
            fn concurrent_writers_lose_nothing() {
                let e = $engine;
                if e.available() {
                    super::concurrent_writers_lose_nothing(std::sync::Arc::new(e))
                }
            }
        }
    };
}

/// The SQLite engine in a temporary directory.
pub struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    pub fn new() -> Sqlite {
        Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("vault.db")
    }
    pub fn dir_path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Engine for Sqlite {
    type Store = super::sqlite::SqliteStore;
    fn fresh(&self) -> Self::Store {
        let slot = super::SlotRow {
            id: 0,
            kind: "keyfile".to_owned(),
            kdf: None,
            salt: None,
            nonce: vec![1; 12],
            wrapped: vec![2; 48],
            check: vec![3; 16],
        };
        let init = super::NewVault {
            vault_id: VAULT_ID,
            format: 1,
            created: "2026-01-01T00:00:00Z",
            policy_tag: &[0; 32],
            extra_meta: &[],
        };
        super::sqlite::SqliteStore::create(&self.path(), &init, &slot)
            .unwrap()
            .unwrap()
    }
    fn connect(&self) -> Self::Store {
        super::sqlite::SqliteStore::open(&self.path(), 1).unwrap()
    }
}

pub(crate) use contract_suite;

contract_suite!(sqlite, Sqlite::new());
