//! The users file (`csa user add|remove|list`, read by `csa serve`): who may sign in, with
//! which role and sub-groups, and an argon2id hash of the password (never the password).
//!
//! Format (JSON, written with mode 0600 through a temporary file and a rename):
//!
//! ```json
//! {"users": [{"name": "inspector.jones", "role": "partner",
//!             "subgroups": ["City Tasking"],
//!             "hash": "$argon2id$v=19$m=19456,t=2,p=1$...", "created": "2025-06-01T09:00:00Z"}]}
//! ```
//!
//! Hashes are PHC strings of Argon2id (RFC 9106) with the argon2 crate's defaults, which are
//! OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane, a 16-byte random salt.
//!
//! Roles: `partner` sees exact figures for the priorities of their sub-groups (every
//! priority when none are listed); `public` sees everything under the public edition's
//! disclosure rules; `admin` sees everything exactly, the users and the audit log.

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use csa_analysis::SubGroup;
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServeError};

/// Passwords shorter than this are refused (NCSC guidance: length, not composition rules).
pub const MIN_PASSWORD: usize = 10;
/// Longer passwords are refused (hashing a megabyte on every sign-in is an attack).
pub const MAX_PASSWORD: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Partner,
    Public,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Partner, Role::Public, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Public => "public",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s.trim().to_ascii_lowercase()).ok_or_else(|| {
            ServeError::BadRequest(format!(
                "unknown role {s:?}; the roles are partner, public, admin"
            ))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Sub-group names (partners only); empty = every priority.
    #[serde(default)]
    pub subgroups: Vec<String>,
    /// Argon2id PHC string.
    pub hash: String,
    /// When the user was added (UTC, RFC 3339).
    pub created: String,
}

impl User {
    /// The user's sub-groups, parsed (the file was checked when loaded).
    pub fn subgroups(&self) -> Vec<SubGroup> {
        self.subgroups.iter().filter_map(|g| SubGroup::parse(g)).collect()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    users: Vec<User>,
}

/// The users of one users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    pub path: PathBuf,
    pub users: Vec<User>,
}

fn file_err(path: &Path, detail: impl std::fmt::Display) -> ServeError {
    ServeError::File { path: path.to_path_buf(), detail: detail.to_string() }
}

impl Users {
    /// Reads `path`; a file that does not exist yet has no users.
    pub fn load(path: &Path) -> Result<Users> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Users { path: path.to_path_buf(), users: Vec::new() })
            }
            Err(e) => return Err(file_err(path, format!("cannot read the users file: {e}"))),
        };
        let f: File = serde_json::from_slice(&bytes).map_err(|e| {
            file_err(
                path,
                format!("not a csa users file ({e}); manage it with `csa user add|remove|list`"),
            )
        })?;
        for (i, u) in f.users.iter().enumerate() {
            let at = |d: String| file_err(path, format!("user {} ({:?}): {d}", i + 1, u.name));
            check_name(&u.name).map_err(|e| at(e.to_string()))?;
            PasswordHash::new(&u.hash)
                .ok()
                .filter(|h| h.algorithm.as_str() == "argon2id")
                .ok_or_else(|| at("the hash is not an argon2id PHC string".into()))?;
            check_subgroups(u.role, &u.subgroups).map_err(|e| at(e.to_string()))?;
            if f.users[..i].iter().any(|o| o.name == u.name) {
                return Err(at("listed twice".into()));
            }
        }
        Ok(Users { path: path.to_path_buf(), users: f.users })
    }

    pub fn find(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds a user with an argon2id hash of `password`.
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        subgroups: &[String],
        password: &str,
    ) -> Result<()> {
        check_name(name)?;
        if self.find(name).is_some() {
            return Err(ServeError::BadRequest(format!(
                "user {name:?} exists already; remove it first to change its role or password"
            )));
        }
        let subgroups = check_subgroups(role, subgroups)?;
        let hash = hash_password(password)?;
        self.users.push(User {
            name: name.to_string(),
            role,
            subgroups,
            hash,
            created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        });
        Ok(())
    }

    /// Removes a user; an error when there is none of that name.
    pub fn remove(&mut self, name: &str) -> Result<User> {
        let i = self.users.iter().position(|u| u.name == name).ok_or_else(|| {
            ServeError::BadRequest(format!("no user {name:?} in {}", self.path.display()))
        })?;
        Ok(self.users.remove(i))
    }

    /// Writes the file (mode 0600) through a temporary file and a rename.
    pub fn save(&self) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(&File { users: self.users.clone() })
            .map_err(crate::error::internal)?;
        bytes.push(b'\n');
        let name = self
            .path
            .file_name()
            .map_or_else(|| "users.json".to_string(), |n| n.to_string_lossy().into_owned());
        let tmp = self.path.with_file_name(format!(".{name}.partial"));
        let err = |e: std::io::Error| file_err(&self.path, format!("cannot write: {e}"));
        {
            use std::io::Write;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o.open(&tmp).map_err(err)?;
            f.write_all(&bytes).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(err)
    }
}

/// Names: 1 to 64 letters, digits and `. _ @ -` (they appear in URLs, logs and file names).
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ServeError::BadRequest(format!(
            "user name {name:?}: use 1 to 64 letters, digits and . _ @ -"
        )))
    }
}

/// Sub-group names in their canonical spelling; only partners have sub-groups.
fn check_subgroups(role: Role, names: &[String]) -> Result<Vec<String>> {
    let names: Vec<&str> = names.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if role != Role::Partner && !names.is_empty() {
        return Err(ServeError::BadRequest(format!(
            "only partners have sub-groups (a {} user sees every priority)",
            role.name()
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let g = SubGroup::parse(n).ok_or_else(|| {
            let valid: Vec<&str> = SubGroup::ALL.iter().map(|g| g.name()).collect();
            ServeError::BadRequest(format!(
                "unknown sub-group {n:?}; the sub-groups are {}",
                valid.join(", ")
            ))
        })?;
        if !out.iter().any(|o| o == g.name()) {
            out.push(g.name().to_string());
        }
    }
    Ok(out)
}

/// An argon2id PHC string of `password` with a fresh 16-byte salt.
pub fn hash_password(password: &str) -> Result<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(ServeError::BadRequest(format!(
            "the password is too short: use at least {MIN_PASSWORD} characters (a passphrase of a few words is easiest)"
        )));
    }
    if password.len() > MAX_PASSWORD {
        return Err(ServeError::BadRequest(format!(
            "the password is longer than {MAX_PASSWORD} bytes"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(crate::error::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(crate::error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(crate::error::internal)
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    if password.len() > MAX_PASSWORD {
        return false;
    }
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash no password matches, verified for unknown user names so that a sign-in takes the
/// same time whether or not the name exists.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password of anyone, only for timing").unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn add_list_remove_round_trip_and_hashes_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut u = Users::load(&path).unwrap();
        assert!(u.users.is_empty());
        u.add(
            "lead",
            Role::Partner,
            &["harp".into(), "City Tasking".into()],
            "correct horse battery",
        )
        .unwrap();
        u.add("board", Role::Public, &[], "another long passphrase").unwrap();
        u.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"), "the password must not be stored");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let u2 = Users::load(&path).unwrap();
        let lead = u2.find("lead").unwrap();
        assert_eq!(lead.subgroups, vec!["Harm and Abuse Reduction", "City Tasking"]);
        assert!(lead.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", lead.hash);
        assert!(verify_password(&lead.hash, "correct horse battery"));
        assert!(!verify_password(&lead.hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        let mut u3 = u2.clone();
        assert!(u3.add("lead", Role::Admin, &[], "whatever long enough").is_err());
        u3.remove("board").unwrap();
        assert!(u3.remove("board").is_err());
        assert_eq!(u3.users.len(), 1);
    }

    #[test]
    fn bad_names_roles_subgroups_and_passwords_are_refused_with_the_reason() {
        let mut u = Users::default();
        let e = |r: Result<()>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(u.add("a b", Role::Admin, &[], "long enough pass")).contains("letters"));
        assert!(e(u.add("x", Role::Admin, &["Prevent".into()], "long enough pass"))
            .contains("only partners"));
        assert!(e(u.add("x", Role::Partner, &["Nope".into()], "long enough pass"))
            .contains("City Tasking"));
        assert!(e(u.add("x", Role::Partner, &[], "short")).contains("at least 10"));
        assert!(Role::parse("Partner").is_ok() && Role::parse("boss").is_err());
    }

    #[test]
    fn a_tampered_file_is_refused_naming_the_user() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(
            &path,
            r#"{"users":[{"name":"x","role":"admin","subgroups":[],"hash":"plaintext","created":""}]}"#,
        )
        .unwrap();
        let e = Users::load(&path).err().unwrap().to_string();
        assert!(e.contains("user 1") && e.contains("argon2id"), "{e}");
    }
}
