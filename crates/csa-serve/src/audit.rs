//! The audit log: one JSON object per line for every request that reaches a page, a
//! download, the API or a form (static files and `/healthz` are left out), appended and
//! flushed before the response leaves, so a crash loses nothing that was answered.
//!
//! ```json
//! {"time":"2025-06-01T09:00:00.123Z","user":"lead","role":"partner","address":"10.0.0.7",
//!  "method":"GET","route":"/api/breakdown","parameters":{"priority":"domestic abuse","by":"ward"},
//!  "rows":18,"status":200,"ms":12.4}
//! ```
//!
//! `user` and `role` are null without a session (a sign-in records the name tried in
//! `parameters.username`; a password is never recorded). `rows` is the number of table rows
//! the response carried (null for pages without a table). Parameter values are cut at 200
//! characters and at most 20 parameters are kept, so a hostile request cannot bloat the log.

use std::collections::BTreeMap;
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Result, ServeError};

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: String,
    pub user: Option<String>,
    pub role: Option<String>,
    pub address: String,
    pub method: String,
    pub route: String,
    pub parameters: BTreeMap<String, String>,
    pub rows: Option<usize>,
    pub status: u16,
    pub ms: f64,
}

/// Parameters of a request as the log keeps them (bounded; `password` never).
pub fn parameters<'a>(
    pairs: impl Iterator<Item = (String, String)> + 'a,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in pairs {
        if out.len() >= 20 {
            out.insert("…".into(), "more parameters left out".into());
            break;
        }
        if k == "password" || k == "csrf" {
            continue;
        }
        let k: String = k.chars().take(40).collect();
        let v: String = v.chars().take(200).collect();
        match out.get_mut(&k) {
            // repeated keys (by=ward&by=hour) are joined as the API would read them
            Some(prev) if !v.is_empty() => {
                let prev: &mut String = prev;
                if !prev.is_empty() {
                    prev.push(',');
                }
                prev.push_str(&v);
            }
            Some(_) => {}
            None => {
                out.insert(k, v);
            }
        }
    }
    out
}

/// The log file, appended to by every request.
#[derive(Debug)]
pub struct Audit {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl Audit {
    /// Opens (or creates, mode 0600) the log at `path` for appending.
    pub fn open(path: &Path) -> Result<Audit> {
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let file = o.open(path).map_err(|e| ServeError::File {
            path: path.to_path_buf(),
            detail: format!("cannot open the audit log for appending: {e}"),
        })?;
        Ok(Audit { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record (one write of one line, flushed).
    pub fn write(&self, r: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(r).map_err(crate::error::internal)?;
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(&line).and_then(|_| f.flush()).map_err(|e| ServeError::File {
            path: self.path.clone(),
            detail: format!("cannot append to the audit log: {e}"),
        })
    }

    /// The last `n` records, newest first (reads at most the last 4 MiB of the file).
    pub fn tail(&self, n: usize) -> Result<Vec<Record>> {
        const MAX: u64 = 4 << 20;
        let err = |e: std::io::Error| ServeError::File {
            path: self.path.clone(),
            detail: format!("cannot read the audit log: {e}"),
        };
        let mut f = std::fs::File::open(&self.path).map_err(err)?;
        let len = f.metadata().map_err(err)?.len();
        let start = len.saturating_sub(MAX);
        f.seek(std::io::SeekFrom::Start(start)).map_err(err)?;
        let mut lines: Vec<String> =
            std::io::BufReader::new(f).lines().collect::<std::io::Result<_>>().map_err(err)?;
        if start > 0 && !lines.is_empty() {
            lines.remove(0); // cut in the middle
        }
        Ok(lines
            .iter()
            .rev()
            .filter_map(|l| serde_json::from_str::<Record>(l).ok())
            .take(n)
            .collect())
    }
}

/// Now as RFC 3339 UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_append_as_json_lines_and_passwords_never_appear() {
        let dir = tempfile::tempdir().unwrap();
        let a = Audit::open(&dir.path().join("audit.jsonl")).unwrap();
        let params = parameters(
            [("username", "lead"), ("password", "secret words"), ("by", "ward"), ("by", "hour")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        for status in [200u16, 401] {
            a.write(&Record {
                time: now(),
                user: None,
                role: None,
                address: "127.0.0.1".into(),
                method: "POST".into(),
                route: "/login".into(),
                parameters: params.clone(),
                rows: None,
                status,
                ms: 1.5,
            })
            .unwrap();
        }
        let text = std::fs::read_to_string(a.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains("secret"));
        let t = a.tail(10).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].status, 401, "newest first");
        assert_eq!(t[0].parameters["by"], "ward,hour");
        let many = parameters((0..50).map(|i| (format!("k{i:02}"), "x".repeat(500))));
        assert_eq!(many.len(), 21);
        assert!(many.values().all(|v| v.chars().count() <= 200));
    }
}
