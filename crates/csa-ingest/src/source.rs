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
