//! Equalities ward by ward in the pack: for every priority configured with
//! `ward_equalities = true` (the shipped defaults: domestic abuse, sexual offences, hate
//! crime, race hate crime), each group's share of the ward's victims against its share of the
//! ward's residents ([`csa_analysis::equalities::equalities_by_ward`]), in one long table.
//!
//! Disclosure: the people of a ward, priority and dimension add up to its `known`, which is
//! published, so each such list is protected as a one-way table (`<5` and secondary `*`);
//! shares, ratios, intervals and findings of a hidden count are hidden with it. Residents
//! (census figures) are never hidden.

use csa_analysis::config::Priority;
use csa_analysis::equalities::equalities_by_ward;
use csa_analysis::{names, Assessment, Result, Side};
use csa_model::Col;
use rayon::prelude::*;

use crate::table::{Cell, Protect, Role, Table};

/// The ward-by-ward equalities table of victims.
pub const WARD_VICTIMS: &str = "equalities_wards_victims";

/// The ward-by-ward table of the priorities that ask for one; `None` when none does.
pub fn ward_table(a: &Assessment, priorities: &[Priority]) -> Result<Option<Table>> {
    let mut long: Option<Table> = None;
    let chosen: Vec<&Priority> = priorities.iter().filter(|p| p.ward_equalities).collect();
    // worked out side by side, assembled in the priorities' order
    let frames: Vec<_> = chosen
        .par_iter()
        .map(|p| equalities_by_ward(a, p, Side::Victim))
        .collect::<csa_analysis::Result<_>>()?;
    for (p, df) in chosen.into_iter().zip(frames) {
        let t = Table::from_df("eq", "", &df, Protect::Primary)?;
        let l = long.get_or_insert_with(|| {
            let mut cols = vec![names::PRIORITY];
            cols.extend(t.columns.iter().map(String::as_str));
            let mut roles = vec![Role::Key];
            roles.extend(t.roles.iter().copied());
            Table::new(
                WARD_VICTIMS,
                "Equalities by ward: victims' share of each group against the group's share of the ward's residents",
                &cols,
                &roles,
                Protect::Columns {
                    group: vec![
                        names::PRIORITY.into(),
                        Col::WardCode.name().into(),
                        names::DIMENSION.into(),
                    ],
                },
            )
        });
        for r in t.rows {
            let mut row = vec![Cell::Text(p.name.clone())];
            row.extend(r);
            l.rows.push(row);
        }
    }
    if let Some(l) = long.as_mut() {
        l.set_role(names::PEOPLE, Role::Count);
        l.set_role(names::FINDING, Role::Derived);
    }
    Ok(long)
}

/// Rows of `t` with a finding (over- or under-represented), for the report.
pub fn findings(t: &Table, priority: &str) -> Table {
    let mut out = t.clone();
    out.rows.retain(|r| {
        r[0].text() == priority
            && matches!(&r[t.col(names::FINDING).unwrap_or(0)], Cell::Text(s) if s.ends_with("represented"))
    });
    out.title = format!("{priority}: groups over- or under-represented among a ward's victims");
    out
}
