//! Checks a Parquet extract's own claims about its sizes before polars decodes it.
//!
//! polars sizes its buffers from what the file says: the footer's row counts, each column
//! chunk's value count, each page header's value, row, null and byte counts. A hostile or
//! broken file can claim far more than it holds (fuzzing found a page header of -1 values,
//! which polars read as 2^64 - 1 and tried to allocate for, aborting the process where no
//! error can be caught: `crates/csa-fuzz/regressions/extract_parquet/`). So every claim is
//! checked against what the bytes could hold first, and a file that fails is refused with
//! what it claimed:
//!
//! - rows in the file   <= `ROWS_PER_BYTE` x file bytes (a crime, victim or offender row
//!   carries at least its crime reference, far more than 1/16 of a byte even compressed);
//!   the footer's total = the sum of its row groups;
//! - per column chunk:  0 <= values <= the row group's rows (an extract is a flat table:
//!   a repeated (nested) column is refused), and its byte range lies within the file;
//! - per page header:   0 <= values, rows, nulls <= the row group's rows; a dictionary of at
//!   most that many entries; 0 <= compressed size, and the page within its chunk;
//!   0 <= uncompressed size <= `MAX_INFLATION` x compressed size + `SMALL_PAGE` bytes;
//!   the data pages' values add up to the chunk's.
//!
//! A file written by polars, pyarrow or Spark passes untouched; the bounds only refuse
//! claims no real extract makes.
//!
//! The footer is read first by the generated Thrift decoder, whose allocation budget refuses
//! a list claiming more entries than the footer could hold (polars' own decoder sized a
//! vector from such a claim: 80 GB). polars also panics on some malformed files (an `expect`
//! on a field's wire type in its footer decoder; a date out of range when cast to text);
//! [`guarded`] turns such a panic into the file's error, so a broken file is refused like
//! any other. All found by fuzzing.

use std::io::Cursor;

use polars_parquet::parquet::read::read_metadata;
use polars_parquet_format::thrift::protocol::{ReadThrift, TCompactInputProtocol};
use polars_parquet_format::{FileMetaData, PageHeader, PageType};

/// Most rows a file may claim per byte of its size.
const ROWS_PER_BYTE: usize = 16;
/// Most bytes a page may inflate to per compressed byte (above deflate's 1032:1, and beyond
/// any zstd or snappy page of real text columns).
const MAX_INFLATION: usize = 4096;
/// Uncompressed bytes any page may have whatever its compressed size.
const SMALL_PAGE: usize = 1 << 20;
/// Most bytes a page header may take.
const MAX_HEADER: usize = 1 << 20;

/// Runs `read` (the check and polars' read of one file), turning a panic inside it into an
/// error that says so.
pub fn guarded<T>(read: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no reason given".into());
            Err(format!("not a readable Parquet file (the reader stopped: {why})"))
        }
    }
}

/// Ok when every size the file claims fits what its `data` could hold; otherwise what was
/// claimed, where (row group, column, page), for the user's error message.
pub fn check(data: &[u8]) -> Result<(), String> {
    check_footer(data)?;
    let meta = read_metadata(&mut Cursor::new(data)).map_err(|e| e.to_string())?;
    let max_rows = data.len().saturating_mul(ROWS_PER_BYTE);
    if meta.num_rows > max_rows {
        return Err(format!(
            "the footer claims {} rows, more than a file of {} bytes can hold",
            meta.num_rows,
            data.len()
        ));
    }
    let groups: usize = meta.row_groups.iter().map(|g| g.num_rows()).fold(0, usize::saturating_add);
    if groups != meta.num_rows {
        return Err(format!(
            "the footer claims {} rows but its row groups hold {groups}",
            meta.num_rows
        ));
    }
    for (g, group) in meta.row_groups.iter().enumerate() {
        let rows = group.num_rows();
        for chunk in group.parquet_columns() {
            let desc = chunk.descriptor();
            let at = |what: String| {
                format!("row group {}, column {:?}: {what}", g + 1, desc.path_in_schema.join("."))
            };
            if desc.descriptor.max_rep_level > 0 {
                return Err(at("a repeated (nested) column; an extract is a flat table".into()));
            }
            let values = chunk.num_values();
            if values < 0 || values as u64 > rows as u64 {
                return Err(at(format!("claims {values} values in a row group of {rows} rows")));
            }
            let range = chunk.byte_range();
            if range.start > range.end || range.end > data.len() as u64 {
                return Err(at(format!(
                    "claims bytes {}..{} of a file of {} bytes",
                    range.start,
                    range.end,
                    data.len()
                )));
            }
            let bytes = &data[range.start as usize..range.end as usize];
            check_pages(bytes, values as u64, rows as u64).map_err(at)?;
        }
    }
    Ok(())
}

/// Reads the footer with the generated Thrift decoder, which refuses a list claiming more
/// entries than the bytes left could hold, before polars' own decoder sizes its vectors from
/// those claims (a footer claiming a list of billions of entries made it ask for 80 GB).
fn check_footer(data: &[u8]) -> Result<(), String> {
    let n = data.len();
    if n < 12 || &data[n - 4..] != b"PAR1" {
        return Err("not a Parquet file (it does not end in PAR1)".into());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&data[n - 8..n - 4]);
    let len = u32::from_le_bytes(len) as usize;
    if len > n - 12 {
        return Err(format!("the footer claims {len} bytes of a file of {n}"));
    }
    let footer = &data[n - 8 - len..n - 8];
    // the decoder's budget is what it may allocate: 8 bytes a list entry (each entry takes
    // at least a byte of footer) and each string's length, so a real footer needs at most
    // ~8x its size
    let budget = footer.len().saturating_mul(64).saturating_add(1 << 20);
    let mut prot = TCompactInputProtocol::new(footer, budget);
    let _: FileMetaData = ReadThrift::read_from_in_protocol(&mut prot)
        .map_err(|e| format!("unreadable footer ({e})"))?;
    Ok(())
}

/// Walks the page headers of one column chunk (`bytes`) as polars will, until the data pages
/// have given the chunk's `values`.
fn check_pages(bytes: &[u8], values: u64, rows: u64) -> Result<(), String> {
    let in_range = |n: i32| n >= 0 && n as u64 <= rows;
    let (mut pos, mut seen, mut page) = (0usize, 0u64, 0usize);
    while seen < values {
        page += 1;
        if pos >= bytes.len() {
            return Err(format!("its pages end after {seen} of its {values} values"));
        }
        let mut cursor = Cursor::new(&bytes[pos..]);
        let header = {
            let mut prot = TCompactInputProtocol::new(&mut cursor, MAX_HEADER);
            PageHeader::read_from_in_protocol(&mut prot)
                .map_err(|e| format!("page {page}: unreadable header ({e})"))?
        };
        pos += cursor.position() as usize;
        let (compressed, uncompressed) =
            (header.compressed_page_size, header.uncompressed_page_size);
        if compressed < 0 || compressed as usize > bytes.len() - pos {
            return Err(format!("page {page}: claims {compressed} bytes, past its column chunk"));
        }
        let most = (compressed as usize).saturating_mul(MAX_INFLATION).saturating_add(SMALL_PAGE);
        if uncompressed < 0 || uncompressed as usize > most {
            return Err(format!(
                "page {page}: claims to inflate {compressed} bytes to {uncompressed}"
            ));
        }
        let counts: Vec<(&str, i32)> = match header.type_ {
            PageType::DATA_PAGE => match &header.data_page_header {
                Some(h) => vec![("values", h.num_values)],
                None => return Err(format!("page {page}: a data page without its header")),
            },
            PageType::DATA_PAGE_V2 => match &header.data_page_header_v2 {
                Some(h) => {
                    vec![("values", h.num_values), ("rows", h.num_rows), ("nulls", h.num_nulls)]
                }
                None => return Err(format!("page {page}: a data page without its header")),
            },
            PageType::DICTIONARY_PAGE => match &header.dictionary_page_header {
                Some(h) => vec![("dictionary entries", h.num_values)],
                None => return Err(format!("page {page}: a dictionary page without its header")),
            },
            _ => vec![],
        };
        for (what, n) in &counts {
            if !in_range(*n) {
                return Err(format!(
                    "page {page}: claims {n} {what} in a row group of {rows} rows"
                ));
            }
        }
        if matches!(header.type_, PageType::DATA_PAGE | PageType::DATA_PAGE_V2) {
            seen += counts[0].1 as u64;
        }
        pos += compressed as usize;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use polars::prelude::*;

    fn parquet_of(df: &mut DataFrame) -> Vec<u8> {
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(df).unwrap();
        buf
    }

    #[test]
    fn a_file_polars_writes_passes() {
        let refs: Vec<String> = (0..5000).map(|i| format!("CR{i:06}")).collect();
        let mut df = df!("crime_ref" => refs, "n" => (0..5000).collect::<Vec<i64>>()).unwrap();
        assert_eq!(check(&parquet_of(&mut df)), Ok(()));
    }

    #[test]
    fn a_page_claiming_negative_values_is_refused() {
        // Rewrite the first data page header's num_values (field 1 of field 5) from 3 to -1:
        // in the compact protocol a zigzag varint, 3 -> 0x06, -1 -> 0x01.
        let mut df = df!("crime_ref" => ["a", "b", "c"]).unwrap();
        let mut buf = parquet_of(&mut df);
        assert_eq!(check(&buf), Ok(()));
        let meta = read_metadata(&mut Cursor::new(&buf[..])).unwrap();
        let chunk = &meta.row_groups[0].parquet_columns()[0];
        let start = chunk.byte_range().start as usize;
        // the first page header of the chunk: find the data page header's first field
        // (struct field 5 = 0x5c after the sizes, then field 1 i32 = 0x15, then the varint)
        let hdr = &mut buf[start..start + 40];
        let at = hdr.windows(2).position(|w| w == [0x15, 0x06]).expect("num_values 3 encoded");
        hdr[at + 1] = 0x01;
        let err = check(&buf).unwrap_err();
        assert!(err.contains("claims -1 "), "{err}");
    }

    #[test]
    fn a_panic_in_the_reader_is_an_error() {
        let r: Result<(), String> = guarded(|| panic!("thrift bool field"));
        assert_eq!(
            r.unwrap_err(),
            "not a readable Parquet file (the reader stopped: thrift bool field)"
        );
        assert_eq!(guarded(|| Ok(3)), Ok(3));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(check(b"PAR1 not really a parquet file PAR1").is_err());
        assert!(check(b"").is_err());
    }
}
