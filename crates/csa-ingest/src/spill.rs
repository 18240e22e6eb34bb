//! Spilling rows to disk between ingest's passes, in a compact binary form, so memory is
//! bounded by a budget and not by the input.
//!
//! A record is a run of little-endian fields: integers fixed width, strings as a `u32`
//! length and their UTF-8 bytes, options as a `0`/`1` byte before the value, enums as their
//! position in the type's `ALL` list. A [`SpillSet`] keeps one growing file per key (a month,
//! a bucket) and buffers records in memory until the buffers together pass a limit, then
//! appends every buffer to its file. Records come back in the order they were pushed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use csa_model::{CrimeType, Ethnicity, LocationType, Reason, RecordKind, Sex};
use rustc_hash::FxHashMap;

use crate::error::{IngestError, Result};
use crate::record::{CrimeRow, DatePrecision, GeoMethod, PersonRow, Quarantined, Table};

/// Writes fields onto a byte buffer.
pub struct Enc<'a>(pub &'a mut Vec<u8>);

impl Enc<'_> {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// A crime_ref's [`ref_key`], framed by its length.
    pub fn ref_key(&mut self, r: &str) {
        let at = self.0.len();
        self.u32(0);
        ref_key(r, self.0);
        let len = (self.0.len() - at - 4) as u32;
        self.0[at..at + 4].copy_from_slice(&len.to_le_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }
    pub fn opt_str(&mut self, s: Option<&str>) {
        self.opt(s, |e, s| e.str(s));
    }
    pub fn opt_f64(&mut self, v: Option<f64>) {
        self.opt(v, |e, v| e.f64(v));
    }
    pub fn opt_u8(&mut self, v: Option<u8>) {
        self.opt(v, |e, v| e.u8(v));
    }
    pub fn opt_bool(&mut self, v: Option<bool>) {
        self.opt_u8(v.map(u8::from));
    }
    fn opt_datetime(&mut self, v: Option<NaiveDateTime>) {
        self.opt(v, |e, v| e.i64(v.and_utc().timestamp_micros()));
    }
    pub fn month(&mut self, ym: Option<(i32, u32)>) {
        self.opt(ym, |e, (y, m)| {
            e.i32(y);
            e.u8(m as u8);
        });
    }
}

/// A crime_ref as the crime-ref index spills it, a key compared byte for byte: lowercase
/// hexadecimal of even length (police.uk's 64-character crime IDs) packed two digits to a byte
/// after a `1`, anything else as its UTF-8 bytes after a `0`. Every string has exactly one
/// key, so keys are equal exactly when the strings are.
pub fn ref_key(r: &str, out: &mut Vec<u8>) {
    let b = r.as_bytes();
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    if !b.is_empty() && b.len().is_multiple_of(2) && b.iter().all(|&c| hex(c).is_some()) {
        out.push(1);
        out.extend(
            b.chunks_exact(2)
                .map(|p| (hex(p[0]).unwrap_or_default() << 4) | hex(p[1]).unwrap_or_default()),
        );
    } else {
        out.push(0);
        out.extend_from_slice(b);
    }
}

/// The crime_ref a [`ref_key`] stands for.
pub fn ref_text(key: &[u8]) -> Option<String> {
    let (tag, rest) = key.split_first()?;
    match tag {
        0 => std::str::from_utf8(rest).ok().map(str::to_string),
        1 => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            let mut s = String::with_capacity(rest.len() * 2);
            for &v in rest {
                s.push(char::from(DIGITS[usize::from(v >> 4)]));
                s.push(char::from(DIGITS[usize::from(v & 15)]));
            }
            Some(s)
        }
        _ => None,
    }
}

/// Reads fields back from a byte slice; `None` when the bytes run out or are not valid.
pub struct Dec<'a> {
    pub bytes: &'a [u8],
}

impl<'a> Dec<'a> {
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (a, b) = self.bytes.split_at(n);
        self.bytes = b;
        Some(a)
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn i32(&mut self) -> Option<i32> {
        Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    /// A crime_ref's key written by [`Enc::ref_key`].
    pub fn ref_key(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }
    /// `Some(None)` for an absent value, `None` for bad bytes.
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        match self.u8()? {
            0 => Some(None),
            1 => f(self).map(Some),
            _ => None,
        }
    }
    pub fn opt_str(&mut self) -> Option<Option<&'a str>> {
        self.opt(|d| d.str())
    }
    pub fn opt_string(&mut self) -> Option<Option<String>> {
        self.opt(|d| d.string())
    }
    pub fn opt_f64(&mut self) -> Option<Option<f64>> {
        self.opt(|d| d.f64())
    }
    pub fn opt_u8(&mut self) -> Option<Option<u8>> {
        self.opt(|d| d.u8())
    }
    pub fn opt_bool(&mut self) -> Option<Option<bool>> {
        self.opt(|d| d.u8().map(|b| b != 0))
    }
    fn opt_datetime(&mut self) -> Option<Option<NaiveDateTime>> {
        self.opt(|d| Some(DateTime::from_timestamp_micros(d.i64()?)?.naive_utc()))
    }
    pub fn month(&mut self) -> Option<Option<(i32, u32)>> {
        self.opt(|d| Some((d.i32()?, u32::from(d.u8()?))))
    }
}

/// One shared string per distinct value (LSOA and ward names repeat on every row).
#[derive(Default)]
pub struct Interner(FxHashMap<Box<str>, Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.0.insert(Box::from(s), a.clone());
        a
    }
}

fn nth<T: Copy>(all: &[T], i: u8) -> Option<T> {
    all.get(usize::from(i)).copied()
}

pub fn put_crime(e: &mut Enc, c: &CrimeRow) {
    e.str(&c.crime_ref);
    e.u8(c.kind as u8);
    e.opt_str(c.force.as_deref());
    e.i32(date_days(c.recorded_date));
    e.u8(matches!(c.date_precision, DatePrecision::Month) as u8);
    e.opt_datetime(c.committed_from);
    e.u8(u8::from(c.committed_time_known));
    e.opt_datetime(c.committed_to);
    e.opt(c.offence, |e, o| e.u32(u32::from(o)));
    e.opt_u8(c.crime_type.map(|t| t as u8));
    for v in [c.lon, c.lat, c.easting, c.northing] {
        e.opt_f64(v);
    }
    e.opt_u8(c.location_type.map(|l| l as u8));
    e.opt_str(c.location_desc.as_deref());
    e.opt_str(c.lsoa_code.as_deref());
    e.opt_str(c.lsoa_name.as_deref());
    e.opt(c.ward.as_ref(), |e, (code, name)| {
        e.str(code);
        e.str(name);
    });
    e.u8(match c.geo_method {
        GeoMethod::PointInPolygon => 0,
        GeoMethod::LsoaLookup => 1,
        GeoMethod::None => 2,
        GeoMethod::WardCode => 3,
    });
    e.u8(u8::from(c.in_area));
    e.opt_bool(c.domestic_abuse);
    e.opt_u8(c.hate.map(|h| h.iter().enumerate().fold(0u8, |a, (i, &b)| a | (u8::from(b) << i))));
    e.opt_bool(c.alcohol_related);
    e.opt_bool(c.weapon);
    e.opt_str(c.source.as_deref());
    e.opt_str(c.category.as_deref());
    e.opt_str(c.outcome.as_deref());
    e.u32(c.source_file);
    e.u64(c.source_line);
}

pub fn get_crime(d: &mut Dec, names: &mut Interner) -> Option<CrimeRow> {
    let crime_ref = d.string()?;
    let kind = nth(RecordKind::ALL, d.u8()?)?;
    let force = d.opt_string()?;
    let recorded_date = days_date(d.i32()?)?;
    let date_precision = if d.u8()? == 1 { DatePrecision::Month } else { DatePrecision::Day };
    let committed_from = d.opt_datetime()?;
    let committed_time_known = d.u8()? != 0;
    let committed_to = d.opt_datetime()?;
    let offence = d.opt(|d| d.u32().and_then(|o| u16::try_from(o).ok()))?;
    let crime_type = match d.opt_u8()? {
        Some(i) => Some(nth(CrimeType::ALL, i)?),
        None => None,
    };
    let (lon, lat, easting, northing) = (d.opt_f64()?, d.opt_f64()?, d.opt_f64()?, d.opt_f64()?);
    let location_type = match d.opt_u8()? {
        Some(i) => Some(nth(LocationType::ALL, i)?),
        None => None,
    };
    let location_desc = d.opt_string()?;
    let lsoa_code = d.opt_str()?.map(|s| names.get(s));
    let lsoa_name = d.opt_str()?.map(|s| names.get(s));
    let ward = d.opt(|d| Some((d.str()?, d.str()?)))?.map(|(c, n)| (names.get(c), names.get(n)));
    let geo_method = match d.u8()? {
        0 => GeoMethod::PointInPolygon,
        1 => GeoMethod::LsoaLookup,
        3 => GeoMethod::WardCode,
        _ => GeoMethod::None,
    };
    let in_area = d.u8()? != 0;
    let domestic_abuse = d.opt_bool()?;
    let hate = d.opt_u8()?.map(|bits| std::array::from_fn(|i| bits & (1 << i) != 0));
    let alcohol_related = d.opt_bool()?;
    let weapon = d.opt_bool()?;
    let source = d.opt_str()?.map(|s| names.get(s));
    let category = d.opt_str()?.map(|s| names.get(s));
    let outcome = d.opt_string()?;
    let source_file = d.u32()?;
    let source_line = d.u64()?;
    Some(CrimeRow {
        crime_ref,
        kind,
        force,
        recorded_date,
        date_precision,
        committed_from,
        committed_time_known,
        committed_to,
        offence,
        crime_type,
        lon,
        lat,
        easting,
        northing,
        location_type,
        location_desc,
        lsoa_code,
        lsoa_name,
        ward,
        geo_method,
        in_area,
        domestic_abuse,
        hate,
        alcohol_related,
        weapon,
        source,
        category,
        outcome,
        source_file,
        source_line,
    })
}

pub fn put_person(e: &mut Enc, p: &PersonRow) {
    e.str(&p.crime_ref);
    e.str(&p.person_id);
    e.opt(p.age, |e, a| e.u32(a as u16 as u32));
    e.opt_u8(p.sex.map(|s| s as u8));
    e.opt_u8(p.ethnicity.map(|s| s as u8));
    e.opt_str(p.relationship.as_deref());
    e.u32(p.source_file);
    e.u64(p.source_line);
}

pub fn get_person(d: &mut Dec) -> Option<PersonRow> {
    Some(PersonRow {
        crime_ref: d.string()?,
        person_id: d.string()?,
        age: d.opt(|d| d.u32().map(|a| a as u16 as i16))?,
        sex: match d.opt_u8()? {
            Some(i) => Some(nth(Sex::ALL, i)?),
            None => None,
        },
        ethnicity: match d.opt_u8()? {
            Some(i) => Some(nth(Ethnicity::ALL, i)?),
            None => None,
        },
        relationship: d.opt_string()?,
        source_file: d.u32()?,
        source_line: d.u64()?,
    })
}

pub fn put_quarantined(e: &mut Enc, q: &Quarantined) {
    e.u8(table_code(q.table));
    e.u32(q.source_file);
    e.u64(q.line);
    e.str(&q.field);
    e.str(&q.value);
    e.u32(Reason::ALL.iter().position(|r| *r == q.reason).unwrap_or(0) as u32);
    e.str(&q.detail);
    e.str(&q.raw);
    e.month(q.year_month);
    e.opt_str(q.crime_ref.as_deref());
}

pub fn get_quarantined(d: &mut Dec) -> Option<Quarantined> {
    Some(Quarantined {
        table: table_from(d.u8()?)?,
        source_file: d.u32()?,
        line: d.u64()?,
        field: d.string()?,
        value: d.string()?,
        reason: *Reason::ALL.get(d.u32()? as usize)?,
        detail: d.string()?,
        raw: d.string()?,
        year_month: d.month()?,
        crime_ref: d.opt_string()?,
    })
}

pub fn table_code(t: Table) -> u8 {
    match t {
        Table::Crimes => 0,
        Table::Victims => 1,
        Table::Offenders => 2,
        Table::Incidents => 3,
    }
}

pub fn table_from(b: u8) -> Option<Table> {
    [Table::Crimes, Table::Victims, Table::Offenders, Table::Incidents].get(usize::from(b)).copied()
}

pub fn date_days(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.num_days_from_ce()
}

pub fn days_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days)
}

/// The error for spill bytes that do not decode (a bug, or the temporary folder changed
/// under a running ingest).
pub fn corrupt(what: &str) -> IngestError {
    IngestError::Internal(format!("temporary {what} file does not decode"))
}

/// Growing files of records, one per key, buffered in memory up to a shared limit.
pub struct SpillSet<K: Ord + Clone> {
    dir: PathBuf,
    name: &'static str,
    buffers: BTreeMap<K, Vec<u8>>,
    on_disk: BTreeMap<K, u64>,
    order: Vec<K>,
    buffered: usize,
    limit: usize,
}

impl<K: Ord + Clone> SpillSet<K> {
    /// Files `dir/<name>-<n>.bin`; buffers flushed when together above `limit` bytes.
    pub fn new(dir: &Path, name: &'static str, limit: usize) -> SpillSet<K> {
        SpillSet {
            dir: dir.to_path_buf(),
            name,
            buffers: BTreeMap::new(),
            on_disk: BTreeMap::new(),
            order: Vec::new(),
            buffered: 0,
            limit,
        }
    }

    /// Appends one record under `key`, written by `f` (framed by its length, so records can
    /// be read back one by one, [`records`], [`SpillSet::stream`]).
    pub fn push(&mut self, key: &K, f: impl FnOnce(&mut Enc)) -> Result<()> {
        let buf = match self.buffers.get_mut(key) {
            Some(b) => b,
            None => self.buffers.entry(key.clone()).or_default(),
        };
        let before = buf.len();
        buf.extend_from_slice(&[0; 4]);
        f(&mut Enc(buf));
        let len = (buf.len() - before - 4) as u32;
        buf[before..before + 4].copy_from_slice(&len.to_le_bytes());
        self.buffered += buf.len() - before;
        if self.buffered > self.limit {
            self.flush()?;
        }
        Ok(())
    }

    /// A key's file is named by the order in which keys were first flushed.
    fn path(&self, key: &K) -> PathBuf {
        let i = self.order.iter().position(|k| k == key).unwrap_or(usize::MAX);
        self.dir.join(format!("{}-{i}.bin", self.name))
    }

    /// Appends every buffer to its file. A buffer written keeps its memory for the records
    /// that follow (rows of one input mostly go to the same few keys, and a buffer grown
    /// again by doubling is copied each time); one left empty since the last flush gives its
    /// memory back, so what is kept stays within about twice the limit.
    pub fn flush(&mut self) -> Result<()> {
        self.buffers.retain(|_, b| !b.is_empty());
        let keys: Vec<K> = self.buffers.keys().cloned().collect();
        for k in keys {
            if !self.order.contains(&k) {
                self.order.push(k.clone());
            }
            let path = self.path(&k);
            let wr = |source| IngestError::Write { path: path.clone(), source };
            let mut f =
                std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(wr)?;
            let Some(bytes) = self.buffers.get_mut(&k) else { continue };
            f.write_all(bytes).map_err(wr)?;
            *self.on_disk.entry(k).or_default() += bytes.len() as u64;
            bytes.clear();
        }
        self.buffered = 0;
        Ok(())
    }

    /// Every key that holds records, in order.
    pub fn keys(&self) -> Vec<K> {
        let mut k: Vec<K> = self
            .buffers
            .iter()
            .filter(|(_, b)| !b.is_empty())
            .map(|(k, _)| k.clone())
            .chain(self.on_disk.keys().cloned())
            .collect();
        k.sort();
        k.dedup();
        k
    }

    /// Bytes held under `key`, on disk and buffered.
    pub fn size(&self, key: &K) -> u64 {
        self.on_disk.get(key).copied().unwrap_or(0)
            + self.buffers.get(key).map_or(0, |b| b.len() as u64)
    }

    /// Runs `f` on every record under `key` in order, reading its file through a small
    /// buffer (never whole), then drops them.
    pub fn stream(&mut self, key: &K, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        use std::io::Read;
        if self.on_disk.remove(key).is_some() {
            let path = self.path(key);
            let rd = |source| IngestError::Read { path: path.clone(), source };
            let mut r =
                std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).map_err(rd)?);
            let mut rec = Vec::new();
            loop {
                let mut len = [0u8; 4];
                match r.read_exact(&mut len) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(rd(e)),
                }
                rec.resize(u32::from_le_bytes(len) as usize, 0);
                r.read_exact(&mut rec).map_err(rd)?;
                f(&rec)?;
            }
            let _ = std::fs::remove_file(&path);
        }
        if let Some(b) = self.buffers.remove(key) {
            self.buffered = self.buffered.saturating_sub(b.len());
            for rec in records(&b) {
                f(rec)?;
            }
        }
        Ok(())
    }

    /// Takes every record under `key` (file then buffer) and removes its file.
    pub fn take(&mut self, key: &K) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if self.on_disk.remove(key).is_some() {
            let path = self.path(key);
            out = std::fs::read(&path)
                .map_err(|source| IngestError::Read { path: path.clone(), source })?;
            let _ = std::fs::remove_file(&path);
        }
        if let Some(b) = self.buffers.remove(key) {
            self.buffered = self.buffered.saturating_sub(b.len());
            if out.is_empty() {
                out = b;
            } else {
                out.extend_from_slice(&b);
            }
        }
        Ok(out)
    }
}

/// The records of bytes taken from a [`SpillSet`], in order.
pub fn records(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let rec = bytes.get(4..4 + len)?;
        bytes = &bytes[4 + len..];
        Some(rec)
    })
}

/// The records of `bytes` with the sequence number each holds at byte `at`, in sequence
/// order (input order): police.uk files read side by side interleave their records.
/// `None` when a record is too short.
pub fn by_sequence(bytes: &[u8], at: usize) -> Option<Vec<(u64, &[u8])>> {
    let mut v: Vec<(u64, &[u8])> = records(bytes)
        .map(|rec| Some((u64::from_le_bytes(rec.get(at..at + 8)?.try_into().ok()?), rec)))
        .collect::<Option<_>>()?;
    if !v.is_sorted_by_key(|r| r.0) {
        v.sort_unstable_by_key(|r| r.0);
    }
    Some(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(r: &str) -> Vec<u8> {
        let mut k = Vec::new();
        ref_key(r, &mut k);
        k
    }

    #[test]
    fn crime_ref_keys_are_one_per_string_and_give_it_back() {
        let id = "e2feb70fc3e690ba506d8c615f8d841825b909444d90b376cd2e44fd924bbbe2";
        assert_eq!(key(id).len(), 33);
        assert_eq!(key(id)[0], 1);
        for r in [id, "", "ab", "abc", "AB", "0a", "00", "CR/2025/000123", "g0", "été", "0"] {
            assert_eq!(ref_text(&key(r)).as_deref(), Some(r), "{r}");
        }
        // strings that differ only in case or in a digit's padding keep apart
        assert_ne!(key("ab"), key("AB"));
        assert_ne!(key("0a"), key("a"));
        assert_ne!(key("00"), key("0"));
        assert_ne!(key("ab"), key("\u{1}\u{ab}"));
        let mut buf = Vec::new();
        Enc(&mut buf).ref_key(id);
        Enc(&mut buf).u8(7);
        let mut d = Dec { bytes: &buf };
        assert_eq!(d.ref_key(), Some(key(id).as_slice()));
        assert_eq!(d.u8(), Some(7));
    }

    #[test]
    fn records_come_back_in_sequence_order() {
        let mut buf = Vec::new();
        for (seq, v) in [(5u64, 1u8), (2, 2), (9, 3), (3, 4)] {
            buf.extend_from_slice(&10u32.to_le_bytes());
            Enc(&mut buf).u8(0);
            Enc(&mut buf).u64(seq);
            Enc(&mut buf).u8(v);
        }
        let got: Vec<(u64, u8)> =
            by_sequence(&buf, 1).unwrap().iter().map(|(s, r)| (*s, r[9])).collect();
        assert_eq!(got, vec![(2, 2), (3, 4), (5, 1), (9, 3)]);
        assert!(by_sequence(&buf, 3).is_none());
    }
}
