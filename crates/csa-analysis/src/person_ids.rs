//! Person ids across partitions: each month's ids are interned on their own (in parallel),
//! then merged into one dataset-wide dictionary on 64-bit hashes of the ids, with collisions
//! detected by comparing the strings.

use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Interned person ids: `codes[record]` is 0 for a missing id, else a code from 1; the ids
/// themselves sit end to end in one string (no allocation per person).
#[derive(Debug, Clone, Default)]
pub struct PersonIds {
    pub codes: Vec<u32>,
    /// 64-bit hash of each id (`hashes[code - 1]`), see [`hash_id`].
    hashes: Vec<u64>,
    arena: String,
    /// End of each id in `arena`.
    ends: Vec<u32>,
}

impl PersonIds {
    /// Bytes it holds on the heap (approximately).
    pub fn heap_bytes(&self) -> usize {
        self.codes.len() * 4 + self.hashes.len() * 8 + self.arena.len() + self.ends.len() * 4
    }

    /// The id of a code (`None` for 0).
    pub fn id(&self, code: u32) -> Option<&str> {
        let c = code.checked_sub(1)? as usize;
        let start = if c == 0 { 0 } else { self.ends[c - 1] as usize };
        Some(&self.arena[start..self.ends[c] as usize])
    }
    /// Number of distinct ids.
    pub fn distinct(&self) -> usize {
        self.ends.len()
    }
    /// The ids of `records` (indices into `codes`, in order) as a dictionary of their own,
    /// numbered in order of first appearance: what interning those records' ids gives.
    pub(crate) fn subset(&self, records: &[usize]) -> PersonIds {
        let mut map: FxHashMap<u32, u32> = FxHashMap::default();
        let mut out = PersonIds::default();
        let codes = records
            .iter()
            .map(|&i| match self.codes[i] {
                0 => 0,
                c => *map.entry(c).or_insert_with(|| {
                    out.push(self.id(c).unwrap_or_default(), self.hashes[c as usize - 1])
                }),
            })
            .collect();
        out.codes = codes;
        out
    }
    fn push(&mut self, id: &str, hash: u64) -> u32 {
        self.arena.push_str(id);
        self.ends.push(self.arena.len() as u32);
        self.hashes.push(hash);
        self.ends.len() as u32
    }
}

pub(crate) fn hash_id(s: &str) -> u64 {
    use std::hash::Hasher;
    // SipHash with fixed keys: the same id hashes alike in every chunk and every run
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(s.as_bytes());
    h.finish()
}

pub(crate) fn intern_ids(ca: &StringChunked) -> PersonIds {
    let mut map: FxHashMap<&str, u32> = FxHashMap::default();
    let mut ids = PersonIds::default();
    let codes = ca
        .iter()
        .map(|v| match v {
            None => 0,
            Some(v) => *map.entry(v).or_insert_with(|| ids.push(v, hash_id(v))),
        })
        .collect();
    ids.codes = codes;
    ids
}

/// Builds the dataset-wide person dictionary from per-partition ones. Keys are the ids'
/// 64-bit hashes (integer keys: no string hashing in the merge); a hash shared by two
/// different ids is detected by comparing the strings and those ids are kept apart.
/// The hash space is split into shards merged in parallel; a shard's ids are numbered in
/// first-seen order and the shards follow each other, so codes are deterministic.
pub(crate) fn merge_ids(parts: Vec<PersonIds>) -> PersonIds {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    const SHARD_BITS: u32 = 3;
    const LOCAL_BITS: u32 = 32 - SHARD_BITS;
    let shards = 1usize << SHARD_BITS;
    let shard_of = |h: u64| (h >> (64 - SHARD_BITS)) as usize;
    // remaps[part][code in part] = shard << LOCAL_BITS | code in shard; each slot belongs to
    // one shard, so the shards fill them side by side
    let remaps: Vec<Vec<AtomicU32>> =
        parts.iter().map(|p| (0..=p.distinct()).map(|_| AtomicU32::new(0)).collect()).collect();
    let per_shard = parts.iter().map(PersonIds::distinct).sum::<usize>() / shards + 64;
    // per shard: the (part, code in part) of the first occurrence of each shard code
    let firsts: Vec<Vec<(u32, u32)>> = (0..shards)
        .into_par_iter()
        .map(|s| {
            let mut by_hash: FxHashMap<u64, u32> =
                FxHashMap::with_capacity_and_hasher(per_shard, Default::default());
            let mut collided: FxHashMap<&str, u32> = FxHashMap::default();
            let mut firsts: Vec<(u32, u32)> = Vec::with_capacity(per_shard);
            let id_of = |k: u32, c: u32| parts[k as usize].id(c).unwrap_or_default();
            for (k, part) in parts.iter().enumerate() {
                let k = k as u32;
                for (j, h) in part.hashes.iter().enumerate() {
                    if shard_of(*h) != s {
                        continue;
                    }
                    let c = j as u32 + 1;
                    let new = |firsts: &mut Vec<(u32, u32)>| {
                        firsts.push((k, c));
                        firsts.len() as u32 - 1
                    };
                    let code = match by_hash.get(h) {
                        None => {
                            let n = new(&mut firsts);
                            by_hash.insert(*h, n);
                            n
                        }
                        Some(&n)
                            if {
                                let (fk, fc) = firsts[n as usize];
                                id_of(fk, fc) == id_of(k, c)
                            } =>
                        {
                            n
                        }
                        Some(_) => match collided.get(id_of(k, c)) {
                            Some(&n) => n,
                            None => {
                                let n = new(&mut firsts);
                                collided.insert(id_of(k, c), n);
                                n
                            }
                        },
                    };
                    remaps[k as usize][c as usize].store((s as u32) << LOCAL_BITS | code, Relaxed);
                }
            }
            firsts
        })
        .collect();
    let mut offsets = Vec::with_capacity(shards);
    let mut total = 0u32;
    for f in &firsts {
        offsets.push(total);
        total += f.len() as u32;
    }
    let mut out = PersonIds {
        codes: Vec::with_capacity(parts.iter().map(|p| p.codes.len()).sum()),
        hashes: Vec::with_capacity(total as usize),
        arena: String::with_capacity(parts.iter().map(|p| p.arena.len()).sum()),
        ends: Vec::with_capacity(total as usize),
    };
    for f in &firsts {
        for &(k, c) in f {
            let p = &parts[k as usize];
            out.push(p.id(c).unwrap_or_default(), p.hashes[c as usize - 1]);
        }
    }
    let local_mask = (1u32 << LOCAL_BITS) - 1;
    for (part, remap) in parts.iter().zip(&remaps) {
        out.codes.extend(part.codes.iter().map(|&c| match c {
            0 => 0,
            c => {
                let v = remap[c as usize].load(Relaxed);
                offsets[(v >> LOCAL_BITS) as usize] + (v & local_mask) + 1
            }
        }));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn person_ids_merge_across_chunks_and_survive_hash_collisions() {
        let ids = |codes: Vec<u32>, values: &[(u64, &str)]| {
            let mut p = PersonIds::default();
            for (h, v) in values {
                p.push(v, *h);
            }
            p.codes = codes;
            p
        };
        // chunk 1: A B A; chunk 2: B - C, where C is given A's hash (a forced collision);
        // chunk 3: C again, still under the colliding hash
        let t = merge_ids(vec![
            ids(vec![1, 2, 1], &[(hash_id("A"), "A"), (hash_id("B"), "B")]),
            ids(vec![1, 0, 2], &[(hash_id("B"), "B"), (hash_id("A"), "C")]),
            ids(vec![1], &[(hash_id("A"), "C")]),
        ]);
        let rows: Vec<Option<&str>> = t.codes.iter().map(|c| t.id(*c)).collect();
        assert_eq!(
            rows,
            vec![Some("A"), Some("B"), Some("A"), Some("B"), None, Some("C"), Some("C")]
        );
        assert_eq!(t.distinct(), 3);
        assert_ne!(hash_id("A"), hash_id("B"));
        assert_eq!(hash_id("A"), hash_id("A"));
    }
}
