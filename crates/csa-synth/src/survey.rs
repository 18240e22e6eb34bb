//! A synthetic consultation survey (`csa synth --survey N`): respondents from Coventry's
//! wards with plausible answers, some questions left blank and some "Other" answers in
//! free text, so that every path of the survey tally is exercised. Seeded like the rest.

use csa_model::survey::{MEASURE_OPTIONS, PRIORITY_OPTIONS, SURVEY_COLUMNS};

use crate::rng::{cumulative, Rng};

/// Relative popularity of each priority option (same order as the options).
const PRIORITY_WEIGHTS: [f64; 10] = [0.55, 0.08, 0.25, 0.10, 0.35, 0.15, 0.20, 0.30, 0.30, 0.05];
const OTHER_PRIORITIES: [&str; 4] = ["Fly-tipping", "Speeding", "Litter", "Noise"];
const AGE_BANDS: [&str; 6] = ["16-24", "25-34", "35-44", "45-54", "55-64", "65+"];
const NEWS: [&str; 6] =
    ["Facebook", "Council website", "Local radio", "Newspaper", "X (Twitter)", "Email newsletter"];
const HELP: [&str; 6] = [
    "More police on foot",
    "Better street lighting",
    "Youth clubs",
    "Faster repairs",
    "Community events",
    "Clean up alleys",
];

/// Picks `k` distinct indices by weight.
fn pick(rng: &mut Rng, weights: &[f64], k: usize) -> Vec<usize> {
    let mut w = weights.to_vec();
    let mut out = Vec::new();
    while out.len() < k && w.iter().any(|v| *v > 0.0) {
        let i = rng.weighted(&cumulative(w.iter().copied()));
        out.push(i);
        w[i] = 0.0;
    }
    out
}

/// The survey as CSV text, `n` respondents, over the given area names.
pub fn survey_csv(n: usize, seed: u64, areas: &[String]) -> String {
    let mut rng = Rng::new(seed, 0x5e_u64);
    let mut s = SURVEY_COLUMNS.join(",");
    s.push('\n');
    let yn = |rng: &mut Rng, p: f64| {
        if rng.chance(0.03) {
            ""
        } else if rng.chance(p) {
            "Y"
        } else {
            "N"
        }
    };
    let measure_w: Vec<f64> = (0..MEASURE_OPTIONS.len())
        .map(|i| {
            if i + 1 == MEASURE_OPTIONS.len() {
                0.05
            } else {
                0.2 + 0.8 * ((i * 7919) % 13) as f64 / 13.0
            }
        })
        .collect();
    for id in 1..=n {
        let mut row: Vec<String> = vec![format!("R{id:05}")];
        row.push(yn(&mut rng, 0.25).into());
        row.push(yn(&mut rng, 0.7).into());
        row.push(yn(&mut rng, 0.35).into());
        let k = if rng.chance(0.05) { 0 } else { 1 + rng.below(3) };
        let mut pr: Vec<String> = pick(&mut rng, &PRIORITY_WEIGHTS, k)
            .into_iter()
            .map(|i| {
                if i + 1 == PRIORITY_OPTIONS.len() {
                    OTHER_PRIORITIES[rng.below(OTHER_PRIORITIES.len())].to_string()
                } else {
                    PRIORITY_OPTIONS[i].to_string()
                }
            })
            .collect();
        pr.resize(3, String::new());
        row.extend(pr);
        let k = if rng.chance(0.08) { 0 } else { 2 + rng.below(4) };
        let mut me: Vec<String> = pick(&mut rng, &measure_w, k)
            .into_iter()
            .map(|i| MEASURE_OPTIONS[i].to_string())
            .collect();
        me.resize(5, String::new());
        row.extend(me);
        let k = rng.below(4);
        let mut he: Vec<String> = pick(&mut rng, &[1.0; HELP.len()], k)
            .into_iter()
            .map(|i| HELP[i].to_string())
            .collect();
        he.resize(3, String::new());
        row.extend(he);
        let k = rng.below(3) + usize::from(rng.chance(0.9));
        row.push(
            pick(&mut rng, &[3.0, 2.0, 1.5, 1.0, 1.0, 0.8], k)
                .into_iter()
                .map(|i| NEWS[i])
                .collect::<Vec<_>>()
                .join("; "),
        );
        row.push(if rng.chance(0.04) || areas.is_empty() {
            String::new()
        } else {
            areas[rng.below(areas.len())].clone()
        });
        row.push(if rng.chance(0.04) {
            String::new()
        } else {
            AGE_BANDS[rng.weighted(&cumulative([1.0, 1.6, 1.7, 1.7, 1.5, 1.8]))].to_string()
        });
        row.push(match rng.f64() {
            x if x < 0.52 => "Female".into(),
            x if x < 0.98 => "Male".into(),
            _ => String::new(),
        });
        let quoted: Vec<String> = row
            .into_iter()
            .map(|f| {
                if f.contains(',') || f.contains('"') {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f
                }
            })
            .collect();
        s.push_str(&quoted.join(","));
        s.push('\n');
    }
    s
}
