//! How the pack's populations (every priority, every crime type, all crime) relate, checked
//! on the data of one period: the relations an attacker can use to link their tables.
//!
//! With `S(p)` the records of population `p` in the period:
//! - **same**: `S(a) = S(b)` (the priority "Robbery" and the crime type Robbery): one
//!   population, named by the first in pack order (all, the priorities, the crime types);
//! - **subset**: `S(a)` a proper subset of `S(b)`: every count of `a` is at most `b`'s;
//! - **partition**: `S(w)` the disjoint union of `S(p_1)..S(p_k)` (serious acquisitive crime
//!   = residential burglary + robbery + vehicle crime; all crime = its crime types): `w`'s
//!   count is the sum of the parts' wherever they are all published;
//! - **packing**: disjoint `S(p_i)` inside `S(w)` that do not cover it: their sum is at most
//!   `w`'s;
//! - **cover**: `S(w)` inside the union of overlapping `S(p_i)` (hate crime and its strands):
//!   `w`'s count is at most their sum.
//!
//! Relations are checked on the data rather than read off the filters: they are what holds,
//! including what holds by accident of the data, which an attacker may guess. Each period is
//! checked on its own records, so two packs that share a year find the same relations for it.
//! Disjoint families are found greedily from each child of `w` (the children are the largest
//! proper subsets), and the crime types always partition all crime.

use std::collections::BTreeMap;

/// A set of records as a bit set over the loaded rows.
#[derive(Clone, PartialEq, Eq)]
pub struct Rows {
    bits: Vec<u64>,
    count: u64,
}

impl Rows {
    pub fn new(len: usize, rows: impl IntoIterator<Item = u32>) -> Rows {
        let mut bits = vec![0u64; len.div_ceil(64)];
        for r in rows {
            bits[r as usize / 64] |= 1 << (r % 64);
        }
        let count = bits.iter().map(|w| u64::from(w.count_ones())).sum();
        Rows { bits, count }
    }

    /// The rows, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &bits)| {
            (0..64).filter(move |b| bits & (1 << b) != 0).map(move |b| (w * 64 + b) as u32)
        })
    }

    fn subset_of(&self, o: &Rows) -> bool {
        self.count <= o.count && self.bits.iter().zip(&o.bits).all(|(a, b)| a & !b == 0)
    }

    fn disjoint(&self, o: &Rows) -> bool {
        self.bits.iter().zip(&o.bits).all(|(a, b)| a & b == 0)
    }

    fn union(&mut self, o: &Rows) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a |= b;
        }
        self.count = self.bits.iter().map(|w| u64::from(w.count_ones())).sum();
    }
}

/// The relations of one period (population names canonical).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Relations {
    /// Every population's canonical name.
    pub canonical: BTreeMap<String, String>,
    /// (sub, sup): every count of sub is at most sup's.
    pub subsets: Vec<(String, String)>,
    /// (whole, parts).
    pub partitions: Vec<(String, Vec<String>)>,
    pub packings: Vec<(String, Vec<String>)>,
    pub covers: Vec<(String, Vec<String>)>,
}

impl Relations {
    /// The canonical name of `pop` (itself when unknown).
    pub fn name<'a>(&'a self, pop: &'a str) -> &'a str {
        self.canonical.get(pop).map_or(pop, String::as_str)
    }
}

/// The relations between `pops` (name, records), in pack order; `types` are the crime
/// types' names, which partition `all`.
pub fn relations(pops: &[(String, Rows)], all: &str, types: &[String]) -> Relations {
    let mut out = Relations::default();
    // identical sets: one canonical name, the first
    let mut reps: Vec<usize> = Vec::new();
    for (i, (name, rows)) in pops.iter().enumerate() {
        match reps.iter().find(|&&r| pops[r].1 == *rows) {
            Some(&r) => {
                out.canonical.insert(name.clone(), pops[r].0.clone());
            }
            None => {
                reps.push(i);
                out.canonical.insert(name.clone(), name.clone());
            }
        }
    }
    let n = reps.len();
    let sub: Vec<Vec<bool>> = (0..n)
        .map(|a| (0..n).map(|b| a != b && pops[reps[a]].1.subset_of(&pops[reps[b]].1)).collect())
        .collect();
    let name = |k: usize| pops[reps[k]].0.clone();
    let size = |k: usize| pops[reps[k]].1.count;
    for (a, row) in sub.iter().enumerate() {
        for (b, &is_sub) in row.iter().enumerate() {
            if is_sub && size(a) > 0 {
                out.subsets.push((name(a), name(b)));
            }
        }
    }
    let mut seen: Vec<(usize, Vec<usize>)> = Vec::new();
    for w in 0..n {
        // children: the largest proper non-empty subsets
        let mut kids: Vec<usize> = (0..n)
            .filter(|&c| sub[c][w] && size(c) > 0)
            .filter(|&c| !(0..n).any(|m| m != c && sub[c][m] && sub[m][w]))
            .collect();
        kids.sort_by(|&x, &y| size(y).cmp(&size(x)).then(x.cmp(&y)));
        if kids.is_empty() {
            continue;
        }
        let whole = &pops[reps[w]].1;
        for &seed in &kids {
            let mut fam = vec![seed];
            for &c in &kids {
                if c != seed && fam.iter().all(|&f| pops[reps[f]].1.disjoint(&pops[reps[c]].1)) {
                    fam.push(c);
                }
            }
            if fam.len() < 2 {
                continue;
            }
            fam.sort_unstable();
            if seen.iter().any(|(sw, sf)| *sw == w && *sf == fam) {
                continue;
            }
            seen.push((w, fam.clone()));
            let total: u64 = fam.iter().map(|&f| size(f)).sum();
            let names: Vec<String> = fam.iter().map(|&f| name(f)).collect();
            if total == whole.count {
                out.partitions.push((name(w), names));
            } else {
                out.packings.push((name(w), names));
            }
        }
        // the children together cover the whole and overlap: a cover
        let mut u = Rows { bits: vec![0; whole.bits.len()], count: 0 };
        for &c in &kids {
            u.union(&pops[reps[c]].1);
        }
        let disjoint = kids.iter().enumerate().all(|(i, &x)| {
            kids[i + 1..].iter().all(|&y| pops[reps[x]].1.disjoint(&pops[reps[y]].1))
        });
        if kids.len() >= 2 && u.count == whole.count && !disjoint {
            out.covers.push((name(w), kids.iter().map(|&c| name(c)).collect()));
        }
    }
    // the crime types partition all crime, whatever the greedy search found
    let parts: Vec<String> = {
        let mut v: Vec<String> = types.iter().map(|t| out.name(t).to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let all = out.name(all).to_string();
    if parts.len() >= 2
        && !out.partitions.iter().any(|(w, p)| {
            *w == all && {
                let mut q = p.clone();
                q.sort();
                q == parts
            }
        })
    {
        out.partitions.push((all, parts));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pop(name: &str, rows: &[u32]) -> (String, Rows) {
        (name.to_string(), Rows::new(20, rows.iter().copied()))
    }

    #[test]
    fn partitions_subsets_covers_and_same() {
        // rows 0..12: burglary 0-2, robbery 3-4, vehicle 5-7, other 8-11; SAC = 0-7;
        // "Robbery" the priority and "crime type: Robbery" are the same rows;
        // hate 12-15 with strands race 12-14, religion 14-15 (overlapping at 14)
        let pops = vec![
            pop("all", &(0..16).collect::<Vec<_>>()),
            pop("SAC", &(0..8).collect::<Vec<_>>()),
            pop("Burglary", &[0, 1, 2]),
            pop("Robbery", &[3, 4]),
            pop("Hate", &[12, 13, 14, 15]),
            pop("Race", &[12, 13, 14]),
            pop("Religion", &[14, 15]),
            pop("ct:Burglary", &[0, 1, 2]),
            pop("ct:Robbery", &[3, 4]),
            pop("ct:Vehicle", &[5, 6, 7]),
            pop("ct:Other", &[8, 9, 10, 11, 12, 13, 14, 15]),
        ];
        let types: Vec<String> =
            ["ct:Burglary", "ct:Robbery", "ct:Vehicle", "ct:Other"].map(String::from).to_vec();
        let r = relations(&pops, "all", &types);
        assert_eq!(r.name("ct:Robbery"), "Robbery");
        assert_eq!(r.name("ct:Burglary"), "Burglary");
        assert!(r.subsets.contains(&("Race".into(), "Hate".into())));
        assert!(r.subsets.contains(&("Robbery".into(), "all".into())));
        let sac = r.partitions.iter().find(|(w, _)| w == "SAC").expect("SAC partition");
        let mut parts = sac.1.clone();
        parts.sort();
        assert_eq!(parts, vec!["Burglary", "Robbery", "ct:Vehicle"]);
        assert!(r.partitions.iter().any(|(w, p)| w == "all" && p.len() == 4));
        assert!(r.covers.contains(&("Hate".into(), vec!["Race".into(), "Religion".into()])));
        // race and religion overlap: no packing of the two inside hate
        assert!(!r.packings.iter().any(|(w, _)| w == "Hate"));
    }
}
