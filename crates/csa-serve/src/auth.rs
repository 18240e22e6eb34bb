//! Sessions, CSRF tokens and sign-in throttling, all held on the server.
//!
//! - **Session**: a random 256-bit token in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//!   under TLS, `Path=/`, no `Max-Age`: it ends with the browser). The server keeps only
//!   the token's SHA-256, the user name and two clocks: a session ends after
//!   [`Sessions::idle`] without a request or [`Sessions::lifetime`] after sign-in, whichever
//!   comes first, and at once when the user signs out or is removed.
//! - **CSRF**: every session has its own random token; every form carries it and every POST
//!   must send it back (compared in constant time). The sign-in form, before any session,
//!   gets a token of its own in a short-lived cookie (double submit). `SameSite=Strict`
//!   cookies and the `Origin` check in [`crate::server`] are a second line.
//! - **Throttle**: at most [`Throttle::PER_USER`] failed sign-ins per user name and
//!   [`Throttle::PER_ADDRESS`] per client address in [`Throttle::WINDOW`]; beyond that the
//!   sign-in is refused (429, with the wait) without checking the password, until the oldest
//!   failure leaves the window. A successful sign-in clears the user's count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::error::{internal, Result};

/// A random token: 32 bytes from the operating system, hex.
pub fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(internal)?;
    Ok(hex(&b))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of a token (what the server keeps).
fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Equality that takes the same time wherever the first difference is.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// The server's sessions, keyed by the SHA-256 of their token.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    pub idle: Duration,
    pub lifetime: Duration,
}

impl Sessions {
    pub fn new(idle: Duration, lifetime: Duration) -> Sessions {
        Sessions { map: Mutex::new(HashMap::new()), idle, lifetime }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session for `user`: (cookie token, CSRF token).
    pub fn create(&self, user: &str) -> Result<(String, String)> {
        let (token, csrf) = (random_token()?, random_token()?);
        let now = Instant::now();
        self.lock().insert(
            digest(&token),
            Session { user: user.to_string(), csrf: csrf.clone(), created: now, last_seen: now },
        );
        Ok((token, csrf))
    }

    /// The live session of `token` (its idle clock restarts); an expired one is removed.
    pub fn get(&self, token: &str) -> Option<Session> {
        let key = digest(token);
        let now = Instant::now();
        let mut map = self.lock();
        let s = map.get_mut(&key)?;
        if now.duration_since(s.last_seen) > self.idle
            || now.duration_since(s.created) > self.lifetime
        {
            map.remove(&key);
            return None;
        }
        s.last_seen = now;
        Some(s.clone())
    }

    pub fn remove(&self, token: &str) {
        self.lock().remove(&digest(token));
    }

    /// Ends every session of `user` (removed from the users file, or its role changed).
    pub fn remove_user(&self, user: &str) {
        self.lock().retain(|_, s| s.user != user);
    }

    /// Drops expired sessions (run now and then).
    pub fn sweep(&self) {
        let now = Instant::now();
        let (idle, life) = (self.idle, self.lifetime);
        self.lock().retain(|_, s| {
            now.duration_since(s.last_seen) <= idle && now.duration_since(s.created) <= life
        });
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ages every session by `by` (as if that much time had passed).
    #[cfg(test)]
    fn age_all(&self, by: Duration) {
        for s in self.lock().values_mut() {
            s.created = s.created.checked_sub(by).unwrap_or(s.created);
            s.last_seen = s.last_seen.checked_sub(by).unwrap_or(s.last_seen);
        }
    }
}

/// Failed sign-ins per user name and per address.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Throttle {
    pub const PER_USER: usize = 5;
    pub const PER_ADDRESS: usize = 20;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    /// Keys kept at most (beyond it the oldest entries go: memory stays bounded under attack).
    const MAX_KEYS: usize = 100_000;

    fn keys(user: &str, addr: IpAddr) -> [(String, usize); 2] {
        [
            (format!("user:{}", user.to_ascii_lowercase()), Throttle::PER_USER),
            (format!("addr:{addr}"), Throttle::PER_ADDRESS),
        ]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(seconds to wait)` when `user` or `addr` has failed too often lately.
    pub fn check(&self, user: &str, addr: IpAddr) -> std::result::Result<(), u64> {
        let now = Instant::now();
        let mut map = self.lock();
        let mut wait = Duration::ZERO;
        for (key, limit) in Throttle::keys(user, addr) {
            if let Some(v) = map.get_mut(&key) {
                v.retain(|t| now.duration_since(*t) < Throttle::WINDOW);
                if v.len() >= limit {
                    let oldest = v[v.len() - limit];
                    wait = wait.max(Throttle::WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait.as_secs().max(1))
        }
    }

    pub fn fail(&self, user: &str, addr: IpAddr) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= Throttle::MAX_KEYS {
            map.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < Throttle::WINDOW));
            if map.len() >= Throttle::MAX_KEYS {
                map.clear();
            }
        }
        for (key, _) in Throttle::keys(user, addr) {
            map.entry(key).or_default().push(now);
        }
    }

    pub fn succeed(&self, user: &str) {
        self.lock().remove(&format!("user:{}", user.to_ascii_lowercase()));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_or_old_and_end_on_sign_out() {
        let s = Sessions::new(Duration::from_secs(60), Duration::from_secs(600));
        let (t, csrf) = s.create("lead").unwrap();
        assert_eq!(t.len(), 64);
        assert_ne!(t, csrf);
        assert_eq!(s.get(&t).unwrap().user, "lead");
        assert!(s.get("forged").is_none());
        s.age_all(Duration::from_secs(61));
        assert!(s.get(&t).is_none(), "idle for longer than the idle limit");
        let (t2, _) = s.create("lead").unwrap();
        for _ in 0..3 {
            s.age_all(Duration::from_secs(50));
            assert!(s.get(&t2).is_some(), "kept alive by requests");
        }
        s.age_all(Duration::from_secs(500));
        assert!(s.get(&t2).is_none(), "older than the lifetime");
        let (t3, _) = s.create("a").unwrap();
        let (t4, _) = s.create("b").unwrap();
        s.remove_user("a");
        assert!(s.get(&t3).is_none() && s.get(&t4).is_some());
        s.remove(&t4);
        assert!(s.is_empty());
    }

    #[test]
    fn throttle_counts_per_user_and_per_address() {
        let t = Throttle::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..Throttle::PER_USER {
            assert!(t.check("Lead", a).is_ok());
            t.fail("Lead", a);
        }
        let wait = t.check("lead", b).unwrap_err();
        assert!(wait > 800 && wait <= 900, "{wait}");
        assert!(t.check("other", a).is_ok(), "the address has failed 5 times of 20");
        for i in 0..20 {
            t.fail(&format!("u{i}"), b);
        }
        assert!(t.check("fresh", b).is_err(), "20 failures from one address");
        t.succeed("lead");
        assert!(t.check("lead", a).is_ok());
        assert!(
            same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("ab", "abc")
        );
    }
}
