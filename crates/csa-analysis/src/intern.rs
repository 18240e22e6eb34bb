//! Interning text columns read from Parquet into [`Text`] dictionaries: per chunk (one month
//! partition, in parallel) and then into one dictionary per column across chunks.

use polars::prelude::*;
use rustc_hash::FxHashMap;

use crate::store::Text;

/// Builds one [`Text`] from many chunks, sharing one dictionary.
#[derive(Default)]
pub(crate) struct Interner {
    map: FxHashMap<String, u32>,
    pub(crate) text: Text,
}

impl Interner {
    fn code(&mut self, v: &str) -> u32 {
        if let Some(c) = self.map.get(v) {
            return *c;
        }
        self.text.values.push(v.to_string());
        let c = self.text.values.len() as u32;
        self.map.insert(v.to_string(), c);
        c
    }
    /// Appends a chunk interned against its own dictionary.
    pub(crate) fn append(&mut self, chunk: Text) {
        let remap: Vec<u32> =
            std::iter::once(0).chain(chunk.values.iter().map(|v| self.code(v))).collect();
        self.text.codes.extend(chunk.codes.iter().map(|c| remap[*c as usize]));
    }
}

/// Interns a column whose value is determined by `parent`'s: one lookup per parent code.
pub(crate) fn dependent(parent: &Text, ca: &StringChunked) -> Text {
    let mut code_of: Vec<Option<u32>> = vec![None; parent.cardinality()];
    let mut values: Vec<String> = Vec::new();
    let codes = parent
        .codes
        .iter()
        .enumerate()
        .map(|(row, &p)| {
            *code_of[p as usize].get_or_insert_with(|| match ca.get(row) {
                None => 0,
                Some(v) => match values.iter().position(|x| x == v) {
                    Some(i) => i as u32 + 1,
                    None => {
                        values.push(v.to_string());
                        values.len() as u32
                    }
                },
            })
        })
        .collect();
    Text { codes, values }
}

pub(crate) fn intern_chunk(ca: &StringChunked) -> Text {
    // Arrow string views are 16 bytes: the string itself when it is short, else a pointer
    // into a buffer that a Parquet dictionary page shares between its rows. Equal views
    // mean equal strings, so a view is a cheap integer key for the string; different
    // views of one string meet again in the string map.
    let mut by_view: FxHashMap<u128, u32> = FxHashMap::default();
    let mut by_str: FxHashMap<&str, u32> = FxHashMap::default();
    let mut values: Vec<&str> = Vec::new();
    let mut codes = Vec::with_capacity(ca.len());
    let mut last: Option<(u128, u32)> = None;
    for arr in ca.downcast_iter() {
        for (v, view) in arr.iter().zip(arr.views().iter()) {
            let Some(v) = v else {
                codes.push(0);
                continue;
            };
            let key = view.as_u128();
            let code = match last {
                Some((k, c)) if k == key => c,
                _ => *by_view.entry(key).or_insert_with(|| {
                    *by_str.entry(v).or_insert_with(|| {
                        values.push(v);
                        values.len() as u32
                    })
                }),
            };
            last = Some((key, code));
            codes.push(code);
        }
    }
    Text { codes, values: values.into_iter().map(str::to_string).collect() }
}
