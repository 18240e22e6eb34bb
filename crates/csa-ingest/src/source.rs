//! Opening input files: size, SHA-256 of the bytes on disk, and transparent gzip.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{IngestError, Result};

/// What the manifest records about an input file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputMeta {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Reads a whole file, returning its decompressed bytes (gzip is detected by its magic
/// number, whatever the name) and its metadata.
pub fn read_input(path: &Path) -> Result<(Vec<u8>, InputMeta)> {
    read_input_with(path, |data| Ok(data.to_vec()))
}

/// Reads a whole file and runs `f` on its decompressed bytes while the SHA-256 of the bytes
/// on disk is computed beside it (hashing a large file takes as long as a good part of its
/// parse). Returns the bytes, as [`read_input`], with `f`'s result in `meta`'s place.
pub fn read_input_with<T: Send>(
    path: &Path,
    f: impl FnOnce(&[u8]) -> Result<T> + Send,
) -> Result<(T, InputMeta)> {
    let raw = std::fs::read(path)
        .map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
    let bytes = raw.len() as u64;
    let (sha256, out) = rayon::join(
        || sha256_hex(&raw),
        || -> Result<T> {
            let data = decompress(path, &raw)?;
            f(&data)
        },
    );
    Ok((out?, InputMeta { path: path.display().to_string(), bytes, sha256 }))
}

/// The bytes of a file read whole: gunzipped when they start with gzip's magic number;
/// an empty or blank file is an error.
fn decompress<'a>(path: &Path, raw: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
    if raw.is_empty() {
        return Err(IngestError::EmptyFile { path: path.to_path_buf() });
    }
    let data = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 6);
        flate2::read::MultiGzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(raw)
    };
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::EmptyFile { path: path.to_path_buf() });
    }
    Ok(data)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// SHA-256 and size of a file, for files read elsewhere (boundaries, lookups).
pub fn describe(path: &Path, bytes: &[u8]) -> InputMeta {
    InputMeta {
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    }
}

/// Expands police.uk arguments: a file is taken as is, a folder is searched recursively
/// for `*-street.csv` and `*-street.csv.gz`. The result is sorted, so ingest order (and so
/// which duplicate wins) does not depend on the file system.
pub fn expand_police_uk(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).map_err(|source| IngestError::Read { path: p.clone(), source })?;
        if meta.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                return Err(IngestError::NoInputs {
                    path: p.clone(),
                    detail: "folder holds no police.uk street-level files (*-street.csv or *-street.csv.gz)".into(),
                });
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir)
        .map_err(|source| IngestError::Read { path: dir.to_path_buf(), source })?;
    for entry in rd {
        let entry =
            entry.map_err(|source| IngestError::Read { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if name.ends_with("-street.csv") || name.ends_with("-street.csv.gz") {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// A SHA-256 computed over every byte read through it (the bytes on disk).
struct Hashing<R> {
    inner: R,
    sha: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

enum Decoded {
    Plain(Hashing<std::fs::File>),
    Gz(Box<flate2::read::MultiGzDecoder<std::io::BufReader<Hashing<std::fs::File>>>>),
    Memory(std::io::Cursor<Vec<u8>>),
}

/// An input file read as a stream: gunzipped when it starts with gzip's magic number, its
/// SHA-256 and size computed from the bytes on disk as they pass. It keeps a window of the
/// decompressed bytes from the oldest record still being located ([`InputStream::forget_before`]),
/// so a reader can look back at where a record starts (blank lines before it) without the
/// whole file in memory. A read error is kept ([`InputStream::finish`] returns it) rather than
/// ending the file quietly.
pub struct InputStream {
    path: PathBuf,
    decoded: Decoded,
    window: Vec<u8>,
    /// Offset in the decompressed stream of `window[0]`.
    base: u64,
    /// Next byte of `window` to hand out.
    pos: usize,
    error: Option<std::io::Error>,
}

impl InputStream {
    /// Opens `path`; an empty or blank file is an error.
    pub fn open(path: &Path) -> Result<InputStream> {
        let rd = |source| IngestError::Read { path: path.to_path_buf(), source };
        let mut file = std::fs::File::open(path).map_err(rd)?;
        let mut magic = [0u8; 2];
        let got = read_full(&mut file, &mut magic).map_err(rd)?;
        if got == 0 {
            return Err(IngestError::EmptyFile { path: path.to_path_buf() });
        }
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(0)).map_err(rd)?;
        let hashing = Hashing { inner: file, sha: Sha256::new(), bytes: 0 };
        let decoded = if got == 2 && magic == [0x1f, 0x8b] {
            Decoded::Gz(Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::with_capacity(256 * 1024, hashing),
            )))
        } else {
            Decoded::Plain(hashing)
        };
        let mut s = InputStream {
            path: path.to_path_buf(),
            decoded,
            window: Vec::new(),
            base: 0,
            pos: 0,
            error: None,
        };
        s.check_not_blank()?;
        Ok(s)
    }

    /// A stream over bytes already in memory (tests; Parquet extracts read whole).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> InputStream {
        InputStream {
            path: path.to_path_buf(),
            decoded: Decoded::Memory(std::io::Cursor::new(bytes)),
            window: Vec::new(),
            base: 0,
            pos: 0,
            error: None,
        }
    }

    fn check_not_blank(&mut self) -> Result<()> {
        loop {
            if let Some(b) = self.window[self.pos..].iter().find(|b| !b.is_ascii_whitespace()) {
                let _ = b;
                return Ok(());
            }
            if self.fill(64 * 1024) == 0 {
                if let Some(source) = self.error.take() {
                    return Err(IngestError::Read { path: self.path.clone(), source });
                }
                return Err(IngestError::EmptyFile { path: self.path.clone() });
            }
        }
    }

    /// Reads up to `n` more decompressed bytes onto the window; 0 at the end or on error.
    fn fill(&mut self, n: usize) -> usize {
        if self.error.is_some() {
            return 0;
        }
        let old = self.window.len();
        self.window.resize(old + n, 0);
        let r = match &mut self.decoded {
            Decoded::Plain(h) => h.read(&mut self.window[old..]),
            Decoded::Gz(g) => g.read(&mut self.window[old..]),
            Decoded::Memory(c) => c.read(&mut self.window[old..]),
        };
        let got = match r {
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
            Err(e) => {
                self.error = Some(e);
                0
            }
        };
        self.window.truncate(old + got);
        got
    }

    /// The first bytes of the decompressed stream (at most `n`), without consuming them.
    pub fn peek(&mut self, n: usize) -> &[u8] {
        while self.window.len() - self.pos < n && self.fill(n) > 0 {}
        let end = self.window.len().min(self.pos + n);
        &self.window[self.pos..end]
    }

    /// The decompressed bytes from offset `at` (within the window) to the window's end.
    pub fn bytes_from(&self, at: u64) -> &[u8] {
        let i = at.saturating_sub(self.base) as usize;
        self.window.get(i..).unwrap_or_default()
    }

    /// Lets the window drop every byte before offset `at` (no record before it will be looked
    /// at again).
    pub fn forget_before(&mut self, at: u64) {
        let keep_from = (at.saturating_sub(self.base) as usize).min(self.pos);
        if keep_from > 0 {
            self.window.drain(..keep_from);
            self.base += keep_from as u64;
            self.pos -= keep_from;
        }
    }

    /// Reads what is left of the file (so the SHA-256 covers all of it) and returns its
    /// metadata, or the first read error met on the way.
    pub fn finish(mut self) -> Result<InputMeta> {
        let rd = |path: &Path, source| IngestError::Read { path: path.to_path_buf(), source };
        if let Some(source) = self.error.take() {
            return Err(rd(&self.path, source));
        }
        let (sha, bytes) = match self.decoded {
            Decoded::Plain(mut h) => {
                std::io::copy(&mut h, &mut std::io::sink()).map_err(|e| rd(&self.path, e))?;
                (h.sha, h.bytes)
            }
            Decoded::Gz(g) => {
                let mut h = g.into_inner().into_inner();
                std::io::copy(&mut h, &mut std::io::sink()).map_err(|e| rd(&self.path, e))?;
                (h.sha, h.bytes)
            }
            Decoded::Memory(c) => {
                let v = c.into_inner();
                (Sha256::new_with_prefix(&v), v.len() as u64)
            }
        };
        Ok(InputMeta { path: self.path.display().to_string(), bytes, sha256: hex(&sha.finalize()) })
    }

    /// Everything left in the stream, read whole (Parquet extracts).
    pub fn read_rest(&mut self) -> Result<Vec<u8>> {
        while self.fill(1 << 20) > 0 {}
        if let Some(source) = self.error.take() {
            return Err(IngestError::Read { path: self.path.clone(), source });
        }
        let rest = self.window.split_off(self.pos);
        self.base += self.window.len() as u64 + rest.len() as u64;
        self.window.clear();
        self.pos = 0;
        Ok(rest)
    }
}

impl Read for InputStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.window.len() && self.fill(buf.len().max(64 * 1024)) == 0 {
            return Ok(0);
        }
        let n = buf.len().min(self.window.len() - self.pos);
        buf[..n].copy_from_slice(&self.window[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_full(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
