//! The crime-ref index: every accepted crime's reference as a 64-bit hash with its month,
//! sorted, in `crime_refs.idx` at the dataset's root. `csa ingest --append` merges the hashes
//! arriving with it in one sequential pass to find the months where earlier versions of those
//! crimes may sit, and reads the `crime_ref` column of those months only.
//!
//! Layout (little-endian): the 8 bytes `CSAREFX1`, a `u64` count N, then N entries of a `u64`
//! hash and an `i32` month number (`year * 12 + month - 1`), sorted by (hash, month). 12 bytes
//! a crime: 720 MB for 60M crimes, read as one stream, never held.
//!
//! hash(r): the UTF-8 bytes of r taken 8 at a time as little-endian words (the last one
//! zero-padded), h = (h ^ w) * K1, h ^= h >> 29, starting from h = K0 ^ len, then
//! MurmurHash3's 64-bit finaliser (fmix64). Defined here, not taken from a hashing crate,
//! because it is stored on disk and must not change with a dependency's version; ingest also
//! buckets its crime-ref check by ranges of it. A hash only names candidate months: the
//! references themselves are always compared, so a collision costs one partition read, never a
//! wrong answer.

use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{IngestError, Result};

/// The index's file name at the dataset's root.
pub const FILE: &str = "crime_refs.idx";

const MAGIC: &[u8; 8] = b"CSAREFX1";
const HEADER: u64 = 16;
const ENTRY: u64 = 12;
const K0: u64 = 0x9E37_79B9_7F4A_7C15;
const K1: u64 = 0xFF51_AFD7_ED55_8CCD;

/// The stable 64-bit hash of a crime reference (module header).
pub fn hash(r: &str) -> u64 {
    let b = r.as_bytes();
    let mut h = K0 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K1);
        h ^= h >> 29;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K1);
        h ^= h >> 29;
    }
    fmix64(h)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    k ^= k >> 33;
    k = k.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    k ^ (k >> 33)
}

/// The month number of a (year, month) key.
pub fn month_number((y, m): (i32, u32)) -> i32 {
    y * 12 + m as i32 - 1
}

/// The (year, month) key of a month number.
pub fn month_key(n: i32) -> (i32, u32) {
    (n.div_euclid(12), n.rem_euclid(12) as u32 + 1)
}

/// Which of `buckets` hash ranges `hash` falls in; ascending with the hash, so buckets
/// written in order give a sorted index.
pub fn bucket(hash: u64, buckets: u32) -> u32 {
    ((u128::from(hash) * u128::from(buckets)) >> 64) as u32
}

/// Writes an index from entries given in ascending order.
pub struct Writer {
    w: BufWriter<std::fs::File>,
    path: PathBuf,
    n: u64,
    last: Option<(u64, i32)>,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Writer> {
        let wr = |source| IngestError::Write { path: path.to_path_buf(), source };
        let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).map_err(wr)?);
        w.write_all(MAGIC).map_err(wr)?;
        w.write_all(&0u64.to_le_bytes()).map_err(wr)?;
        Ok(Writer { w, path: path.to_path_buf(), n: 0, last: None })
    }

    pub fn push(&mut self, hash: u64, month: i32) -> Result<()> {
        if self.last.is_some_and(|l| l > (hash, month)) {
            return Err(IngestError::Internal(format!(
                "{}: crime-ref index entries out of order",
                self.path.display()
            )));
        }
        self.last = Some((hash, month));
        self.n += 1;
        let mut e = [0u8; ENTRY as usize];
        e[..8].copy_from_slice(&hash.to_le_bytes());
        e[8..].copy_from_slice(&month.to_le_bytes());
        self.w
            .write_all(&e)
            .map_err(|source| IngestError::Write { path: self.path.clone(), source })
    }

    /// Writes the count into the header and closes the file; returns the count.
    pub fn finish(self) -> Result<u64> {
        let wr = |source| IngestError::Write { path: self.path.clone(), source };
        let mut f = self.w.into_inner().map_err(|e| wr(e.into_error()))?;
        f.seek(SeekFrom::Start(8)).map_err(wr)?;
        f.write_all(&self.n.to_le_bytes()).map_err(wr)?;
        f.sync_all().map_err(wr)?;
        Ok(self.n)
    }
}

/// Reads an index's entries in order.
pub struct Reader {
    r: BufReader<std::fs::File>,
    path: PathBuf,
    left: u64,
}

impl Reader {
    /// The index at `path` when it is whole and holds `expected` entries (the dataset's
    /// crimes); `None` when it is missing or does not match (a dataset written before the
    /// index, or altered by hand), and the caller falls back to reading every `crime_ref`.
    pub fn open(path: &Path, expected: u64) -> Option<Reader> {
        let f = std::fs::File::open(path).ok()?;
        let len = f.metadata().ok()?.len();
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut head = [0u8; HEADER as usize];
        r.read_exact(&mut head).ok()?;
        let n = u64::from_le_bytes(head[8..].try_into().ok()?);
        (&head[..8] == MAGIC && n == expected && len == HEADER + n * ENTRY).then(|| Reader {
            r,
            path: path.to_path_buf(),
            left: n,
        })
    }

    pub fn len(&self) -> u64 {
        self.left
    }

    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The next (hash, month number), or `None` after the last.
    pub fn next_entry(&mut self) -> Result<Option<(u64, i32)>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut e = [0u8; ENTRY as usize];
        self.r
            .read_exact(&mut e)
            .map_err(|source| IngestError::Read { path: self.path.clone(), source })?;
        self.left -= 1;
        let h = u64::from_le_bytes(e[..8].try_into().unwrap_or_default());
        let m = i32::from_le_bytes(e[8..].try_into().unwrap_or_default());
        Ok(Some((h, m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fixed() {
        // stored on disk: these values must never change (checked against an independent
        // Python transcription of the module header's formula)
        assert_eq!(hash(""), 0x9ca0_66f1_a4ab_2eea);
        assert_eq!(hash("a"), 0x4029_f8f7_57de_1704);
        assert_eq!(hash("CR00000001"), 0x70f2_e6af_9ce7_385b);
        assert_eq!(hash("ASB:2025-01-west-midlands-street:17"), 0x2a2d_5fde_7ad0_58a3);
        assert_ne!(hash("CR00000001"), hash("CR00000002"));
        assert_ne!(hash("ab"), hash("ab\0"));
    }

    #[test]
    fn buckets_are_ascending_ranges() {
        let mut hs: Vec<u64> = (0..10_000).map(|i| hash(&format!("CR{i:08}"))).collect();
        hs.sort_unstable();
        let b: Vec<u32> = hs.iter().map(|&h| bucket(h, 7)).collect();
        assert!(b.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!((b[0], b[b.len() - 1]), (0, 6));
        // the references spread evenly: each of 7 ranges holds 1/7 of them, give or take
        for k in 0..7 {
            let n = b.iter().filter(|&&x| x == k).count();
            assert!((1_200..=1_660).contains(&n), "bucket {k}: {n}");
        }
    }

    #[test]
    fn months_round_trip() {
        for key in [(2025, 1), (2025, 12), (1900, 6), (9999, 12)] {
            assert_eq!(month_key(month_number(key)), key);
        }
    }

    #[test]
    fn written_entries_read_back_and_a_wrong_count_is_refused() {
        let t = tempfile::tempdir().expect("tmp");
        let p = t.path().join(FILE);
        let mut w = Writer::create(&p).expect("create");
        for (h, m) in [(1, 5), (1, 7), (9, 2)] {
            w.push(h, m).expect("push");
        }
        assert!(w.push(3, 0).is_err(), "out of order");
        assert_eq!(w.finish().expect("finish"), 3);
        assert!(Reader::open(&p, 4).is_none());
        let mut r = Reader::open(&p, 3).expect("whole");
        let mut got = Vec::new();
        while let Some(e) = r.next_entry().expect("read") {
            got.push(e);
        }
        assert_eq!(got, vec![(1, 5), (1, 7), (9, 2)]);
        assert!(Reader::open(&t.path().join("missing"), 0).is_none());
    }
}
