//! Command-line flags (clap derive). Each subcommand's `run` turns these into a library call.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = concat!(
    "Example (the shipped demo: real Warwickshire police.uk months + a synthetic Coventry extract):\n",
    "  csa ingest --police-uk data/police-uk/warwickshire-2025 --extract data/demo/coventry-extract \\\n",
    "      --boundaries data/boundaries/coventry-warwickshire-wards-2025.geojson \\\n",
    "      --lsoa-lookup data/lookups/lsoa21-wd25.csv.gz --out out/dataset\n\n",
    "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."
);

/// csa: crime strategic assessments for Community Safety Partnerships.
///
/// Ingests police.uk months and force extracts into a validated, ward-enriched Parquet
/// dataset; breaks priorities down for sub-group leads; finds hot spots and near repeats;
/// runs the quarterly performance report; tallies the public survey; generates synthetic data.
#[derive(Debug, Parser)]
#[command(name = "csa", version, after_help = EXIT_CODES)]
pub struct Opts {
    /// Hide progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate, enrich and store crime data as a Parquet dataset.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa ingest --police-uk data/police-uk/warwickshire-2025 \\\n",
        "      --boundaries data/boundaries/coventry-warwickshire-wards-2025.geojson \\\n",
        "      --lsoa-lookup data/lookups/lsoa21-wd25.csv.gz --out out/dataset\n",
        "  csa ingest --extract data/demo/coventry-extract \\\n",
        "      --boundaries data/boundaries/coventry-wards-2025.geojson --out out/coventry\n\n",
        "Every input row is accepted or quarantined (dataset/quarantine/, with file, line, field,\n",
        "value and reason); the counts per file are printed and stored in manifest.json.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Ingest(Box<IngestArgs>),
    /// Generate a synthetic Coventry force extract or police.uk months.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa synth --crimes 20000 --seed 2025 --out data/demo/coventry-extract --gzip\n",
        "  csa synth --crimes 1000000 --seed 1 --format police-uk --out /tmp/puk\n",
        "  csa synth --survey 800 --seed 1 --out data/demo/survey\n\n",
        "Same seed, same bytes. ground_truth.json lists the planted hotspots and patterns.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Synth(SynthArgs),
    /// Break a priority down by ward, time, place, victim or offender (the sub-group lead's query).
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa breakdown --dataset out/dataset --priority \"domestic abuse\" --by victim_age_band,ward\n",
        "  csa breakdown --dataset out/dataset --priority burglary-residential --by month --format csv\n",
        "  csa breakdown --dataset out/dataset --priority all --view volume --format xlsx --out volume.xlsx\n",
        "  csa breakdown --dataset out/dataset --priority \"violence with injury\" --view top-locations\n\n",
        "Dimensions: ward, lsoa, month, quarter, day_of_week, hour, location_type, crime_type,\n",
        "offence_subgroup, offence_group, victim_age_band, victim_sex, victim_ethnicity,\n",
        "offender_age_band, offender_sex, offender_ethnicity, offender_relationship.\n",
        "The period defaults to the last 12 complete months of the data, compared with the 12\n",
        "months before. Priority names ignore case, spaces and hyphens; `all` is every record.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Breakdown(BreakdownArgs),
    /// List the priorities (configured, or the shipped defaults) with sub-groups and filters.
    #[command(
        after_help = "Example:\n  csa priorities\n  csa priorities --config my-assessment.toml\n\nExit codes: 0 ok, 1 internal error, 2 bad input or usage."
    )]
    Priorities(PrioritiesArgs),
    /// Find hot spots, density, clusters or emerging hot spots of a priority (City Tasking).
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa hotspots --dataset out/dataset --priority \"residential burglary\" --out out/hotspots\n",
        "  csa hotspots --dataset out/dataset --priority robbery --method gi --permutations 999 --seed 7 --out out/hs\n",
        "  csa hotspots --dataset out/dataset --priority \"anti-social behaviour\" --method kde --out out/kde\n",
        "  csa hotspots --dataset out/dataset --priority shoplifting --method dbscan --eps 75 --min-points 15 --out out/db\n\n",
        "Writes METHOD_cells.csv (or METHOD_clusters.csv and repeat_locations.csv), the same as\n",
        "GeoJSON in EPSG:4326 for QGIS, METHOD_map.png and .svg with ward outlines, and\n",
        "METHOD_parameters.json with every parameter actually used (and, for gi, the PAI and\n",
        "persistence of the comparison period's hot spots). Grids are aligned to the BNG origin\n",
        "and clipped to the study area: --boundaries, else the config's, else the dataset's.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Hotspots(Box<HotspotsArgs>),
    /// Knox test for near repeats: do crimes close in space follow each other closely in time?
    #[command(name = "near-repeat", after_help = concat!(
        "Examples:\n",
        "  csa near-repeat --dataset out/dataset --priority \"residential burglary\" --out out/near-repeat\n",
        "  csa near-repeat --dataset out/dataset --priority \"residential burglary\" \\\n",
        "      --space-bands 0,1,200,400,600 --time-bands 0,7,14,28 --metric manhattan --out out/nr\n\n",
        "Bands are [a, b) intervals from the edges given, plus an open last band: space in\n",
        "metres (0,1 is the same place), time in days. Writes knox.csv and knox.json (table,\n",
        "parameters, notes) and prints the table. p = (simulations >= observed + 1) / (R + 1).\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    NearRepeat(NearRepeatArgs),
    /// Quarterly performance: indicators against last year and targets, significance, RAG, exceptions.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa quarterly --dataset out/dataset --quarter 2025Q2 --targets data/demo/targets.toml --out out/quarterly\n",
        "  csa quarterly --dataset out/dataset --quarter latest --targets targets.toml --out /srv/csa/q --log-format json\n\n",
        "Quarters: 2025Q2 (calendar), FY2025Q1 (April-June 2025), latest (the last complete quarter\n",
        "in the data; what a scheduler passes). Writes performance.csv, .xlsx, .json, exceptions.md\n",
        "and charts/INDICATOR.png (monthly counts with Poisson control limits) into a new folder,\n",
        "then swaps it in for --out (a re-run replaces the previous output whole). A lock file\n",
        "OUT.lock stops two runs writing the same folder. No prompts; logs go to stderr.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage (or a held lock); with\n",
        "--exceptions-exit-code N, N when there are exceptions."))]
    Quarterly(QuarterlyArgs),
    /// Proven re-offending of a period's offender cohort, or an offender cohort (IOM) before and after entry.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa reoffending --dataset out/dataset --cohort 2024Q1\n",
        "  csa reoffending --dataset out/dataset --cohort FY2024 --by age_band,ward --format xlsx --out reoffending.xlsx\n",
        "  csa reoffending --dataset out/dataset --cohort 2025Q1 --provisional\n",
        "  csa reoffending --dataset out/dataset --cohort-file iom-cohort.csv --format csv --out iom.csv\n\n",
        "Cohort: every offender linked to a crime with an offence date (committed_from, else\n",
        "recorded_date) in the period; index date = their earliest such date. Re-offence: another\n",
        "crime of theirs dated after the index date, within the follow-up (12 months) and recorded\n",
        "within the follow-up plus the waiting period (6 months). A period the data do not cover\n",
        "that far is refused unless --provisional. The first row is the whole cohort; breakdowns\n",
        "follow, each against the cohort a year earlier (Fisher exact p, Newcombe interval).\n",
        "An offender cohort file (person_id, entry_date[, exit_date]) gives offences, harm and rates\n",
        "per person-year in the 12 months (--follow-up-months) before and after entry, people as\n",
        "pseudonyms.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Reoffending(ReoffendingArgs),
    /// Tally a public consultation survey: shares with 95% intervals, cross-tabs, other answers.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa survey --file data/demo/survey/survey.csv\n",
        "  csa survey --file responses.csv --out out/survey\n\n",
        "Columns and rules: data/README.md, \"Public survey\". With --out, every table is written as\n",
        "CSV and all of them in survey.xlsx, with problems.csv listing rejected rows and fields.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Survey(SurveyArgs),
    /// The public consultation: representativeness against the Census, weighting to the
    /// population, responses per week and channel, free-text themes, the consultation report.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa consultation --file data/demo/survey/survey.csv --out out/consultation\n",
        "  csa consultation --file responses.csv --config consultation.toml --out out/consultation --public\n",
        "  csa consultation --file responses.csv --config consultation.toml --check\n\n",
        "Writes consultation.html (self-contained), consultation.xlsx and one CSV per table: method,\n",
        "representativeness (respondents per 1,000 residents by ward, ratio to the population by\n",
        "age, sex, ethnicity, with intervals), weights (raking, trimming, design effect), unweighted\n",
        "and weighted priorities, weeks x channels, themes, \"you said, we did\". Settings: data/README.md,\n",
        "\"Public consultation\".\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage (raking that does not converge is\n",
        "reported here, naming the margin); with --check, 3 when something needs attention."))]
    Consultation(ConsultationArgs),
    /// The annual strategic assessment pack: report, charts, maps, tables, ranking, summary.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa assess --config data/demo/assessment.toml --out out/assessment\n",
        "  csa assess --config data/demo/assessment.toml --out out/public --edition public\n",
        "  csa assess --config data/demo/warwickshire-police-uk.toml --out out/warwickshire\n\n",
        "Reads the dataset the config names ([assessment] dataset), or ingests its [inputs] first\n",
        "(--keep-dataset DIR keeps that dataset for further queries). Writes report.html (self-\n",
        "contained), summary.json, tables.xlsx, tables/*.csv|parquet, charts/*.png|svg and\n",
        "maps/*.geojson into a new folder that replaces --out only when complete. The public\n",
        "edition shows counts of 1 to 4 as <5, hides cells that would give them away (*), and\n",
        "leaves out offender lists and point locations; it also writes disclosure.json and is\n",
        "audited from its files before it replaces --out (a failed audit keeps the previous\n",
        "pack). SOURCE_DATE_EPOCH fixes the timestamp.\n",
        "Exit codes: 0 ok, 1 internal error (or the public edition failed its audit), 2 bad\n",
        "input or usage."))]
    Assess(AssessArgs),
    /// Audit public packs from their files alone: every hidden count's range.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa audit out/public\n",
        "  csa audit out/public-2025 out/public-2024 --failures\n\n",
        "Reads the pack's tables, maps, summary.json and disclosure.json (what every count is,\n",
        "where it is shown, how the counts relate) and works out, for every hidden count (<5, *)\n",
        "and every count published nowhere that the others imply, the range of whole numbers it\n",
        "can take given everything published (integer programmes). Prints one line per cell:\n",
        "key, symbol, range, exact (yes; no with --quick: the range lies inside the true one),\n",
        "ok or FAIL. Several packs are audited as one set (this year's and\n",
        "last year's share a year).\n",
        "Exit codes: 0 every range meets the rule, 3 a cell fails it (or a derived figure or a\n",
        "second place gives a hidden count away), 2 bad input (not a public pack)."))]
    Audit(AuditArgs),
    /// Serve the sub-group leads' workspace in the browser: sign-in, roles, audit log.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa serve --dataset out/dataset --config data/demo/assessment.toml --users out/users.json\n",
        "  csa serve --dataset /srv/csa/dataset --users /srv/csa/users.json --bind 0.0.0.0:8443 \\\n",
        "      --tls-cert /etc/csa/cert.pem --tls-key /etc/csa/key.pem --targets /srv/csa/targets.toml\n\n",
        "Pages: sign in, the user's priorities, a priority's breakdowns (period, comparison, up to\n",
        "four dimensions; table, chart, ward map, downloads), the other views, hot spot maps and the\n",
        "quarterly table; GET /api/breakdown answers like csa breakdown. Roles: partner (exact\n",
        "figures for their sub-groups' priorities), public (the tables of --public-pack only),\n",
        "admin (also users and the audit log). Every request is recorded in the audit log (JSON\n",
        "lines; --audit, default audit.jsonl beside the users file). The dataset is loaded once and\n",
        "again when its manifest changes (csa ingest --append). With an empty users file on a\n",
        "terminal it asks for a first administrator. Stop it with Ctrl-C.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    Serve(ServeArgs),
    /// Manage the users of csa serve: add (password from the terminal or one line of stdin), remove, list.
    #[command(after_help = concat!(
        "Examples:\n",
        "  csa user add --users out/users.json --name inspector.jones --role partner --subgroups \"City Tasking\"\n",
        "  printf '%s\\n' \"$PASSWORD\" | csa user add --users out/users.json --name board --role public\n",
        "  csa user list --users out/users.json\n",
        "  csa user remove --users out/users.json --name board\n\n",
        "Only an argon2id hash of the password is stored (file mode 0600). A running csa serve\n",
        "reads the file again within seconds; a removed user's sessions end.\n",
        "Exit codes: 0 ok, 1 internal error, 2 bad input or usage."))]
    User(UserArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Public pack folders (`csa assess --edition public`); several are audited as one set.
    #[arg(required = true, value_name = "PACK_DIR")]
    pub packs: Vec<PathBuf>,
    /// Print only the cells that fail, and the totals.
    #[arg(long)]
    pub failures: bool,
    /// The verdict only, with far fewer integer programmes: a range is exact where it had to
    /// be solved (always for a failing cell), else what the witnesses reached, which lies
    /// inside the true range (column `exact`: no).
    #[arg(long)]
    pub quick: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Dataset folder written by `csa ingest` [default: the config's dataset].
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Assessment configuration (TOML) [default: the shipped priorities].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The users file (`csa user add` writes it).
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// TLS certificate chain (PEM); with --tls-key the server speaks HTTPS only.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The audit log (JSON lines, appended) [default: audit.jsonl beside the users file].
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// Targets of the quarterly page (as `csa quarterly --targets`) [default: every priority, no target].
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// The public pack (`csa assess --edition public`) shown to the public role, audited when
    /// loaded [default: none; public users then get no figures].
    #[arg(long, value_name = "DIR")]
    pub public_pack: Option<PathBuf>,
    /// A session ends after this long without a request (e.g. 30m, 90s, 1h).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub session_idle: String,
    /// A session ends this long after sign-in at the latest.
    #[arg(long, value_name = "DURATION", default_value = "8h")]
    pub session_lifetime: String,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user; the password is asked for on a terminal, else read as one line of stdin.
    Add(UserAddArgs),
    /// Remove a user (their sessions end).
    Remove(UserNameArgs),
    /// List the users: name, role, sub-groups, when added.
    List(UserListArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Exact figures for the priorities of their sub-groups (all when none are given).
    Partner,
    /// The tables of the public pack (`csa serve --public-pack`) only.
    Public,
    /// Exact figures, the users and the audit log.
    Admin,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The users file (created when missing).
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// User name: letters, digits and . _ @ - (at most 64).
    #[arg(long, value_name = "NAME")]
    pub name: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Sub-groups of a partner, comma-separated [default: every priority].
    #[arg(long, value_name = "NAME[,NAME...]", default_value = "")]
    pub subgroups: String,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    /// The users file.
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
    /// User name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// The users file.
    #[arg(long, value_name = "FILE")]
    pub users: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EditionArg {
    /// For partners: exact figures.
    Restricted,
    /// For publication: disclosure control applied.
    Public,
}

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// Assessment configuration (TOML): data, area, periods, priorities, survey, hotspots.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Output folder (replaced whole when the run succeeds).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "restricted")]
    pub edition: EditionArg,
    /// Dataset folder (overrides the config's dataset and inputs).
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Keep the dataset ingested from the config's [inputs] here (replaced whole).
    #[arg(long, value_name = "DIR")]
    pub keep_dataset: Option<PathBuf>,
    /// Public edition: last year's public pack (its period is this one's comparison): the
    /// comparison year is published exactly as there, so the two packs together reveal
    /// nothing more. Overrides the config's `[assessment] previous_public`.
    #[arg(long, value_name = "DIR")]
    pub previous_public: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// Aligned columns for the terminal, with the period, totals and notes.
    Table,
    Csv,
    /// The rows plus what they count (priority, unit, periods, totals, notes).
    Json,
    /// An Excel workbook (needs --out): the table and an "about" sheet.
    Xlsx,
    /// A Parquet file (needs --out), typed columns, for DuckDB, polars or pandas.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// Counts by the --by dimensions against the comparison period.
    Counts,
    /// Every priority's count, change, rate and harm (ignores --priority and --by).
    Volume,
    /// Repeat victims, and victims again within 12 months (same offender too).
    RepeatVictims,
    /// Repeat offenders.
    RepeatOffenders,
    /// The most prolific offenders (pseudonymised).
    Prolific,
    /// The busiest locations.
    TopLocations,
    /// Day of week x hour committed.
    DayHour,
    /// Victims' age, sex and ethnicity against the resident population (--by ward: per ward).
    EqualitiesVictims,
    /// Offenders' age, sex and ethnicity against the resident population (--by ward: per ward).
    EqualitiesOffenders,
}

#[derive(Debug, Args)]
pub struct BreakdownArgs {
    #[command(flatten)]
    pub scope: Scope,
    /// Dimensions, comma-separated (at most 4); none gives the total. The equalities views
    /// take `ward` (ward by ward) or nothing (the whole area).
    #[arg(long, value_name = "DIM[,DIM...]", default_value = "")]
    pub by: String,
    /// What to compute.
    #[arg(long, value_enum, default_value = "counts")]
    pub view: View,
    /// Rows in top-N views.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HotspotMethod {
    /// Getis-Ord Gi* on grid counts, FDR confidence bins (and permutation p with --permutations).
    Gi,
    /// Quartic kernel density on the grid.
    Kde,
    /// Nearest-neighbour hierarchical clustering (CrimeStat-style).
    Nnh,
    /// DBSCAN clustering (--eps, --min-points).
    Dbscan,
    /// Space-time Gi* per month (or quarter), a Mann-Kendall trend per cell, ArcGIS's 17
    /// emerging hot spot categories.
    Emerging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeStep {
    Month,
    Quarter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Metric {
    Euclidean,
    Manhattan,
}

/// Dataset, configuration, priority and period: what every analysis command starts from.
#[derive(Debug, Args)]
pub struct Scope {
    /// Dataset folder written by `csa ingest` [default: the config's dataset].
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<std::path::PathBuf>,
    /// Assessment configuration (TOML) [default: the shipped priorities, data/config/priorities.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Priority name (`csa priorities` lists them).
    #[arg(long, value_name = "NAME", default_value = "all")]
    pub priority: String,
    /// First month of the period (YYYY-MM); alone, the period is the 12 months from it.
    #[arg(long, value_name = "YYYY-MM")]
    pub from: Option<String>,
    /// Last month of the period (YYYY-MM); alone, the period is the 12 months to it.
    #[arg(long, value_name = "YYYY-MM")]
    pub to: Option<String>,
}

#[derive(Debug, Args)]
pub struct HotspotsArgs {
    #[command(flatten)]
    pub scope: Scope,
    #[arg(long, value_enum, default_value = "gi")]
    pub method: HotspotMethod,
    /// Grid cell size in metres, or `auto` (sqrt(10 A / N), rounded up to 25 m).
    #[arg(long, value_name = "M|auto", default_value = "250")]
    pub cell: String,
    /// Gi* distance band in metres [default: 500, or twice the cell with --cell auto].
    #[arg(long, value_name = "M")]
    pub band: Option<f64>,
    /// Gi* conditional permutations for pseudo p-values; `--permutations` alone is 999
    /// [default: 0, analytic p only].
    #[arg(long, value_name = "R", default_value_t = 0, num_args = 0..=1, default_missing_value = "999")]
    pub permutations: usize,
    /// Seed of the permutations: the same seed gives the same p-values.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Kernel density bandwidth in metres [default: the ArcGIS rule].
    #[arg(long, value_name = "M")]
    pub bandwidth: Option<f64>,
    /// DBSCAN neighbourhood radius in metres.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    pub eps: f64,
    /// DBSCAN: points within --eps (itself included) to be a core point; NNH: points per cluster.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_points: usize,
    /// NNH: one-tailed probability of the linking threshold (smaller: tighter clusters).
    #[arg(long, value_name = "P", default_value_t = 0.05)]
    pub nnh_p: f64,
    /// Emerging hot spots: time step.
    #[arg(long, value_enum, default_value = "month")]
    pub step: TimeStep,
    /// Emerging hot spots: earlier time steps in each bin's neighbourhood (ArcGIS's
    /// neighborhood time step).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub time_window: usize,
    /// Ward boundaries (GeoJSON) of the study area [default: the config's, else the dataset's].
    #[arg(long, value_name = "FILE")]
    pub boundaries: Option<PathBuf>,
    /// Output folder (created; files of the same method are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct NearRepeatArgs {
    #[command(flatten)]
    pub scope: Scope,
    /// Spatial band edges in metres, from 0.
    #[arg(long, value_name = "M,M,...", default_value = "0,1,100,200,300,400")]
    pub space_bands: String,
    /// Time band edges in days, from 0.
    #[arg(long, value_name = "D,D,...", default_value = "0,7,14,21,28")]
    pub time_bands: String,
    #[arg(long, value_enum, default_value = "euclidean")]
    pub metric: Metric,
    /// Monte Carlo permutations.
    #[arg(long, value_name = "R", default_value_t = 999)]
    pub permutations: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One plain line per event.
    Text,
    /// One JSON object per line: ts, level, msg and fields.
    Json,
}

#[derive(Debug, Args)]
pub struct QuarterlyArgs {
    /// Dataset folder written by `csa ingest` [default: the config's dataset].
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Assessment configuration (TOML): area and priorities [default: the shipped priorities].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// 2025Q2, FY2025Q1 or latest.
    #[arg(long, value_name = "QUARTER")]
    pub quarter: String,
    /// Indicators and targets (TOML; see data/demo/targets.toml).
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Output folder (replaced as a whole on success).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Exit with this code (e.g. 3) when there are exceptions [default: 0 as for any success].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(3..=125))]
    pub exceptions_exit_code: Option<i32>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["cohort", "cohort_file"])))]
pub struct ReoffendingArgs {
    /// Dataset folder written by `csa ingest` [default: the config's dataset].
    #[arg(long, value_name = "DIR")]
    pub dataset: Option<PathBuf>,
    /// Assessment configuration (TOML): area, age bands, pseudonym key [default: the shipped one].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The cohort's period: a quarter (2024Q1, or FY2024Q1 = April-June 2024) or a financial
    /// year (FY2024 = April 2024 to March 2025).
    #[arg(long, value_name = "PERIOD")]
    pub cohort: Option<String>,
    /// An offender cohort (IOM) to track instead: CSV with person_id, entry_date[, exit_date].
    #[arg(long, value_name = "FILE", conflicts_with = "cohort")]
    pub cohort_file: Option<PathBuf>,
    /// The priority whose crimes put an offender in the cohort (`csa priorities`).
    #[arg(long, value_name = "NAME", default_value = "all", conflicts_with = "cohort_file")]
    pub priority: String,
    /// Follow-up after the index date (with --cohort-file: the window before and after entry).
    #[arg(long, value_name = "N", default_value_t = 12)]
    pub follow_up_months: u32,
    /// Months after the follow-up by which a re-offence must be recorded.
    #[arg(long, value_name = "N", default_value_t = 6, conflicts_with = "cohort_file")]
    pub waiting_months: u32,
    /// Breakdowns, comma-separated: age_band, sex, ethnicity, offence_group, ward, prolific
    /// (or all, none).
    #[arg(
        long,
        value_name = "DIM[,DIM...]",
        default_value = "all",
        conflicts_with = "cohort_file"
    )]
    pub by: String,
    /// Other crimes in the 12 months before the index date that make an offender prolific.
    #[arg(long, value_name = "N", default_value_t = 3, conflicts_with = "cohort_file")]
    pub prolific_crimes: u32,
    /// Report a period the data do not yet cover as provisional instead of refusing it.
    #[arg(long, conflicts_with = "cohort_file")]
    pub provisional: bool,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SurveyArgs {
    /// Survey responses (CSV, one row per respondent).
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Folder for the tables (CSV each, and survey.xlsx).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConsultationArgs {
    /// Survey responses (CSV, one row per respondent; optional ethnicity, date, channel and
    /// comment columns).
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Consultation settings (TOML): population and area, weighting margins and trimming,
    /// tracking, codebook, "you said, we did" file [default: Census 2021 denominators, raking
    /// to ward, age band and sex, trimming to [0.2, 5] x the mean weight].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder for consultation.html, consultation.xlsx and one CSV per table.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write the public edition: free-text counts below the configured threshold suppressed,
    /// no examples and no uncoded answers.
    #[arg(long)]
    pub public: bool,
    /// The running check: print a JSON status on standard output and exit 3 when something
    /// needs attention (under-represented groups, a week below the minimum, misdated responses).
    #[arg(long)]
    pub check: bool,
    /// Day the check runs as (YYYY-MM-DD) [default: today].
    #[arg(long, value_name = "DATE")]
    pub today: Option<chrono::NaiveDate>,
}

#[derive(Debug, Args)]
pub struct PrioritiesArgs {
    /// Assessment configuration (TOML) [default: the shipped priorities].
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// police.uk street-level CSV files or folders (searched for *-street.csv[.gz]).
    #[arg(long = "police-uk", value_name = "PATH", num_args = 1..)]
    pub police_uk: Vec<PathBuf>,
    /// Force extract folders holding crimes, victims and offenders (.csv, .csv.gz or .parquet).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub extract: Vec<PathBuf>,
    /// TOML column mapping for extracts whose columns differ (see data/demo/mapping-example.toml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Partner incidents files as NAME=FILE (ambulance=attendances.csv): rows of kind
    /// `incident`, source NAME, read through the mapping's [incidents.NAME].
    #[arg(long, value_name = "NAME=FILE", num_args = 1.., value_parser = named_path)]
    pub incidents: Vec<(String, PathBuf)>,
    /// Ward boundaries as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub boundaries: PathBuf,
    /// Feature property holding the ward code.
    #[arg(long, default_value = "WD25CD", value_name = "P")]
    pub ward_code_prop: String,
    /// Feature property holding the ward name.
    #[arg(long, default_value = "WD25NM", value_name = "P")]
    pub ward_name_prop: String,
    /// LSOA boundaries as GeoJSON, to fill lsoa_code for rows that lack one.
    #[arg(long, value_name = "FILE")]
    pub lsoa_boundaries: Option<PathBuf>,
    /// Feature property holding the LSOA code.
    #[arg(long, default_value = "LSOA21CD", value_name = "P")]
    pub lsoa_code_prop: String,
    /// Feature property holding the LSOA name.
    #[arg(long, default_value = "LSOA21NM", value_name = "P")]
    pub lsoa_name_prop: String,
    /// LSOA -> ward lookup CSV, to place rows that have an LSOA code but no coordinates.
    #[arg(long, value_name = "FILE")]
    pub lsoa_lookup: Option<PathBuf>,
    /// Lookup column holding the LSOA code (matched ignoring case).
    #[arg(long, default_value = "LSOA21CD", value_name = "COL")]
    pub lookup_lsoa_col: String,
    /// Lookup column holding the ward code; must match the boundaries' codes.
    #[arg(long, default_value = "WD25CD", value_name = "COL")]
    pub lookup_ward_col: String,
    /// Lookup column holding the ward name.
    #[arg(long, default_value = "WD25NM", value_name = "COL")]
    pub lookup_ward_name_col: String,
    /// Dataset folder to write (replaced atomically if it exists).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Add the inputs to the existing dataset at --out instead of replacing it: new months are
    /// added, a crime_ref seen again replaces its earlier version, the manifest records it.
    #[arg(long)]
    pub append: bool,
    /// Peak memory to aim under (e.g. 800M, 1.5G) [default: 1.5G]. Rows beyond it are
    /// spilled to a temporary folder beside --out; the dataset is the same whatever the budget.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_budget: Option<u64>,
    /// Print how long each step took, on stderr.
    #[arg(long)]
    pub timings: bool,
}

/// A size in bytes: a number with an optional K, M or G (powers of 1024; a trailing B or iB
/// is allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let scale: f64 = match unit.to_ascii_uppercase().as_str() {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{s}`: the unit must be K, M or G (e.g. 800M, 1.5G)")),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok((v * scale) as u64),
        _ => Err(format!("`{s}` is not a positive size (e.g. 800M, 1.5G)")),
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse_size("1024"), Ok(1024));
        assert_eq!(super::parse_size("800M"), Ok(800 << 20));
        assert_eq!(super::parse_size("1.5G"), Ok(1536 << 20));
        assert_eq!(super::parse_size("64KiB"), Ok(64 << 10));
        assert!(super::parse_size("0").is_err());
        assert!(super::parse_size("12T").is_err());
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SynthFormat {
    /// crimes.csv, victims.csv, offenders.csv in the canonical columns.
    Extract,
    /// One police.uk street-level CSV per month (no people).
    PoliceUk,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of crimes (a year of them, with victims and offenders).
    #[arg(long, value_name = "N", required_unless_present = "survey")]
    pub crimes: Option<usize>,
    /// Also (or only) write survey.csv: N consultation survey respondents.
    #[arg(long, value_name = "N")]
    pub survey: Option<usize>,
    /// Make the survey a realistically biased sample of Coventry's residents (older residents
    /// and some wards over-represented, with date, channel and comment columns) and write
    /// survey_truth.json with the population's true priority shares.
    #[arg(long, requires = "survey")]
    pub survey_biased: bool,
    /// Number of ASB incidents [default: a quarter of --crimes].
    #[arg(long, value_name = "N")]
    pub asb: Option<usize>,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Calendar year to generate.
    #[arg(long, default_value_t = 2025)]
    pub year: i32,
    /// Output layout.
    #[arg(long, value_enum, default_value = "extract")]
    pub format: SynthFormat,
    /// Write .csv.gz instead of .csv.
    #[arg(long)]
    pub gzip: bool,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `NAME=FILE` of `--incidents`.
fn named_path(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => {
            Ok((name.trim().to_string(), PathBuf::from(path)))
        }
        _ => Err(format!("`{s}` is not NAME=FILE (e.g. ambulance=attendances.csv)")),
    }
}
