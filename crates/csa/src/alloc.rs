//! The allocator (jemalloc, see `main.rs`) tuned for a long-running `csa serve` and a large
//! `csa assess` ([`return_idle_pages`]), and told to return what `csa ingest` has freed
//! between its steps ([`release_freed_above`]).
//!
//! jemalloc is built to keep every page it frees (`.cargo/config.toml`: `dirty_decay_ms:-1`):
//! right for the batch commands, whose memory goes at exit, and whose speed suffered from
//! handing pages back only to fault them in again. A server is the opposite case: each burst
//! of requests frees its transient memory in whichever of jemalloc's arenas served it, and
//! with nothing ever returned the resident memory climbs to the sum of every arena's peak
//! although nothing is held (measured: BENCHMARKS.md, "csa serve under load"). `csa assess`
//! is the same case within one run: its sections run side by side and each frees what it
//! built, so on a national year the kept pages doubled its resident memory (6.5 GB, against
//! 3.5 GB returning them; BENCHMARKS.md). So before serving, and before assessing:
//! - `dirty_decay_ms` = [`DECAY_MS`] and `muzzy_decay_ms` = 0 for every arena (those made
//!   already, and the default for those made later): pages unused for about a second go
//!   back to the system;
//! - `background_thread`: jemalloc's own thread does that on a timer, not only when a request
//!   thread happens to allocate.
//!
//! The only `unsafe` in csa: `mallctl` takes untyped pointers. Each call passes a value of
//! the type its key documents (jemalloc's manual: `ssize_t`, `bool`, `unsigned`).
#![allow(unsafe_code)]

use std::ffi::{c_void, CString};

/// How long freed pages stay resident for reuse, in milliseconds, once [`return_idle_pages`]
/// has run.
pub const DECAY_MS: isize = 1000;

/// Applies the settings above; an error names the setting jemalloc refused.
pub fn return_idle_pages() -> Result<(), String> {
    write("arenas.dirty_decay_ms", DECAY_MS)?;
    write("arenas.muzzy_decay_ms", 0isize)?;
    let narenas: u32 = read("arenas.narenas")?;
    for i in 0..narenas {
        // an arena not made yet refuses; it takes the arenas.* defaults above when made
        let _ = write(&format!("arena.{i}.dirty_decay_ms"), DECAY_MS);
        let _ = write(&format!("arena.{i}.muzzy_decay_ms"), 0isize);
    }
    write("background_thread", true)
}

/// Hands the pages freed so far back to the system at once (every arena's
/// `arena.<MALLCTL_ARENAS_ALL>.purge`). `csa ingest` calls it, through
/// [`release_freed_above`], between its steps once it holds a third of its budget:
/// jemalloc keeps freed pages for the batch commands' speed, and over an ingest's passes the
/// pages kept by one pass (spill buffers, a bucket's hash map, a month's rows) are not
/// reusable by the next pass's differently sized allocations, so without it the resident
/// memory of a 6M-row ingest reached 2.0 GB against a 1.5 GB budget (BENCHMARKS.md).
pub fn release_freed() {
    // 4096: MALLCTL_ARENAS_ALL
    let Ok(name) = CString::new("arena.4096.purge") else { return };
    // SAFETY: a void control: no value is passed in or read back.
    let _ = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
}

/// [`release_freed`] when this process's resident memory is above `bytes`: `csa ingest`
/// calls it at each progress step with a third of its memory budget, so a small ingest keeps
/// its pages (and its speed) and a large one stays within the budget.
pub fn release_freed_above(bytes: u64) {
    if resident_bytes().is_none_or(|r| r > bytes) {
        release_freed();
    }
}

/// VmRSS of this process (Linux `/proc/self/status`); `None` where it cannot be read.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Reads one mallctl value of type `T`.
fn read<T: Copy + Default>(key: &str) -> Result<T, String> {
    let name = CString::new(key).map_err(|e| e.to_string())?;
    let mut value = T::default();
    let mut len = std::mem::size_of::<T>();
    // SAFETY: `value` is a `T` of `len` bytes, the type the key documents; jemalloc writes
    // at most `len` bytes into it and nothing is passed in.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            (&mut value as *mut T).cast::<c_void>(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(format!("jemalloc refused to read {key} (error {rc})"))
    }
}

/// Writes one mallctl value of type `T`.
fn write<T: Copy>(key: &str, value: T) -> Result<(), String> {
    let name = CString::new(key).map_err(|e| e.to_string())?;
    let mut value = value;
    // SAFETY: `value` is a `T` passed with its size, the type the key documents; jemalloc
    // only reads it, and nothing is read back.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&mut value as *mut T).cast::<c_void>(),
            std::mem::size_of::<T>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("jemalloc refused {key} (error {rc})"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read() {
        let r = resident_bytes().unwrap();
        assert!(r > 1 << 20 && r < 1 << 40, "{r}");
        // over any size: a purge, which must not disturb what is still held
        let held = vec![7u8; 8 << 20];
        release_freed_above(0);
        assert!(held.iter().all(|&b| b == 7));
    }

    #[test]
    fn jemalloc_takes_the_settings_that_return_idle_pages() {
        return_idle_pages().unwrap();
        assert_eq!(read::<isize>("arenas.dirty_decay_ms").unwrap(), DECAY_MS);
        assert_eq!(read::<isize>("arena.0.dirty_decay_ms").unwrap(), DECAY_MS);
        assert!(read::<bool>("background_thread").unwrap());
    }
}
