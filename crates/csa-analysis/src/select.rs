//! Evaluating a priority's [`Filter`] on loaded crimes.
//!
//! Text conditions become a lookup table over the column's dictionary codes, so a row test
//! is a few array reads. A flag condition matches only rows where the flag is recorded with
//! that value (an unrecorded flag matches neither `true` nor `false`). "Night of" day `d`
//! covers day `d` from 06:00 and day `d + 1` before 06:00.
//!
//! Partner incidents (`record_kind = incident`) never count as crime: a filter node that
//! neither asks for them (`record_kind = "incident"`, `source`, `category`), nor has an
//! ancestor or an `any` branch that does, excludes them. So `all` and every police priority
//! count exactly what they counted before partner data was added, and a filter such as
//! `{ source = ["ambulance"], any = [{ night_of = ["Fri", "Sat"] }] }` selects ambulance
//! incidents by their own conditions.

use std::sync::Arc;

use csa_model::taxonomy::fold;
use csa_model::{Col, HateStrand, RecordKind};
use rayon::prelude::*;

use crate::config::Filter;
use crate::error::Result;
use crate::period::Period;
use crate::store::{Crimes, Text};

/// Columns a filter reads.
pub fn filter_columns(f: &Filter) -> Vec<Col> {
    let mut cols = Vec::new();
    let mut add = |c: Col, used: bool| {
        if used {
            cols.push(c);
        }
    };
    // always: a filter that does not ask for partner incidents excludes them by kind
    add(Col::RecordKind, true);
    add(Col::Source, !f.source.is_empty());
    add(Col::Category, !f.category.is_empty());
    add(Col::Weapon, f.weapon.is_some());
    add(Col::CrimeType, !f.crime_type.is_empty());
    add(Col::OffenceCode, !f.offence_code.is_empty());
    add(Col::OffenceSubgroup, !f.offence_subgroup.is_empty());
    add(Col::OffenceGroup, !f.offence_group.is_empty());
    add(Col::LocationType, !f.location_type.is_empty());
    add(Col::DomesticAbuse, f.domestic_abuse.is_some());
    add(Col::HateCrime, f.hate_crime.is_some());
    add(Col::AlcoholRelated, f.alcohol_related.is_some());
    add(Col::Hour, !f.hour.is_empty() || !f.night_of.is_empty());
    add(Col::DayOfWeek, !f.day_of_week.is_empty() || !f.night_of.is_empty());
    add(Col::WardCode, !f.ward_code.is_empty());
    for s in &f.hate_strand {
        cols.push(strand_column(*s));
    }
    for sub in &f.any {
        cols.extend(filter_columns(sub));
    }
    cols.sort_by_key(|c| c.name());
    cols.dedup();
    cols
}

pub fn strand_column(s: HateStrand) -> Col {
    match s {
        HateStrand::Race => Col::HateRace,
        HateStrand::Religion => Col::HateReligion,
        HateStrand::SexualOrientation => Col::HateSexualOrientation,
        HateStrand::Disability => Col::HateDisability,
        HateStrand::Transgender => Col::HateTransgender,
    }
}

/// A filter bound to one [`Crimes`].
pub struct Selector<'a> {
    text: Vec<(&'a [u32], Vec<bool>)>,
    flags: Vec<(&'a [u8], u8)>,
    strands: Vec<&'a [u8]>,
    hour: Option<(&'a [i8], [bool; 24])>,
    dow: Option<(&'a [i8], [bool; 8])>,
    night: Option<(&'a [i8], &'a [i8], [bool; 8])>,
    any: Vec<Selector<'a>>,
    /// Every row's answer worked out once ([`Selector::bitmap`]): bit `r % 64` of word
    /// `r / 64` is row `r`'s. When present, the conditions above are empty and unused.
    bits: Option<Arc<Vec<u64>>>,
}

fn allowed(t: &Text, values: impl Fn(&str) -> bool) -> (&[u32], Vec<bool>) {
    let mut ok = vec![false; t.cardinality()];
    for (i, v) in t.values.iter().enumerate() {
        ok[i + 1] = values(v);
    }
    (&t.codes, ok)
}

impl<'a> Selector<'a> {
    pub fn new(f: &Filter, c: &'a Crimes) -> Result<Selector<'a>> {
        Selector::node(f, c, false)
    }

    /// One filter node; `inherited`: an ancestor asks for partner incidents.
    fn node(f: &Filter, c: &'a Crimes, inherited: bool) -> Result<Selector<'a>> {
        let mut s = Selector::unconditional();
        if let Some(k) = f.record_kind {
            s.text.push(allowed(c.text(Col::RecordKind)?, |v| v == k.name()));
        }
        if !inherited && !f.mentions_incidents() {
            let kinds = c.text(Col::RecordKind)?;
            let incident = RecordKind::Incident.name();
            if kinds.values.iter().any(|v| v == incident) {
                s.text.push(allowed(kinds, |v| v != incident));
            }
        }
        let folded = |list: &[String]| list.iter().map(|x| fold(x)).collect::<Vec<_>>();
        if !f.source.is_empty() {
            let want = folded(&f.source);
            s.text.push(allowed(c.text(Col::Source)?, |v| want.contains(&fold(v))));
        }
        if !f.category.is_empty() {
            let want = folded(&f.category);
            s.text.push(allowed(c.text(Col::Category)?, |v| want.contains(&fold(v))));
        }
        if !f.crime_type.is_empty() {
            s.text.push(allowed(c.text(Col::CrimeType)?, |v| {
                f.crime_type.iter().any(|t| t.name() == v)
            }));
        }
        let in_list = |list: &[String], col: Col| -> Result<(&'a [u32], Vec<bool>)> {
            Ok(allowed(c.text(col)?, |v| list.iter().any(|x| x == v)))
        };
        if !f.offence_code.is_empty() {
            s.text.push(in_list(&f.offence_code, Col::OffenceCode)?);
        }
        if !f.offence_subgroup.is_empty() {
            s.text.push(in_list(&f.offence_subgroup, Col::OffenceSubgroup)?);
        }
        if !f.offence_group.is_empty() {
            s.text.push(in_list(&f.offence_group, Col::OffenceGroup)?);
        }
        if !f.ward_code.is_empty() {
            s.text.push(in_list(&f.ward_code, Col::WardCode)?);
        }
        if !f.location_type.is_empty() {
            s.text.push(allowed(c.text(Col::LocationType)?, |v| {
                f.location_type.iter().any(|t| t.name() == v)
            }));
        }
        for (col, want) in [
            (Col::DomesticAbuse, f.domestic_abuse),
            (Col::HateCrime, f.hate_crime),
            (Col::AlcoholRelated, f.alcohol_related),
            (Col::Weapon, f.weapon),
        ] {
            if let Some(w) = want {
                s.flags.push((c.flag(col)?, u8::from(w)));
            }
        }
        for st in &f.hate_strand {
            s.strands.push(c.flag(strand_column(*st))?);
        }
        if !f.hour.is_empty() {
            let mut ok = [false; 24];
            for h in &f.hour {
                ok[*h as usize] = true;
            }
            s.hour = Some((c.int(Col::Hour)?, ok));
        }
        let days = |list: &[u8]| {
            let mut ok = [false; 8];
            for d in list {
                ok[*d as usize] = true;
            }
            ok
        };
        if !f.day_of_week.is_empty() {
            s.dow = Some((c.int(Col::DayOfWeek)?, days(&f.day_of_week)));
        }
        if !f.night_of.is_empty() {
            s.night = Some((c.int(Col::DayOfWeek)?, c.int(Col::Hour)?, days(&f.night_of)));
        }
        let asks = inherited || f.asks_for_incidents();
        s.any = f.any.iter().map(|sub| Selector::node(sub, c, asks)).collect::<Result<_>>()?;
        Ok(s)
    }

    /// No condition yet: matches every row (what a node starts from).
    fn unconditional() -> Selector<'a> {
        Selector {
            text: vec![],
            flags: vec![],
            strands: vec![],
            hour: None,
            dow: None,
            night: None,
            any: vec![],
            bits: None,
        }
    }

    /// A selector that answers from a bitmap of every row's answer (see [`Selector::bitmap`]).
    pub fn from_bitmap(bits: Arc<Vec<u64>>) -> Selector<'a> {
        Selector { bits: Some(bits), ..Selector::unconditional() }
    }

    /// The answers for rows `0..len`, 64 to a word (row `r` is bit `r % 64` of word `r / 64`),
    /// worked out in parallel: an assessment asks each priority of every row many times.
    pub fn bitmap(&self, len: usize) -> Vec<u64> {
        (0..len.div_ceil(64)).into_par_iter().map(|w| self.word(w * 64, len)).collect()
    }

    /// The answers of the up to 64 rows from `start` (a multiple of 64), as [`matches`] gives
    /// them, one condition at a time over the rows (tight loops, and the remaining conditions
    /// skipped once no row is left).
    ///
    /// [`matches`]: Selector::matches
    fn word(&self, start: usize, len: usize) -> u64 {
        let end = (start + 64).min(len);
        if let Some(bits) = &self.bits {
            return bits[start / 64];
        }
        let mask = |test: &dyn Fn(usize) -> bool| -> u64 {
            (start..end).fold(0u64, |m, r| m | (u64::from(test(r)) << (r - start)))
        };
        let mut word = if end - start == 64 { u64::MAX } else { (1u64 << (end - start)) - 1 };
        for (codes, ok) in &self.text {
            word &= mask(&|r| ok[codes[r] as usize]);
            if word == 0 {
                return 0;
            }
        }
        for (v, want) in &self.flags {
            word &= mask(&|r| v[r] == *want);
            if word == 0 {
                return 0;
            }
        }
        if !self.strands.is_empty() {
            word &= mask(&|r| self.strands.iter().any(|v| v[r] == 1));
        }
        if let Some((h, ok)) = &self.hour {
            word &= mask(&|r| h[r] >= 0 && ok[h[r] as usize]);
        }
        if let Some((d, ok)) = &self.dow {
            word &= mask(&|r| d[r] > 0 && ok[d[r] as usize]);
        }
        if let Some((d, h, ok)) = &self.night {
            word &= mask(&|r| d[r] > 0 && ok[night_of(d[r], h[r]) as usize]);
        }
        if word != 0 && !self.any.is_empty() {
            word &= self.any.iter().fold(0u64, |m, s| m | s.word(start, len));
        }
        word
    }

    pub fn matches(&self, row: usize) -> bool {
        if let Some(bits) = &self.bits {
            return bits[row / 64] >> (row % 64) & 1 == 1;
        }
        self.text.iter().all(|(codes, ok)| ok[codes[row] as usize])
            && self.flags.iter().all(|(v, want)| v[row] == *want)
            && (self.strands.is_empty() || self.strands.iter().any(|v| v[row] == 1))
            && self.hour.as_ref().is_none_or(|(h, ok)| h[row] >= 0 && ok[h[row] as usize])
            && self.dow.as_ref().is_none_or(|(d, ok)| d[row] > 0 && ok[d[row] as usize])
            && self.night.as_ref().is_none_or(|(d, h, ok)| {
                let (d, h) = (d[row], h[row]);
                d > 0 && ok[night_of(d, h) as usize]
            })
            && (self.any.is_empty() || self.any.iter().any(|s| s.matches(row)))
    }

    /// Rows recorded in `period` that match, ascending.
    pub fn rows(&self, crimes: &Crimes, period: Period) -> Vec<u32> {
        if let Some(bits) = &self.bits {
            // sized once: every matching row, whatever its month, is an upper bound
            let matching: u32 = bits.iter().map(|w| w.count_ones()).sum();
            let mut out = Vec::with_capacity(matching as usize);
            for (w, &word) in bits.iter().enumerate() {
                let mut rest = word;
                while rest != 0 {
                    let r = w * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if period.contains(crimes.month[r]) {
                        out.push(r as u32);
                    }
                }
            }
            return out;
        }
        (0..crimes.len)
            .filter(|&r| period.contains(crimes.month[r]) && self.matches(r))
            .map(|r| r as u32)
            .collect()
    }
}

/// Weekday of the night a time belongs to (before 06:00 = the night before).
pub fn night_of(dow: i8, hour: i8) -> i8 {
    if (0..6).contains(&hour) {
        if dow == 1 {
            7
        } else {
            dow - 1
        }
    } else {
        dow
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::period::Month;

    fn text(values: &[Option<&str>]) -> Text {
        let mut t = Text::default();
        for v in values {
            let code = match v {
                None => 0,
                Some(v) => match t.values.iter().position(|x| x == v) {
                    Some(i) => i as u32 + 1,
                    None => {
                        t.values.push(v.to_string());
                        t.values.len() as u32
                    }
                },
            };
            t.codes.push(code);
        }
        t
    }

    #[test]
    fn night_time_economy_filter() {
        // rows: Sat 01:00 in a street (Friday night), Mon 01:00 street (Sunday night),
        // Tue 14:00 at licensed premises, Sat 01:00 but a burglary, Sat with no time
        let mut c = Crimes {
            len: 5,
            month: vec![Month::new(2025, 1); 5],
            date: vec![0; 5],
            ..Crimes::default()
        };
        let vap = Some("Violence against the person");
        c.text.insert(Col::OffenceGroup, text(&[vap, vap, vap, Some("Theft offences"), vap]));
        c.text.insert(
            Col::LocationType,
            text(&[
                Some("street"),
                Some("street"),
                Some("licensed premises"),
                Some("street"),
                None,
            ]),
        );
        c.int.insert(Col::DayOfWeek, vec![6, 1, 2, 6, 6]);
        c.int.insert(Col::Hour, vec![1, 1, 14, 1, -1]);
        c.text.insert(Col::RecordKind, text(&[Some("crime"); 5]));
        let nte = Config::default_config().priority("night-time economy violence").unwrap();
        let s = Selector::new(&nte.filter, &c).unwrap();
        let hits: Vec<bool> = (0..5).map(|r| s.matches(r)).collect();
        assert_eq!(hits, vec![true, false, true, false, false]);
        let many = repeated(&c, 23);
        let s = Selector::new(&nte.filter, &many).unwrap();
        let bits = s.bitmap(many.len);
        assert!((0..many.len).all(|r| (bits[r / 64] >> (r % 64) & 1 == 1) == s.matches(r)));
        assert_eq!((0..many.len).filter(|&r| s.matches(r)).count(), 2 * 23);
        assert_eq!(night_of(1, 3), 7);
        assert_eq!(night_of(6, 22), 6);
    }

    /// Rows: 0 crime (violence), 1 ASB, 2 ambulance assault, 3 ambulance fall,
    /// 4 fire service deliberate fire, 5 crime (burglary). Worked by hand per filter.
    fn mixed() -> Crimes {
        let mut c = Crimes {
            len: 6,
            month: vec![Month::new(2025, 1); 6],
            date: vec![0; 6],
            ..Crimes::default()
        };
        let (cr, asb, inc) = (Some("crime"), Some("asb"), Some("incident"));
        c.text.insert(Col::RecordKind, text(&[cr, asb, inc, inc, inc, cr]));
        c.text.insert(
            Col::Source,
            text(&[None, None, Some("ambulance"), Some("ambulance"), Some("fire"), None]),
        );
        c.text.insert(
            Col::Category,
            text(&[None, None, Some("Assault"), Some("Fall"), Some("deliberate fire"), None]),
        );
        c.text.insert(
            Col::CrimeType,
            text(&[
                Some("Violence and sexual offences"),
                Some("Anti-social behaviour"),
                None,
                None,
                None,
                Some("Burglary"),
            ]),
        );
        c.text.insert(
            Col::WardCode,
            text(&[Some("W1"), Some("W1"), Some("W1"), Some("W2"), Some("W1"), Some("W1")]),
        );
        c.flag.insert(Col::Weapon, vec![1, 2, 1, 0, 2, 0]);
        c
    }

    fn hits(f: &str, c: &Crimes) -> Vec<usize> {
        let text = format!("[[priority]]\nname = \"P\"\nfilter = {f}\n");
        let p =
            Config::parse(&text, std::path::Path::new("t.toml")).unwrap().priority("P").unwrap();
        let s = Selector::new(&p.filter, c).unwrap();
        let rows: Vec<usize> = (0..c.len).filter(|&r| s.matches(r)).collect();
        // the bitmap gives the same answers, over whole and partial words
        let many = repeated(c, 23);
        let s = Selector::new(&p.filter, &many).unwrap();
        let bitmap = s.bitmap(many.len);
        assert_eq!(bitmap.len(), many.len.div_ceil(64));
        for r in 0..many.len {
            assert_eq!(bitmap[r / 64] >> (r % 64) & 1 == 1, s.matches(r), "{f}: row {r}");
        }
        let from = Selector::from_bitmap(Arc::new(bitmap));
        assert!((0..many.len).all(|r| from.matches(r) == s.matches(r)));
        rows
    }

    /// `c`'s rows `k` times over.
    fn repeated(c: &Crimes, k: usize) -> Crimes {
        let rep = |v: &Vec<u32>| -> Vec<u32> { (0..k).flat_map(|_| v.iter().copied()).collect() };
        let mut out = Crimes {
            len: c.len * k,
            month: (0..k).flat_map(|_| c.month.iter().copied()).collect(),
            date: (0..k).flat_map(|_| c.date.iter().copied()).collect(),
            ..Crimes::default()
        };
        for (col, t) in &c.text {
            let mut t2 = t.clone();
            t2.codes = rep(&t.codes);
            out.text.insert(*col, t2);
        }
        for (col, v) in &c.flag {
            out.flag.insert(*col, (0..k).flat_map(|_| v.iter().copied()).collect());
        }
        for (col, v) in &c.int {
            out.int.insert(*col, (0..k).flat_map(|_| v.iter().copied()).collect());
        }
        out
    }

    #[test]
    fn incidents_count_only_when_asked_for() {
        let c = mixed();
        let all = Config::default_config().priority("all").unwrap();
        let s = Selector::new(&all.filter, &c).unwrap();
        assert_eq!((0..6).filter(|&r| s.matches(r)).collect::<Vec<_>>(), vec![0, 1, 5]);
        assert_eq!(hits("{ ward_code = [\"W1\"] }", &c), vec![0, 1, 5]);
        assert_eq!(hits("{ weapon = true }", &c), vec![0]);
        assert_eq!(hits("{ record_kind = \"incident\" }", &c), vec![2, 3, 4]);
        assert_eq!(hits("{ source = [\"ambulance\"] }", &c), vec![2, 3]);
        assert_eq!(hits("{ category = [\"assault\", \"Deliberate fire\"] }", &c), vec![2, 4]);
        assert_eq!(hits("{ source = [\"ambulance\"], weapon = true }", &c), vec![2]);
        // branches: each asks for itself; an ancestor's ask reaches its branches
        assert_eq!(
            hits("{ any = [{ crime_type = [\"Violence and sexual offences\"] }, { source = [\"ambulance\"], category = [\"assault\"] }] }", &c),
            vec![0, 2]
        );
        assert_eq!(
            hits("{ any = [{ ward_code = [\"W1\"] }, { source = [\"fire\"] }] }", &c),
            vec![0, 1, 4, 5]
        );
        assert_eq!(
            hits("{ source = [\"ambulance\"], any = [{ ward_code = [\"W2\"] }] }", &c),
            vec![3]
        );
    }
}
