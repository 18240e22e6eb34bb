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

/// Residents of one ward aged 16 and over, by the survey's age bands (16-24 ... 65+), and the
/// female share (`csa synth --survey N --survey-biased` takes them from the Census).
#[derive(Debug, Clone, PartialEq)]
pub struct WardResidents {
    pub name: String,
    pub by_age: [f64; 6],
    pub female_share: f64,
}

/// How likely each kind of resident is to respond, relative to others (a realistic
/// self-selected consultation: older residents and some wards answer far more).
pub const AGE_PROPENSITY: [f64; 6] = [0.35, 0.6, 0.8, 1.0, 1.5, 2.4];
/// Every fourth ward (in the order given) responds this much more.
pub const KEEN_WARD_PROPENSITY: f64 = 2.5;
pub const FEMALE_PROPENSITY: f64 = 1.2;
/// Men in the youngest bands (16-24 and 25-34) respond this much less again (0.7): an age by sex
/// interaction that raking to age and sex separately cannot undo, only a joint margin.
pub const YOUNG_MALE_PROPENSITY: f64 = 0.7;
const YOUNG_BANDS: usize = 2;
/// Young men weight this option (motor vehicle crime) this much more than others of their age.
const YOUNG_MALE_OPTION: (usize, f64) = (2, 3.0);
/// Change of an option's weight from the youngest to the oldest band, as a multiple of its
/// base weight (priorities differ by age, so a biased sample biases the raw shares).
const AGE_SLOPE: [f64; 10] = [1.4, 0.0, 0.0, -1.4, 1.2, 0.0, -1.4, -0.6, -1.0, 0.0];
const CHANNEL_WEIGHTS: [f64; 4] = [0.70, 0.15, 0.10, 0.05];
const COMMENTS: [&str; 8] = [
    "The street lighting on our road is poor",
    "Speeding cars near the school",
    "More police patrols at night please",
    "Fly-tipping in the alleys behind the shops",
    "Youth clubs closed so teenagers hang around",
    "Nothing to add",
    "Drug dealing in the park",
    "Too dark walking home from the bus stop",
];

/// Priority weights of a respondent in age band `a` (0 = 16-24 ... 5 = 65+).
fn priority_weights(a: usize, female: bool) -> [f64; 10] {
    let t = a as f64 / 5.0 - 0.5;
    let mut w = PRIORITY_WEIGHTS;
    for (x, s) in w.iter_mut().zip(AGE_SLOPE) {
        *x *= (1.0 + s * t).max(0.05);
    }
    if !female && a < YOUNG_BANDS {
        w[YOUNG_MALE_OPTION.0] *= YOUNG_MALE_OPTION.1;
    }
    w
}

/// Response propensity of a resident of band `a` and sex (the ward's factor aside).
fn propensity(a: usize, female: bool) -> f64 {
    let sex = if female {
        FEMALE_PROPENSITY
    } else if a < YOUNG_BANDS {
        YOUNG_MALE_PROPENSITY
    } else {
        1.0
    };
    AGE_PROPENSITY[a] * sex
}

/// The synthetic population of a biased survey by ward, age band and sex (16+): a ward's
/// residents of each band times its female share (the Census tables shipped have no age by
/// sex), as CSV for `[population] joint`.
pub fn population_csv(wards: &[WardResidents]) -> String {
    let mut s = String::from("ward,age_band,sex,residents\n");
    for w in wards {
        for (a, r) in w.by_age.iter().enumerate() {
            for (sex, share) in [("female", w.female_share), ("male", 1.0 - w.female_share)] {
                s.push_str(&format!("{},{},{sex},{:.3}\n", w.name, AGE_BANDS[a], r * share));
            }
        }
    }
    s
}

/// Exact probability that each option is among `k` picks drawn by weight without
/// replacement (every ordered sequence enumerated).
fn pick_probabilities(weights: &[f64], k: usize) -> Vec<f64> {
    fn go(w: &[f64], k: usize, used: &mut Vec<usize>, p: f64, out: &mut [f64]) {
        if k == 0 {
            return;
        }
        let rest: f64 =
            w.iter().enumerate().filter(|(i, _)| !used.contains(i)).map(|(_, x)| x).sum();
        if rest <= 0.0 {
            return;
        }
        for (i, wi) in w.iter().enumerate() {
            if used.contains(&i) || *wi <= 0.0 {
                continue;
            }
            let q = p * wi / rest;
            out[i] += q;
            used.push(i);
            go(w, k - 1, used, q, out);
            used.pop();
        }
    }
    let mut out = vec![0.0; weights.len()];
    go(weights, k, &mut Vec::new(), 1.0, &mut out);
    out
}

/// The truth of a biased survey: what the whole population (16+) would answer, and how the
/// sample was drawn.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SurveyTruth {
    /// Share (percent) of residents who choose any priority that choose each option, in
    /// [`PRIORITY_OPTIONS`] order: the target weighting should move the estimates toward.
    pub population_priority_shares_pct: Vec<(String, f64)>,
    /// Share (percent) of residents 16+ by age band, and of respondents expected by the design.
    pub population_age_shares_pct: Vec<(String, f64)>,
    pub expected_sample_age_shares_pct: Vec<(String, f64)>,
    /// Share (percent) of residents 16+ by age band and sex (`"16-24 x Female"`).
    pub population_age_sex_shares_pct: Vec<(String, f64)>,
    pub age_propensity: Vec<(String, f64)>,
    pub keen_wards: Vec<String>,
    pub keen_ward_propensity: f64,
    pub female_propensity: f64,
    pub young_male_propensity: f64,
    pub first_day: String,
    pub weeks: u32,
}

/// A realistically biased survey of `n` respondents over `wards` (see the constants above),
/// with a date in a 12-week consultation from 2025-01-06, a channel and sometimes a comment;
/// the answers to the priority question depend on age. Returns the CSV and its truth.
pub fn biased_survey_csv(n: usize, seed: u64, wards: &[WardResidents]) -> (String, SurveyTruth) {
    let mut rng = Rng::new(seed, 0xb1a5_u64);
    // cells: ward x age x sex, chosen by residents x propensity
    let mut cells: Vec<(usize, usize, bool, f64)> = Vec::new();
    for (wi, w) in wards.iter().enumerate() {
        let wp = if wi % 4 == 0 { KEEN_WARD_PROPENSITY } else { 1.0 };
        for (a, r) in w.by_age.iter().enumerate() {
            for female in [true, false] {
                let share = if female { w.female_share } else { 1.0 - w.female_share };
                cells.push((wi, a, female, r * share * wp * propensity(a, female)));
            }
        }
    }
    let cum = cumulative(cells.iter().map(|c| c.3));
    let mut cols: Vec<&str> = SURVEY_COLUMNS.to_vec();
    cols.extend(["date", "channel", "comment"]);
    let mut s = cols.join(",");
    s.push('\n');
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap_or_default();
    let measure_w = vec![1.0; MEASURE_OPTIONS.len() - 1];
    for id in 1..=n {
        let (wi, a, female, _) = cells[rng.weighted(&cum)];
        let mut row: Vec<String> = vec![format!("B{id:05}")];
        for p in [0.25, 0.7, 0.35] {
            row.push(if rng.chance(p) { "Y" } else { "N" }.into());
        }
        let k = if rng.chance(0.05) { 0 } else { 1 + rng.below(3) };
        let mut pr: Vec<String> = pick(&mut rng, &priority_weights(a, female), k)
            .into_iter()
            .map(|i| PRIORITY_OPTIONS[i].to_string())
            .collect();
        pr.resize(3, String::new());
        row.extend(pr);
        let mut me: Vec<String> = pick(&mut rng, &measure_w, 2)
            .into_iter()
            .map(|i| MEASURE_OPTIONS[i].to_string())
            .collect();
        me.resize(5, String::new());
        row.extend(me);
        row.extend([String::new(), String::new(), String::new(), String::new()]);
        row.push(wards[wi].name.clone());
        row.push(AGE_BANDS[a].to_string());
        row.push(if female { "Female" } else { "Male" }.into());
        // responses come in faster at the start and near the end
        let week =
            rng.weighted(&cumulative([3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.5, 2.5]));
        let day = first + chrono::Duration::days((7 * week + rng.below(7)) as i64);
        row.push(day.to_string());
        row.push(csa_model::survey::CHANNELS[rng.weighted(&cumulative(CHANNEL_WEIGHTS))].into());
        row.push(if rng.chance(0.3) {
            COMMENTS[rng.below(COMMENTS.len())].into()
        } else {
            String::new()
        });
        s.push_str(&row.join(","));
        s.push('\n');
    }
    (s, survey_truth(wards, first))
}

fn survey_truth(wards: &[WardResidents], first: chrono::NaiveDate) -> SurveyTruth {
    let mut age_pop = [0.0; 6];
    let mut age_sample = [0.0; 6];
    // [band][0 female, 1 male]
    let mut age_sex_pop = [[0.0; 2]; 6];
    for (wi, w) in wards.iter().enumerate() {
        let wp = if wi % 4 == 0 { KEEN_WARD_PROPENSITY } else { 1.0 };
        for (a, r) in w.by_age.iter().enumerate() {
            age_pop[a] += r;
            for (j, female) in [true, false].into_iter().enumerate() {
                let share = if female { w.female_share } else { 1.0 - w.female_share };
                age_sex_pop[a][j] += r * share;
                age_sample[a] += r * share * wp * propensity(a, female);
            }
        }
    }
    // P(option | age, sex, chose any) = mean over k = 1, 2, 3 of P(option among k picks)
    let mut shares = vec![0.0; PRIORITY_OPTIONS.len()];
    let total: f64 = age_pop.iter().sum();
    for (a, by_sex) in age_sex_pop.iter().enumerate() {
        for (j, pop) in by_sex.iter().enumerate() {
            let w = priority_weights(a, j == 0);
            for k in 1..=3 {
                for (share, p) in shares.iter_mut().zip(pick_probabilities(&w, k)) {
                    *share += pop / total * p / 3.0;
                }
            }
        }
    }
    let r4 = |x: f64| (x * 1e4).round() / 1e4;
    let ts: f64 = age_sample.iter().sum();
    SurveyTruth {
        population_priority_shares_pct: PRIORITY_OPTIONS
            .iter()
            .zip(&shares)
            .map(|(o, p)| (o.to_string(), r4(100.0 * p)))
            .collect(),
        population_age_shares_pct: AGE_BANDS
            .iter()
            .zip(age_pop)
            .map(|(b, x)| (b.to_string(), r4(100.0 * x / total)))
            .collect(),
        expected_sample_age_shares_pct: AGE_BANDS
            .iter()
            .zip(age_sample)
            .map(|(b, x)| (b.to_string(), r4(100.0 * x / ts)))
            .collect(),
        population_age_sex_shares_pct: AGE_BANDS
            .iter()
            .zip(age_sex_pop)
            .flat_map(|(b, by_sex)| {
                [("Female", by_sex[0]), ("Male", by_sex[1])]
                    .map(|(s, x)| (format!("{b} x {s}"), r4(100.0 * x / total)))
            })
            .collect(),
        age_propensity: AGE_BANDS
            .iter()
            .zip(AGE_PROPENSITY)
            .map(|(b, x)| (b.to_string(), x))
            .collect(),
        keen_wards: wards.iter().step_by(4).map(|w| w.name.clone()).collect(),
        keen_ward_propensity: KEEN_WARD_PROPENSITY,
        female_propensity: FEMALE_PROPENSITY,
        young_male_propensity: YOUNG_MALE_PROPENSITY,
        first_day: first.to_string(),
        weeks: 12,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_probabilities_by_hand() {
        // weights 1, 2, 1; two picks: P(first) = 1/4 + 1/2*1/2 + 1/4*1/3 = 0.58333 (by hand:
        // first drawn first 1/4; b first (1/2) then a 1/2; c first (1/4) then a 1/3)
        let p = pick_probabilities(&[1.0, 2.0, 1.0], 2);
        assert!((p[0] - (0.25 + 0.25 + 1.0 / 12.0)).abs() < 1e-12, "{p:?}");
        assert!((p.iter().sum::<f64>() - 2.0).abs() < 1e-12);
        assert_eq!(pick_probabilities(&[1.0, 1.0], 1), vec![0.5, 0.5]);
    }
}
