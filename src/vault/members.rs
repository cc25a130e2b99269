//! Team members on a PostgreSQL vault (DESIGN §7.2, FLEET §5): joining
//! (identity made on the member's machine), adding and removing members,
//! rights per agent, the root-signed roster, who am I, and the pre-check that
//! turns a missing right into "permission denied: ... needs 'manage' (you:
//! view)" (exit 5) before anything is read or written.
//!
//! An owner member unlocks M from its member slot with its own X25519 key;
//! nobody else's key and no shared secret is involved. A non-owner member
//! holds no key of the vault at all: it reads metadata (row-level security
//! narrows it to what its rights cover) and the roster, which it verifies
//! against the root key its identity pins. A members or rights table that
//! disagrees with the signed roster is tampering: exit 6.

use std::path::PathBuf;

use crate::crypto::v2::member::{
    open_member_slot, pg_password, scram_verifier, seal_member_slot, MemberIdentity, Roster,
    RosterMember,
};
use crate::crypto::v2::{
    self, EnrollRequest, KemSecretKey, RootFingerprint, SignPublicKey, SignSecretKey,
};
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::store::{Backend, DbUrl, MemberRow, SlotRow, Store, Tx};

use super::{KeySource, Vault};

/// The rights a member may hold on an agent, weakest first.
const RIGHTS: [&str; 3] = ["view", "operate", "manage"];

fn rank(right: &str) -> usize {
    RIGHTS.iter().position(|r| *r == right).map_or(0, |i| i + 1)
}

/// Who opened the vault, when it was a member's identity.
pub(super) struct Me {
    pub identity: MemberIdentity,
    pub id: i64,
    pub role: String,
    /// (agent, right), from the verified roster.
    pub rights: Vec<(String, String)>,
    /// Names of the owners, for "ask an owner: ..." hints.
    pub owners: Vec<String>,
}

impl Me {
    fn is_owner(&self) -> bool {
        self.role == "owner"
    }

    fn right_on(&self, agent: &str) -> Option<&str> {
        self.rights
            .iter()
            .find(|(a, _)| a == agent)
            .map(|(_, r)| r.as_str())
    }

    pub(super) fn ask(&self) -> String {
        if self.owners.is_empty() {
            "ask the vault's owner".to_owned()
        } else {
            format!("ask an owner: {}", self.owners.join(", "))
        }
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need<'a> {
    /// This right (or a stronger one) on this agent.
    Right(&'a str, &'static str),
    /// Role owner.
    Owner,
}

/// `<vault>_m_<name>`: the member's PostgreSQL role, one per vault schema.
pub fn role_name(url: &DbUrl, name: &str) -> Result<String> {
    let role = format!("{}_m_{name}", url.vault);
    if role.len() > 63 {
        return Err(Error::invalid(format!(
            "the member name {name} is too long for a PostgreSQL role in vault {:?} ({} bytes, at most 63)",
            url.vault,
            role.len()
        ))
        .hint("choose a shorter member name"));
    }
    Ok(role)
}

/// A member name: 1-32 lower-case letters, digits, `-` and `_`, starting with a letter.
fn check_member_name(name: &str) -> Result<()> {
    let ok = name.len() <= 32
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{} is not a usable member name",
        crate::typed::escape(name)
    ))
    .hint("use 1-32 lower-case letters, digits, - and _, starting with a letter (e.g. bob)"))
}

/// Where a member's identity for a PostgreSQL role lives: beside the key
/// file (the config dir, or --vault-dir), `members/<role>.key`.
pub fn identity_path(paths: &Paths, role: &str) -> PathBuf {
    let dir = paths
        .key_file
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    dir.join("members").join(format!("{role}.key"))
}

/// The identity of the URL's user, if this machine holds one: the URL then
/// gets the password derived from it.
pub(super) fn identity_for(paths: &Paths, url: &mut DbUrl) -> Result<Option<MemberIdentity>> {
    if url.config.get_password().is_some() {
        return Ok(None);
    }
    let Some(user) = url.config.get_user().map(str::to_owned) else {
        return Ok(None);
    };
    if !user
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Ok(None);
    }
    let path = identity_path(paths, &user);
    if !crate::paths::something_at(&path) {
        return Ok(None);
    }
    let text = crate::paths::read_key_file(&path)?;
    let id = MemberIdentity::parse(&text, &path.display().to_string())?;
    url.config
        .password(pg_password(&id.sign, &id.vault_id).as_bytes());
    Ok(Some(id))
}

fn tampered(what: &str) -> Error {
    Error::integrity(format!(
        "the vault's {what} does not match the roster signed by the root key: it was changed outside vault"
    ))
    .hint("nothing was read or changed; tell an owner, who can check `vault member list` and the server's logs")
}

/// Check the tables against the signed roster (exit 6 on any difference)
/// and find `identity` in it (exit 5 when it is not a member).
pub(super) fn verify_me(tx: &Tx<'_>, vault_id: &[u8], identity: MemberIdentity) -> Result<Me> {
    if identity.vault_id[..] != *vault_id {
        return Err(Error::locked(format!(
            "your member identity ({}) belongs to another vault",
            identity.name
        ))
        .hint("use the database URL of the vault you joined, or join this one with `vault member join`"));
    }
    let roster = current_roster(tx, &identity.root_sign_pk)?;
    check_roster_mark(vault_id, &identity.pg_role, roster.epoch)?;
    let Some(me) = roster
        .members
        .iter()
        .find(|m| m.pg_role == identity.pg_role && m.name == identity.name)
    else {
        return Err(Error::locked(format!(
            "permission denied: {} is not a member of this vault (never added, or removed)",
            identity.name
        ))
        .hint("ask an owner to add you: `vault member add REQUEST`"));
    };
    if me.sign_pk != identity.sign.public_key().to_bytes()
        || identity.kem.public_key().map(|k| k.to_bytes()) != Some(me.kem_pk)
    {
        return Err(Error::locked(format!(
            "permission denied: the roster lists other keys for {} than this machine's identity",
            identity.name
        ))
        .hint("join again with `vault member join` and ask an owner to add the new request"));
    }
    Ok(Me {
        id: me.id as i64,
        role: me.role.clone(),
        rights: me.rights.clone(),
        owners: roster
            .members
            .iter()
            .filter(|m| m.role == "owner")
            .map(|m| m.name.clone())
            .collect(),
        identity,
    })
}

/// `$XDG_STATE_HOME/vault/members/<vault-id>-<role>.state`: the highest
/// roster epoch this member has seen on this machine. `None` without a
/// state directory (no HOME): the check is skipped.
fn roster_state_file(vault_id: &[u8], pg_role: &str) -> Option<PathBuf> {
    let base = dirs::state_dir().filter(|d| d.is_absolute())?;
    Some(
        base.join("vault")
            .join("members")
            .join(format!("{}-{pg_role}.state", crate::hex::encode(vault_id))),
    )
}

/// Refuse a roster older than one this machine already saw (a database
/// rolled back to an authentic older roster: a removed manager, a right
/// since lowered), then raise the mark.
pub(super) fn check_roster_mark(vault_id: &[u8], pg_role: &str, epoch: u64) -> Result<()> {
    let Some(path) = roster_state_file(vault_id, pg_role) else {
        return Ok(());
    };
    if pg_role == OWNER_MARK {
        // Inside an owner's write: the epoch may be the write's own, so the
        // mark rises only once it commits (`raise_owner_mark`).
        check_mark(&path, epoch)?;
        PENDING_OWNER_MARK.with(|p| {
            let mut p = p.borrow_mut();
            if p.as_ref().is_none_or(|(_, e)| *e < epoch) {
                *p = Some((path, epoch));
            }
        });
        return Ok(());
    }
    check_mark(&path, epoch)?;
    if epoch > super::agent_keys::read_mark(&path, "roster_epoch")? {
        if let Err(e) = super::agent_keys::raise_mark(&path, "roster_epoch", epoch) {
            eprintln!(
                "vault: warning: could not record the roster's high-water mark: {}",
                e.message()
            );
        }
    }
    Ok(())
}

/// The role name of the owners' roster mark on this machine.
pub(super) const OWNER_MARK: &str = "owner";

thread_local! {
    /// The owners' roster mark to raise once this process's write commits.
    static PENDING_OWNER_MARK: std::cell::RefCell<Option<(PathBuf, u64)>> =
        const { std::cell::RefCell::new(None) };
}

/// After an owner's write committed: raise the owners' roster mark to the
/// epoch that write saw (or wrote).
pub(super) fn raise_owner_mark() {
    if let Some((path, epoch)) = PENDING_OWNER_MARK.with(|p| p.borrow_mut().take()) {
        if let Err(e) = super::agent_keys::raise_mark(&path, "roster_epoch", epoch) {
            eprintln!(
                "vault: warning: could not record the roster's high-water mark: {}",
                e.message()
            );
        }
    }
}

/// Refuse `epoch` when the mark at `path` is higher.
fn check_mark(path: &std::path::Path, epoch: u64) -> Result<()> {
    let seen = super::agent_keys::read_mark(path, "roster_epoch")?;
    if epoch < seen {
        return Err(Error::integrity(format!(
            "the vault's roster (epoch {epoch}) is older than one this machine already saw (epoch {seen}): the database was rolled back"
        ))
        .hint(format!(
            "do not use this database and tell the vault's owners; if an owner restored it from a backup on purpose, delete {} and run the command again",
            path.display()
        )));
    }
    Ok(())
}

/// The latest roster, verified against `root` and compared with the
/// members and rights tables.
pub(super) fn current_roster(tx: &Tx<'_>, root: &SignPublicKey) -> Result<Roster> {
    let members = tx.members()?;
    let rights = tx.rights()?;
    let Some((epoch, body, sig)) = tx.roster()? else {
        if members.is_empty() && rights.is_empty() {
            return Err(
                Error::locked("permission denied: this vault has no members yet")
                    .hint("ask an owner to add you: `vault member add REQUEST`"),
            );
        }
        return Err(tampered("members table"));
    };
    let roster = Roster::verify(root, &body, &sig).ok_or_else(|| tampered("roster"))?;
    if roster.epoch != epoch {
        return Err(tampered("roster"));
    }
    let table = roster_of(&roster.vault_id, epoch, &members, &rights)?;
    if table != roster {
        return Err(tampered("members or rights table"));
    }
    Ok(roster)
}

fn roster_of(
    vault_id: &[u8; crate::crypto::VAULT_ID_LEN],
    epoch: u64,
    members: &[MemberRow],
    rights: &[(i64, String, String)],
) -> Result<Roster> {
    let key = |b: &[u8]| <[u8; 32]>::try_from(b).map_err(|_| tampered("members table"));
    let mut out = Vec::new();
    for m in members {
        let mut r: Vec<(String, String)> = rights
            .iter()
            .filter(|(id, _, _)| *id == m.id)
            .map(|(_, a, p)| (a.clone(), p.clone()))
            .collect();
        r.sort();
        out.push(RosterMember {
            id: m.id.max(0) as u64,
            name: m.name.clone(),
            pg_role: m.pg_role.clone(),
            kem_pk: key(&m.kem_pk)?,
            sign_pk: key(&m.sign_pk)?,
            role: m.role.clone(),
            rights: r,
        });
    }
    out.sort_by_key(|m| m.id);
    Ok(Roster {
        vault_id: *vault_id,
        epoch,
        members: out,
    })
}

/// `vault member join`: what it made and prints.
pub struct Joined {
    pub request: String,
    pub identity_file: PathBuf,
    pub pg_role: String,
    pub root_fingerprint: String,
}

/// A member of the roster, as `member list` shows it.
pub struct MemberInfo {
    pub name: String,
    pub role: String,
    pub pg_role: String,
    pub rights: Vec<(String, String)>,
    pub created: String,
}

/// What `member add` did.
pub struct Added {
    pub name: String,
    pub role: String,
    pub pg_role: String,
    pub upgraded: bool,
}

/// What `member remove` did, and what the member could have read.
pub struct Removed {
    pub name: String,
    pub role: String,
    /// Secrets the member could reveal (everything, for an owner).
    pub could_reveal: Vec<String>,
}

/// `vault whoami`.
pub struct WhoAmI {
    /// The member's name, or None for the holder of a key file or passphrase.
    pub name: Option<String>,
    pub role: String,
    pub rights: Vec<(String, String)>,
    pub vault_id: String,
    pub root_fingerprint: Option<String>,
}

/// A parsed and checked `member add` request (shown to the owner before the y/N).
pub struct Candidate {
    pub request: EnrollRequest,
    pub fingerprint: String,
}

/// `vault member join NAME --root FPR` on the member's machine: read the
/// vault's id and root key (through `url`, any role that may read it),
/// check the fingerprint, make the identity (0600), and return the request.
pub fn join(paths: &Paths, url: &DbUrl, name: &str, root: &str) -> Result<Joined> {
    check_member_name(name)?;
    let fpr = RootFingerprint::parse(root)?;
    let pg_role = role_name(url, name)?;
    let mut store = Store::open_at(&paths.db, Some(url), v2::FORMAT_VERSION)?;
    let (vault_id, root_pk) =
        store.read_again(|tx| Ok((tx.vault_id()?, tx.meta("root_sign_pk")?)))?;
    let vault_id: [u8; crate::crypto::VAULT_ID_LEN] = vault_id
        .as_slice()
        .try_into()
        .map_err(|_| Error::integrity(format!("the {} has a damaged vault id", url.shown())))?;
    let root_pk = root_pk
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .and_then(|b| SignPublicKey::from_bytes(&b))
        .ok_or_else(|| {
            Error::invalid(format!(
                "the {} is in format 1 and has no root key to pin yet",
                url.shown()
            ))
            .hint("ask an owner to run `vault upgrade` (or add any member, which upgrades it) and send you the root fingerprint from `vault info`")
        })?;
    if !fpr.matches(&root_pk) {
        return Err(Error::locked(format!(
            "the {} has root fingerprint {}, not the one you were given",
            url.shown(),
            root_pk.fingerprint()
        ))
        .hint("check the URL and the fingerprint with the vault's owner (they see it with `vault info`); nothing was written"));
    }
    let identity = MemberIdentity {
        vault_id,
        name: name.to_owned(),
        pg_role: pg_role.clone(),
        kem: KemSecretKey::generate()?,
        sign: SignSecretKey::generate()?,
        root_sign_pk: root_pk,
    };
    let kem_pk = identity.kem.public_key().ok_or_else(|| {
        Error::other("the new key pair is unusable; run `vault member join` again")
    })?;
    let verifier = scram_verifier(&pg_password(&identity.sign, &vault_id))?;
    let request = EnrollRequest {
        vault_id,
        kind: "member".to_owned(),
        name: name.to_owned(),
        kem_pk,
        sign_pk: identity.sign.public_key(),
        scram_verifier: verifier,
    }
    .to_text(&identity.sign)?;
    let path = identity_path(paths, &pg_role);
    if let Some(dir) = path.parent() {
        crate::paths::ensure_private_dir(dir)?;
    }
    if !crate::paths::publish_new_file(&path, identity.to_text().as_bytes())? {
        return Err(Error::conflict(format!(
            "an identity for {pg_role} exists already at {}",
            path.display()
        ))
        .hint("it is the key of an earlier join: keep using it, or move it away to join again; nothing was written"));
    }
    Ok(Joined {
        request,
        identity_file: path,
        pg_role,
        root_fingerprint: root_pk.fingerprint(),
    })
}

fn parse_right(spec: &str) -> Result<(String, String)> {
    let bad = || {
        Error::usage(format!(
            "--agent {} is not AGENT=RIGHT",
            crate::typed::escape(spec)
        ))
        .hint("use e.g. --agent billing-bot=view (rights: view, operate, manage)")
    };
    let (a, r) = spec.split_once('=').ok_or_else(bad)?;
    if !RIGHTS.contains(&r) {
        return Err(bad());
    }
    crate::model::check_agent_name(a)?;
    Ok((a.to_owned(), r.to_owned()))
}

impl Vault {
    /// The member who opened the vault, if any.
    pub(super) fn me(&self) -> Option<&Me> {
        self.me.as_ref()
    }

    /// The pre-check: Ok for the vault's owners (key file, passphrase or
    /// owner member); for a member, the right `need` names or exit 5 with
    /// what was needed and what they have. `doing` says what was tried
    /// ("granting to billing-bot").
    pub fn require(&self, need: Need<'_>, doing: &str) -> Result<()> {
        let Some(me) = self.me() else { return Ok(()) };
        if me.is_owner() {
            return Ok(());
        }
        match need {
            Need::Owner => Err(Error::locked(format!(
                "permission denied: {doing} needs role owner (you, {}: member)",
                me.identity.name
            ))
            .hint(me.ask())),
            Need::Right(agent, right) => {
                let have = me.right_on(agent);
                if have.is_some_and(|h| rank(h) >= rank(right)) {
                    return Ok(());
                }
                Err(Error::locked(format!(
                    "permission denied: {doing} needs '{right}' (you: {})",
                    have.unwrap_or("none")
                ))
                .hint(me.ask()))
            }
        }
    }

    /// True when a member who is not an owner opened the vault (no M: the
    /// member paths of run, reveal, grant and revoke).
    pub(super) fn is_member(&self) -> bool {
        self.me().is_some_and(|me| !me.is_owner())
    }

    /// The error a non-owner member gets for reading a value.
    pub fn not_shared(&self, name: &str) -> Result<()> {
        match self.me() {
            Some(me) if !me.is_owner() => Err(Error::locked(format!(
                "permission denied: {name} is not shared with you ({})",
                me.identity.name
            ))
            .hint(me.ask())),
            _ => Ok(()),
        }
    }

    /// Unlock M from the owner member's slot; Ok(None) when this vault was
    /// not opened with a member identity.
    pub(super) fn open_member_slot(
        &self,
        slots: &[SlotRow],
    ) -> Result<Option<(crate::crypto::MasterKey, i64)>> {
        let Some(me) = self.me() else { return Ok(None) };
        if !me.is_owner() {
            return Err(Error::locked(format!(
                "permission denied: this command needs role owner (you, {}: member)",
                me.identity.name
            ))
            .hint(me.ask()));
        }
        let id = me.id.to_be_bytes();
        let Some(slot) = slots.iter().find(|s| s.kind == "member" && s.nonce == id) else {
            return Err(tampered("member slots"));
        };
        let expected = me
            .identity
            .kem
            .public_key()
            .ok_or_else(|| Error::locked("your member identity holds an unusable key"))?;
        let m = open_member_slot(
            &me.identity.kem,
            &expected,
            &self.crypt.vault_id,
            me.id as u64,
            &slot.wrapped,
        )
        .map_err(|e| e.into_error(&format!("the member slot of {}", me.identity.name)))?;
        Ok(Some((m, slot.id)))
    }

    /// Parse and check a request for `member add` (before asking y/N).
    pub fn member_candidate(&mut self, request: &str) -> Result<Candidate> {
        self.require(Need::Owner, "adding a member")?;
        let req = EnrollRequest::parse(request)?;
        if req.kind != "member" {
            return Err(Error::invalid(format!(
                "this is an enrollment request for an agent ({}), not a member",
                req.name
            ))
            .hint("approve an agent with `vault agent approve`"));
        }
        check_member_name(&req.name)?;
        if req.vault_id[..] != self.crypt.vault_id[..] {
            return Err(Error::invalid(format!(
                "the request of {} was made for another vault",
                req.name
            ))
            .hint(
                "ask them to run `vault member join` with this vault's URL and root fingerprint",
            ));
        }
        let fingerprint = format!(
            "SHA256:{}",
            crate::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest({
                let mut b = req.kem_pk.to_bytes().to_vec();
                b.extend_from_slice(&req.sign_pk.to_bytes());
                b
            }))
        );
        Ok(Candidate {
            request: req,
            fingerprint,
        })
    }

    /// `vault member add`: register, create the login, write the owner's
    /// member slot, sign the new roster. Upgrades a format-1 vault first.
    pub fn add_member(
        &mut self,
        src: &KeySource,
        c: &Candidate,
        owner: bool,
        agents: &[String],
    ) -> Result<Added> {
        self.require(Need::Owner, "adding a member")?;
        let url = self.paths.database.clone().ok_or_else(|| {
            Error::usage("team members need a vault on PostgreSQL; this vault is a local file")
                .hint("push it first: `vault push --database-url URL`, then run this with --database-url URL")
        })?;
        let mut rights = agents
            .iter()
            .map(|s| parse_right(s))
            .collect::<Result<Vec<_>>>()?;
        rights.sort();
        rights.dedup_by(|a, b| a.0 == b.0);
        if owner && !rights.is_empty() {
            return Err(
                Error::usage("an owner has every right; --agent goes with --role member")
                    .hint("drop --agent, or use --role member"),
            );
        }
        let req = &c.request;
        let pg_role = role_name(&url, &req.name)?;
        if req.scram_verifier.is_empty() || !v2::member::is_scram_verifier(&req.scram_verifier) {
            return Err(Error::invalid(format!(
                "the request of {} carries no PostgreSQL password verifier",
                req.name
            ))
            .hint("ask them to run `vault member join NAME --root FPR --database-url URL`"));
        }
        let mut upgraded = false;
        if self.crypt.format() < v2::FORMAT_VERSION {
            self.upgrade(src)?;
            upgraded = true;
        }
        self.unlock(src)?;
        let role = if owner { "owner" } else { "member" };
        let now = super::now();
        let vault_id: [u8; crate::crypto::VAULT_ID_LEN] = self
            .crypt
            .vault_id
            .as_slice()
            .try_into()
            .map_err(|_| Error::integrity("the vault id is damaged"))?;
        self.write(src, |tx, crypt| {
            let keys = crypt.keys()?;
            let root = keys
                .root
                .as_ref()
                .ok_or_else(|| Error::other("the vault's root keys are not open"))?;
            for (agent, _) in &rights {
                super::rules::require_agent(tx, agent)?;
            }
            if tx.members()?.iter().any(|m| m.name == req.name) {
                return Err(Error::conflict(format!(
                    "{} is a member already; nothing was changed",
                    req.name
                ))
                .hint(format!(
                    "remove them first (`vault member remove {}`) to add them with new keys",
                    req.name
                )));
            }
            let id = tx.insert_member(&MemberRow {
                id: 0,
                name: req.name.clone(),
                pg_role: pg_role.clone(),
                kem_pk: req.kem_pk.to_bytes().to_vec(),
                sign_pk: req.sign_pk.to_bytes().to_vec(),
                role: role.to_owned(),
                created: now.clone(),
            })?;
            tx.set_rights(id, &rights)?;
            // An operator holds keyring keys: the write's agent sync makes
            // and wraps them, from the first policy sequence number on.
            if rights.iter().any(|(_, r)| rank(r) >= rank("operate"))
                && tx.meta("policy_seq")?.is_none()
            {
                tx.set_meta("policy_seq", b"0")?;
            }
            tx.create_login(&pg_role, &req.scram_verifier, owner)?;
            if owner {
                let wrapped = seal_member_slot(&keys.master, &vault_id, id as u64, &req.kem_pk)?;
                tx.insert_slot(&SlotRow {
                    id: 0,
                    kind: "member".to_owned(),
                    kdf: None,
                    salt: None,
                    nonce: id.to_be_bytes().to_vec(),
                    wrapped,
                    check: Vec::new(),
                })?;
            }
            sign_roster(tx, &vault_id, &root.sign)?;
            super::audit::append(
                tx,
                crypt,
                "member add",
                serde_json::json!({ "member": req.name, "role": role,
                    "rights": rights.iter().map(|(a, r)| format!("{a}={r}")).collect::<Vec<_>>() }),
            )?;
            Ok(())
        })?;
        Ok(Added {
            name: req.name.clone(),
            role: role.to_owned(),
            pg_role,
            upgraded,
        })
    }

    /// `vault member remove NAME`.
    pub fn remove_member(&mut self, src: &KeySource, name: &str) -> Result<Removed> {
        self.require(Need::Owner, "removing a member")?;
        check_member_name(name)?;
        self.unlock(src)?;
        let vault_id: [u8; crate::crypto::VAULT_ID_LEN] = self
            .crypt
            .vault_id
            .as_slice()
            .try_into()
            .map_err(|_| Error::integrity("the vault id is damaged"))?;
        let me_name = self.me().map(|m| m.identity.name.clone());
        self.write(src, |tx, crypt| {
            let root =
                crypt.keys()?.root.as_ref().ok_or_else(|| {
                    Error::not_found(format!("{name} is not a member of this vault"))
                })?;
            let m = tx
                .members()?
                .into_iter()
                .find(|m| m.name == name)
                .ok_or_else(|| {
                    Error::not_found(format!("{name} is not a member of this vault"))
                        .hint("`vault member list` shows the members")
                })?;
            if me_name.as_deref() == Some(name) {
                return Err(
                    Error::conflict("you cannot remove yourself; nothing was changed")
                        .hint("ask another owner to remove you"),
                );
            }
            let rights: Vec<String> = tx
                .rights()?
                .into_iter()
                .filter(|(id, _, p)| *id == m.id && p != "view")
                .map(|(_, a, _)| a)
                .collect();
            let could_reveal = if m.role == "owner" {
                tx.secret_names()?
            } else {
                let mut names = std::collections::BTreeSet::new();
                for row in tx.policy_rows()? {
                    if row.scope == crate::model::Scope::Global {
                        names.insert(row.name);
                    }
                }
                for a in &rights {
                    names.extend(tx.grants(a)?);
                }
                if rights.is_empty() {
                    names.clear();
                }
                names.into_iter().collect()
            };
            tx.delete_member(m.id)?;
            tx.drop_login(&m.pg_role)?;
            sign_roster(tx, &vault_id, &root.sign)?;
            super::audit::append(
                tx,
                crypt,
                "member remove",
                serde_json::json!({ "member": name, "role": m.role }),
            )?;
            Ok(Removed {
                name: name.to_owned(),
                role: m.role.clone(),
                could_reveal,
            })
        })
    }

    /// `vault member list`: every member with role and rights (verified
    /// against the roster for members; owners read the tables they sign).
    pub fn members(&mut self) -> Result<Vec<MemberInfo>> {
        let root = self.me().map(|m| m.identity.root_sign_pk);
        self.store.read(|tx| {
            if let Some(root) = &root {
                current_roster(tx, root)?;
            }
            let rights = tx.rights()?;
            Ok(tx
                .members()?
                .into_iter()
                .map(|m| MemberInfo {
                    rights: rights
                        .iter()
                        .filter(|(id, _, _)| *id == m.id)
                        .map(|(_, a, p)| (a.clone(), p.clone()))
                        .collect(),
                    name: m.name,
                    role: m.role,
                    pg_role: m.pg_role,
                    created: m.created,
                })
                .collect())
        })
    }

    /// `vault whoami`.
    pub fn whoami(&mut self) -> Result<WhoAmI> {
        let fpr = self.root_fingerprint()?;
        let vault_id = crate::hex::encode(&self.crypt.vault_id);
        Ok(match self.me() {
            Some(me) => WhoAmI {
                name: Some(me.identity.name.clone()),
                role: me.role.clone(),
                rights: me.rights.clone(),
                vault_id,
                root_fingerprint: Some(me.identity.root_sign_pk.fingerprint()),
            },
            None => WhoAmI {
                name: None,
                role: "owner".to_owned(),
                rights: Vec::new(),
                vault_id,
                root_fingerprint: fpr,
            },
        })
    }
}

/// The key that signed agent `agent`'s statement: the root's for signer 0;
/// else the signing key of a member who manages `agent` in the current
/// roster (verified against `root`), with that roster's epoch, which the
/// statement must name. Anyone else: exit 6.
pub(super) fn statement_signer(
    tx: &Tx<'_>,
    root: &SignPublicKey,
    signer: u64,
    agent: &str,
) -> Result<(SignPublicKey, u64)> {
    if signer == 0 {
        return Ok((*root, 0));
    }
    let roster = current_roster(tx, root)?;
    roster
        .members
        .iter()
        .find(|m| {
            m.id == signer
                && m.role == "member"
                && m.rights.iter().any(|(a, r)| a == agent && r == "manage")
        })
        .and_then(|m| SignPublicKey::from_bytes(&m.sign_pk))
        .map(|pk| (pk, roster.epoch))
        .ok_or_else(|| {
            Error::integrity(format!(
                "the signed statement of agent {agent} is signed by someone who does not manage it now"
            ))
            .hint("ask an owner to run any change to the vault (they re-sign it); if it persists, the database was changed outside vault")
        })
}

/// The signing key of every member any root-signed roster of this vault
/// lists (the newest roster naming them wins), by member id: the keys of
/// the members' audit chains (docs/FORMAT.md §21.9), with their names. The
/// root key is `root` (pinned by a member's identity, or derived from M),
/// else `meta.root_sign_pk`, as `vault audit verify` without the key trusts
/// `meta.audit_pk`.
pub(super) fn signing_keys(
    tx: &Tx<'_>,
    root: Option<SignPublicKey>,
) -> Result<std::collections::BTreeMap<u64, (String, [u8; 32])>> {
    let mut out = std::collections::BTreeMap::new();
    let rosters = tx.rosters()?;
    if rosters.is_empty() {
        return Ok(out);
    }
    let stored = || -> Result<Option<SignPublicKey>> {
        Ok(tx
            .meta("root_sign_pk")?
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .and_then(|b| SignPublicKey::from_bytes(&b)))
    };
    let Some(root) = (match root {
        Some(r) => Some(r),
        None => stored()?,
    }) else {
        return Ok(out);
    };
    for (_, body, sig) in rosters {
        let Some(r) = Roster::verify(&root, &body, &sig) else {
            continue;
        };
        for m in r.members {
            out.entry(m.id).or_insert((m.name, m.sign_pk));
        }
    }
    Ok(out)
}

/// The current statement of the agent registered as `reg`, verified: signed
/// by the root (`root`, pinned or derived) or by a current manager of the
/// agent under the current roster, naming that roster's epoch, a policy
/// sequence number not past the vault's, and this vault, agent and keyring
/// epoch; with its signer (0 = the root). `None` when the agent has no
/// statement; anything else is exit 6.
pub(super) fn verified_statement(
    tx: &Tx<'_>,
    root: &SignPublicKey,
    vault_id: &[u8],
    reg: &crate::store::AgentKeyRow,
) -> Result<Option<(v2::Statement, u64)>> {
    let Some(st) = tx.statement(reg.agent_id)? else {
        return Ok(None);
    };
    let agent = &reg.agent;
    let (signer, roster_epoch) = statement_signer(tx, root, st.signer, agent)?;
    let statement = v2::Statement::verify(&signer, &st.bytes, &st.sig).map_err(|e| {
        e.into_error(&format!(
            "the signed statement of agent {agent} (what it receives)"
        ))
    })?;
    let bad = |what: &str| {
        Error::integrity(format!(
            "the signed statement of agent {agent} {what}: it was replaced in the database"
        ))
        .hint("do not use this database; restore it from a backup and tell the vault's owners")
    };
    if statement.roster_epoch != roster_epoch {
        return Err(bad("names another roster than its signer's"));
    }
    check_manager_seq(tx, st.signer, statement.policy_seq, agent)?;
    if statement.vault_id[..] != *vault_id {
        return Err(bad("is for another vault"));
    }
    if statement.agent_id != reg.agent_id || statement.agent_name != *agent {
        return Err(bad("is for another agent"));
    }
    if statement.keyring_epoch != reg.epoch {
        return Err(bad("is for another of its keys"));
    }
    Ok(Some((statement, st.signer)))
}

/// A statement signed by a manager may not name a policy sequence number
/// past the vault's (`meta.policy_seq`, which a manager can only raise one
/// at a time): a forged huge number would otherwise lift every reader's
/// high-water mark past every later statement.
pub(super) fn check_manager_seq(
    tx: &Tx<'_>,
    signer: u64,
    policy_seq: u64,
    agent: &str,
) -> Result<()> {
    if signer == 0 {
        return Ok(());
    }
    let vault_seq = tx
        .meta("policy_seq")?
        .and_then(|v| String::from_utf8_lossy(&v).trim().parse::<u64>().ok())
        .unwrap_or(0);
    if policy_seq > vault_seq {
        return Err(Error::integrity(format!(
            "the signed statement of agent {agent} names policy {policy_seq}, past the vault's {vault_seq}: it was forged by its signer"
        ))
        .hint("ask an owner to run any change to the vault (they re-sign it), and to check who manages the agent"));
    }
    Ok(())
}

/// Per agent, its operators as (member id, X25519 public key).
pub(super) type Operators = std::collections::BTreeMap<String, Vec<(u64, v2::KemPublicKey)>>;

/// The non-owner members who operate each agent (right `operate` or
/// `manage`), as (member id, X25519 public key), from the roster verified
/// against `root`; `None` for a vault that has never had members (no
/// roster, no member rows: SQLite always). Owners hold M and need no wrap.
pub(super) fn operators(tx: &Tx<'_>, root: &SignPublicKey) -> Result<Option<Operators>> {
    if tx.roster()?.is_none() {
        if tx.members()?.is_empty() && tx.rights()?.is_empty() {
            return Ok(None);
        }
        return Err(tampered("members table"));
    }
    let roster = current_roster(tx, root)?;
    // The owner's machine refuses an older authentic roster too: it would
    // wrap keyring keys to an operator who was removed.
    check_roster_mark(&roster.vault_id, OWNER_MARK, roster.epoch)?;
    let mut out = Operators::new();
    for m in roster.members.iter().filter(|m| m.role != "owner") {
        let pk = v2::KemPublicKey::from_bytes(m.kem_pk).ok_or_else(|| tampered("roster"))?;
        for (agent, right) in &m.rights {
            if rank(right) >= rank("operate") {
                out.entry(agent.clone()).or_default().push((m.id, pk));
            }
        }
    }
    Ok(Some(out))
}

/// Sign the roster of the tables as they are now, at the next epoch.
fn sign_roster(tx: &Tx<'_>, vault_id: &[u8; 16], root: &SignSecretKey) -> Result<()> {
    let epoch = tx.roster()?.map_or(0, |(e, _, _)| e) + 1;
    let roster = roster_of(vault_id, epoch, &tx.members()?, &tx.rights()?)?;
    let (body, sig) = roster.sign(root);
    tx.put_roster(epoch, &body, &sig)?;
    Ok(())
}
