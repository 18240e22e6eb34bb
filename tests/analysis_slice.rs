//! `Data::slice` gives exactly what `Data::load` gives for the same months and needs
//! (every code of every dictionary, every person id, in the same order), so `csa serve`,
//! which loads a dataset once and answers from slices, prints what `csa breakdown` prints.
//! Checked on two synthetic years with victims and offenders, for the periods and needs of
//! every view, one-priority people filters, the offender-victim relationship and periods
//! that reach past the data.
#![allow(clippy::unwrap_used)]

mod common;

use csa_analysis::data::Text;
use csa_analysis::views::View;
use csa_analysis::{Assessment, Config, Data, DatasetInfo, Dim, Month, Needs, Period, Periods};

fn same_text(what: &str, a: &Text, b: &Text) {
    assert_eq!(a.values, b.values, "{what}: dictionaries differ");
    assert!(a.codes == b.codes, "{what}: codes differ");
}

fn same(what: &str, s: &Data, l: &Data) {
    assert_eq!(s.months, l.months, "{what}");
    let (a, b) = (&s.crimes, &l.crimes);
    assert_eq!(a.len, b.len, "{what}: rows");
    assert!(a.month == b.month && a.date == b.date, "{what}: months or dates");
    let keys = |m: &dyn Fn() -> Vec<String>| {
        let mut v = m();
        v.sort();
        v
    };
    assert_eq!(
        keys(&|| a.text.keys().map(|c| c.name().to_string()).collect()),
        keys(&|| b.text.keys().map(|c| c.name().to_string()).collect()),
        "{what}: text columns"
    );
    for (c, t) in &b.text {
        same_text(&format!("{what}: {c}"), &a.text[c], t);
    }
    assert_eq!(a.int.len(), b.int.len(), "{what}");
    for (c, v) in &b.int {
        assert!(a.int[c] == *v, "{what}: {c}");
    }
    assert_eq!(a.flag.len(), b.flag.len(), "{what}");
    for (c, v) in &b.flag {
        assert!(a.flag[c] == *v, "{what}: {c}");
    }
    assert_eq!(a.float.len(), b.float.len(), "{what}");
    for (c, v) in &b.float {
        let bits = |x: &Vec<f64>| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert!(bits(&a.float[c]) == bits(v), "{what}: {c}");
    }
    assert_eq!(a.day.len(), b.day.len(), "{what}");
    for (c, v) in &b.day {
        assert!(a.day[c] == *v, "{what}: {c}");
    }
    for (side, x, y) in
        [("victims", &s.victims, &l.victims), ("offenders", &s.offenders, &l.offenders)]
    {
        assert_eq!(x.is_some(), y.is_some(), "{what}: {side} loaded");
        let (Some(x), Some(y)) = (x, y) else { continue };
        assert!(x.crime == y.crime, "{what}: {side} crimes");
        assert!(x.age == y.age, "{what}: {side} ages");
        same_text(&format!("{what}: {side} sex"), &x.sex, &y.sex);
        same_text(&format!("{what}: {side} ethnicity"), &x.ethnicity, &y.ethnicity);
        assert_eq!(
            x.relationship.is_some(),
            y.relationship.is_some(),
            "{what}: {side} relationship"
        );
        if let (Some(p), Some(q)) = (&x.relationship, &y.relationship) {
            same_text(&format!("{what}: {side} relationship"), p, q);
        }
        assert!(x.person.codes == y.person.codes, "{what}: {side} person codes");
        assert_eq!(x.person.distinct(), y.person.distinct(), "{what}: {side} persons");
        for c in 1..=y.person.distinct() as u32 {
            assert_eq!(x.person.id(c), y.person.id(c), "{what}: {side} person {c}");
        }
    }
}

#[test]
fn a_slice_is_what_loading_those_months_with_those_needs_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = common::serve::synth_dataset(tmp.path(), 2500);
    let config = Config::default_config();
    let info = DatasetInfo::open(&ds).unwrap();
    let all = Period { from: info.months[0], to: *info.months.last().unwrap() };
    let full = Data::load(&info, all, &csa_serve::state::all_needs(&config)).unwrap();
    assert!(full.victims.as_ref().is_some_and(|v| v.len() > 1000), "the fixture has people");
    let periods = [
        Assessment::periods(&info, &config, None, || info.latest_complete()).unwrap(),
        Periods {
            current: Period::new(Month::new(2025, 3), Month::new(2025, 8)).unwrap(),
            comparison: Period::new(Month::new(2024, 9), Month::new(2025, 2)).unwrap(),
        },
        // reaches before the data: the load starts at the dataset's first month
        Periods {
            current: Period::new(Month::new(2024, 2), Month::new(2025, 1)).unwrap(),
            comparison: Period::new(Month::new(2023, 2), Month::new(2024, 1)).unwrap(),
        },
    ];
    let mut cases: Vec<(String, Needs)> = Vec::new();
    for p in config.all_priorities() {
        for v in View::ALL {
            cases.push((format!("{} {}", p.name, v.name()), v.needs(&config, &p, &[]).unwrap()));
        }
    }
    let da = config.priority("domestic abuse").unwrap();
    for dims in [
        vec![Dim::Ward],
        vec![Dim::VictimAgeBand, Dim::Ward],
        vec![Dim::OffenderRelationship, Dim::OffenderSex],
        vec![Dim::Lsoa, Dim::Hour, Dim::DayOfWeek, Dim::LocationType],
    ] {
        let n = View::Counts.needs(&config, &da, &dims).unwrap();
        cases.push((format!("domestic abuse by {dims:?}"), n));
    }
    cases.push(("hotspots".into(), csa_analysis::hotspots::needs(&da)));
    cases.push(("everything".into(), Needs::everything()));
    let mut seen = std::collections::HashSet::new();
    cases.retain(|(_, n)| seen.insert(csa_analysis::slice::needs_key(n)));
    for ps in periods {
        let months = Assessment::months_to_load(ps);
        for (what, needs) in &cases {
            let sliced = full.slice(months, needs).unwrap();
            let loaded = Data::load(&info, months, needs).unwrap();
            same(&format!("{what}, {months}"), &sliced, &loaded);
        }
    }
    // a slice of data that does not hold what is asked for is an error, not a wrong answer
    let partial = Data::load(
        &info,
        Period::new(Month::new(2025, 1), Month::new(2025, 12)).unwrap(),
        &Needs::everything(),
    )
    .unwrap();
    assert!(partial
        .slice(Period::new(Month::new(2024, 6), Month::new(2025, 6)).unwrap(), &Needs::everything())
        .is_err());
    let spatial = Needs::default().with([csa_model::Col::Easting]);
    let no_easting = Data::load(&info, all, &Needs::default()).unwrap();
    assert!(no_easting.slice(all, &spatial).is_err());
}
