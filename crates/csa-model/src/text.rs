//! The rule for control characters in text fields, shared by every reader (police.uk,
//! force extracts, the survey) so that they treat them alike (see `data/README.md`,
//! "Control characters"):
//!
//! - **Line breaks** (CR, LF) inside a quoted field are cleaned: each run of them becomes one
//!   space (a multi-line free-text answer or address reads the same on one line).
//! - **Tab** is kept.
//! - **Any other control character** (C0: U+0000 to U+001F, and DEL, U+007F) makes the row
//!   unusable: the readers quarantine it (reason `control_character`) naming the field.
//! - In what csa writes about a rejected row (value, raw row, detail), such characters are
//!   shown escaped as `\x00`, never passed on as they are.

use std::borrow::Cow;

/// A control character that is neither tab nor a line break: C0 or DEL.
pub fn is_forbidden(c: char) -> bool {
    (c.is_ascii_control()) && !matches!(c, '\t' | '\r' | '\n')
}

/// True when `bytes` hold any C0 control character or DEL other than tab, line breaks
/// included: one fast scan over a whole row decides whether its fields need a look.
pub fn has_control_bytes(bytes: &[u8]) -> bool {
    // branch-free over 32 bytes at a time (the compiler makes it vector code): every field of
    // every row is scanned, and `any` with its early exit is scanned a byte at a time
    let control = |b: u8| ((b < 0x20) & (b != b'\t')) | (b == 0x7f);
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |seen, &b| seen | control(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| control(b))
}

/// The first forbidden control character of `s` (see [`is_forbidden`]).
pub fn forbidden_in(s: &str) -> Option<char> {
    s.chars().find(|&c| is_forbidden(c))
}

/// `s` with each run of CR/LF replaced by one space (borrowed when there is none).
pub fn clean_line_breaks(s: &str) -> Cow<'_, str> {
    if !s.contains(['\r', '\n']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut in_break = false;
    for c in s.chars() {
        if c == '\r' || c == '\n' {
            if !in_break {
                out.push(' ');
            }
            in_break = true;
        } else {
            out.push(c);
            in_break = false;
        }
    }
    Cow::Owned(out)
}

/// `s` with every forbidden control character written as `\xHH` (borrowed when there is
/// none); tab and line breaks are kept.
pub fn escape_forbidden(s: &str) -> Cow<'_, str> {
    if forbidden_in(s).is_none() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_forbidden(c) {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How a field holding `c` is described in a quarantine detail.
pub fn describe(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\x1a' => " (SUB, end-of-file mark)",
        '\x7f' => " (DEL)",
        _ => "",
    };
    format!("holds the control character \\x{:02x}{name}", c as u32)
}

/// The rule on a CSV row: `Err((i, c))` when a field
/// that `reads(i)` says csa uses holds the forbidden character `c`; otherwise the row with
/// every run of line breaks in its fields made one space (`None` when nothing changes). One
/// scan over the row's bytes settles the usual case, a row with no control bytes at all.
pub fn check_record(
    fields: &csv::StringRecord,
    reads: impl Fn(usize) -> bool,
) -> Result<Option<csv::StringRecord>, (usize, char)> {
    if !has_control_bytes(fields.as_slice().as_bytes()) {
        return Ok(None);
    }
    for (i, f) in fields.iter().enumerate() {
        if let Some(c) = forbidden_in(f).filter(|_| reads(i)) {
            return Err((i, c));
        }
    }
    if !fields.as_slice().contains(['\r', '\n']) {
        return Ok(None);
    }
    Ok(Some(fields.iter().map(|f| clean_line_breaks(f)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_at_every_place_of_a_row() {
        for b in 0..=255u8 {
            let control = (b < 0x20 && b != b'\t') || b == 0x7f;
            for len in [1, 31, 32, 33, 64, 70] {
                for at in 0..len {
                    let mut row = vec![b'a'; len];
                    row[at] = b;
                    assert_eq!(has_control_bytes(&row), control, "byte {b} at {at} of {len}");
                }
            }
        }
        assert!(!has_control_bytes(b""));
    }

    #[test]
    fn the_rule() {
        assert!(is_forbidden('\0') && is_forbidden('\x1f') && is_forbidden('\x7f'));
        assert!(!is_forbidden('\t') && !is_forbidden('\n') && !is_forbidden('\r'));
        assert!(!is_forbidden(' ') && !is_forbidden('\u{85}') && !is_forbidden('é'));
        assert!(has_control_bytes(b"a\nb") && has_control_bytes(b"\x7f"));
        assert!(!has_control_bytes(b"a\tb, c"));
        assert_eq!(forbidden_in("ab\x0bc\0"), Some('\x0b'));
        assert_eq!(clean_line_breaks("Flat 2\r\n\r\n12 High St\nCV1"), "Flat 2 12 High St CV1");
        assert!(matches!(clean_line_breaks("no breaks"), Cow::Borrowed(_)));
        assert_eq!(escape_forbidden("a\0b\tc\x7f"), "a\\x00b\tc\\x7f");
        assert_eq!(describe('\0'), "holds the control character \\x00 (NUL)");
    }

    #[test]
    fn records() {
        let rec = |v: &[&str]| v.iter().copied().collect::<csv::StringRecord>();
        assert_eq!(check_record(&rec(&["a", "b\tc"]), |_| true), Ok(None));
        assert_eq!(check_record(&rec(&["a", "b\0c"]), |_| true), Err((1, '\0')));
        // a field csa does not read may hold anything; line breaks are cleaned everywhere
        let cleaned = check_record(&rec(&["a\r\nb", "\x01"]), |i| i == 0);
        assert_eq!(cleaned, Ok(Some(rec(&["a b", "\x01"]))));
    }
}
