//! The dataset as the server holds it: loaded once (every month, every column and the
//! people any view needs), shared read-only, and replaced whole when its `manifest.json`
//! changes (after `csa ingest --append`): requests in flight finish on the version they
//! started with, later ones get the new one, and a version that fails to load leaves the
//! previous one serving.
//!
//! Every answer comes from the analysis library exactly as `csa breakdown` computes it: the
//! same periods ([`Assessment::periods`]), the same data ([`Data::slice`] gives what the
//! command line would load) and the same view code ([`View::answer`]). Slices, answers,
//! published tables, hotspot maps and the quarterly tables are kept in caches per dataset
//! version, bounded by entries and by bytes ([`CACHE_BYTES`]; slices up to a quarter of the
//! loaded data), so memory levels off however many distinct views users open. Before a version
//! serves, the figures of every user's first page are computed (`Loaded::warm`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use csa_analysis::hotspots::{self, HotspotOptions, Method};
use csa_analysis::performance::{performance, span, Performance};
use csa_analysis::quarter::Quarter;
use csa_analysis::reoffending_indicator;
use csa_analysis::select::filter_columns;
use csa_analysis::slice::needs_key;
use csa_analysis::targets::{Aim, Indicator, Targets};
use csa_analysis::views::{Answer, View};
use csa_analysis::{
    Assessment, Config, Data, DatasetInfo, Dim, Needs, Period, Periods, Priority, Setting,
};

use crate::cache::Cache;
use crate::error::{internal, Result, ServeError};
use crate::public::{publish, PublicPack, Published};
use crate::query::{Compare, ViewQuery};

/// Answers with more rows than this are computed each time, not kept: the caches hold many
/// small tables, never a few huge ones (memory stays flat).
pub const KEEP_ROWS: usize = 20_000;

/// Bytes the answers, the published tables and the drawn figures may each hold (by their
/// weights); slices a quarter of the loaded data, and at least this.
pub const CACHE_BYTES: usize = 32 << 20;

/// Weight of a published table: its cells at a typical cell's size.
fn published_bytes(p: &Published) -> usize {
    p.table.rows.iter().map(Vec::len).sum::<usize>() * 48
}

/// A dataset version with its caches.
pub struct Loaded {
    /// 1 for the first version loaded, then one more per reload.
    pub generation: u64,
    pub info: DatasetInfo,
    pub config: Config,
    pub setting: Setting,
    /// Every month of the dataset with everything any view needs.
    pub data: Arc<Data>,
    pub latest_complete: bool,
    /// The dataset's default pseudonym key (read once: it hashes the people files).
    pub pseudonym_key: Option<String>,
    /// Ward outlines for maps (the configured boundaries, else the dataset's).
    pub area: Option<hotspots::Area>,
    pub targets: Targets,
    /// When this version was loaded (UTC).
    pub loaded_at: String,
    /// The public edition the `public` role is shown (`--public-pack`), read once at start.
    pub public: Option<Arc<PublicPack>>,
    slices: Cache<Result<Arc<Data>>>,
    answers: Cache<Result<Arc<Answer>>>,
    published: Cache<Result<Arc<Published>>>,
    maps: Cache<Result<Arc<HotspotMaps>>>,
    svgs: Cache<Result<Arc<String>>>,
    performance: OnceLock<Result<Arc<Performance>>>,
    reoffending: OnceLock<Result<Arc<Vec<reoffending_indicator::Row>>>>,
}

/// The Gi* and density maps of a priority, as SVG.
#[derive(Debug, Clone)]
pub struct HotspotMaps {
    pub gi_svg: Option<String>,
    pub kde_svg: Option<String>,
    pub notes: Vec<String>,
}

/// What the server loads: the union of what every view of every priority needs.
pub fn all_needs(config: &Config) -> Needs {
    let mut n = Needs::everything().with(hotspots::SPATIAL_COLUMNS.iter().copied());
    for d in Dim::ALL {
        n.add(d.columns());
    }
    for p in config.all_priorities() {
        n.add(filter_columns(&p.filter));
        for v in View::ALL {
            if let Ok(vn) = v.needs(config, &p, &[]) {
                n = n.merge(vn);
            }
        }
        n = n.merge(hotspots::needs(&p));
    }
    n.people_filter = None;
    n
}

/// The indicators of the quarterly page: the targets file's, else every configured priority
/// (aim: reduce, no target: judged on significant movements only).
pub fn targets_of(file: Option<&Path>, config: &Config) -> Result<Targets> {
    Ok(match file {
        Some(f) => Targets::load(f, config)?,
        None => Targets {
            source: PathBuf::from("<every configured priority>"),
            indicators: config
                .priorities
                .iter()
                .map(|p| Indicator {
                    priority: p.clone(),
                    aim: Aim::Reduce,
                    target_pct: None,
                    baseline_year: None,
                    tracks: None,
                })
                .collect(),
            alpha: 0.05,
            reoffending: Vec::new(),
        },
    })
}

impl Loaded {
    /// Loads the dataset at `dir` for `config`.
    pub fn load(
        dir: &Path,
        config: &Config,
        targets: Option<&Path>,
        generation: u64,
        public: Option<Arc<PublicPack>>,
    ) -> Result<Loaded> {
        let info = DatasetInfo::open(dir)?;
        let (Some(&first), Some(&last)) = (info.months.first(), info.months.last()) else {
            return Err(ServeError::Unavailable(format!(
                "{}: the dataset has no crime records",
                dir.display()
            )));
        };
        let data =
            Arc::new(Data::load(&info, Period { from: first, to: last }, &all_needs(config))?);
        let latest_complete = info.latest_complete()?;
        let setting = Setting::load(config)?;
        let pseudonym_key = match (&config.pseudonym_key, info.has_people()) {
            (None, true) => Some(info.people_key()?),
            _ => None,
        };
        let periods = Assessment::periods(&info, config, None, || Ok(latest_complete))?;
        let whole = Assessment::assemble(
            config.clone(),
            setting.clone(),
            periods,
            data.clone(),
            pseudonym_key.clone(),
        );
        // a map without outlines is still a map; a missing boundaries file only loses them
        let area = hotspots::study_area(&whole, None).ok().flatten();
        let slice_bytes = (data.heap_bytes() / 4).max(CACHE_BYTES);
        let loaded = Loaded {
            generation,
            targets: targets_of(targets, config)?,
            info,
            config: config.clone(),
            setting,
            data,
            latest_complete,
            pseudonym_key,
            area,
            loaded_at: crate::audit::now(),
            public,
            slices: Cache::with_budget(8, slice_bytes),
            answers: Cache::with_budget(256, CACHE_BYTES),
            published: Cache::with_budget(256, CACHE_BYTES),
            maps: Cache::with_budget(32, CACHE_BYTES),
            svgs: Cache::with_budget(256, CACHE_BYTES),
            performance: OnceLock::new(),
            reoffending: OnceLock::new(),
        };
        loaded.warm();
        Ok(loaded)
    }

    /// Computes what every signed-in user's first page shows (the volume table and each
    /// priority's months, exact and as published) before the version serves, so that nobody
    /// waits for it. A failure here is left for the page to report.
    fn warm(&self) {
        let all = ViewQuery {
            priority: Priority::all(),
            view: View::Volume,
            dims: vec![],
            period: None,
            compare: Compare::Previous,
            top: self.config.top_n,
        };
        let mut queries = vec![all.clone()];
        for p in self.config.all_priorities() {
            queries.push(ViewQuery {
                priority: p,
                view: View::Counts,
                dims: vec![Dim::Month],
                ..all.clone()
            });
        }
        for q in &queries {
            if self.answer(q).is_ok() {
                let _ = self.published(q);
            }
        }
    }

    /// The periods of a query: the command line's rule ([`Assessment::periods`]), or with
    /// the same months a year earlier as the comparison.
    pub fn periods(&self, period: Option<Period>, compare: Compare) -> Result<Periods> {
        let mut p =
            Assessment::periods(&self.info, &self.config, period, || Ok(self.latest_complete))?;
        if compare == Compare::YearBefore {
            p.comparison = Period { from: p.current.from.plus(-12), to: p.current.to.plus(-12) };
        }
        Ok(p)
    }

    /// What `csa breakdown` would load for `needs` over `periods`, cut from the held data.
    fn slice(&self, months: Period, needs: &Needs) -> Result<Arc<Data>> {
        let key = format!("{}:{}|{}", months.from.0, months.to.0, needs_key(needs));
        self.slices.get_or_compute_weighed(
            &key,
            || Ok(Arc::new(self.data.slice(months, needs)?)),
            |d| d.as_ref().map_or(0, |d| d.heap_bytes()),
        )
    }

    /// An assessment over `periods` with the data `needs`, as `Assessment::open` gives it.
    pub fn assessment(&self, periods: Periods, needs: &Needs) -> Result<Assessment> {
        let data = self.slice(Assessment::months_to_load(periods), needs)?;
        Ok(Assessment::assemble(
            self.config.clone(),
            self.setting.clone(),
            periods,
            data,
            self.pseudonym_key.clone(),
        ))
    }

    /// The answer of a view, exactly as `csa breakdown` gives it (cached, unless it is
    /// bigger than [`KEEP_ROWS`]).
    pub fn answer(&self, q: &ViewQuery) -> Result<Arc<Answer>> {
        let key = q.key();
        let a = self.answers.get_or_compute_weighed(
            &key,
            || {
                let periods = self.periods(q.period, q.compare)?;
                let needs = q.view.needs(&self.config, &q.priority, &q.dims)?;
                let a = self.assessment(periods, &needs)?;
                Ok(Arc::new(q.view.answer(&a, &q.priority, &q.dims, q.top)?))
            },
            |a| a.as_ref().map_or(0, |a| a.table.estimated_size()),
        );
        if a.as_ref().is_ok_and(|a| a.table.height() > KEEP_ROWS) {
            self.answers.forget(&key);
        }
        a
    }

    /// The answer as the public edition publishes it (cached like the answer).
    pub fn published(&self, q: &ViewQuery) -> Result<Arc<Published>> {
        crate::public::allowed(q.view, &q.dims)?;
        let key = q.key();
        let p = self.published.get_or_compute_weighed(
            &key,
            || {
                let a = self.answer(q)?;
                Ok(Arc::new(publish(self.public.as_deref(), q, &a)?))
            },
            |p| p.as_ref().map_or(0, |p| published_bytes(p)),
        );
        if p.as_ref().is_ok_and(|p| p.table.rows.len() > KEEP_ROWS) {
            self.published.forget(&key);
        }
        p
    }

    /// A drawn figure (SVG), computed once per key.
    pub fn svg(&self, key: &str, f: impl FnOnce() -> Result<String>) -> Result<Arc<String>> {
        self.svgs.get_or_compute_weighed(
            key,
            || f().map(Arc::new),
            |s| s.as_ref().map_or(0, |s| s.len()),
        )
    }

    /// Gi* hot spots and kernel density of a priority over the current period, drawn with
    /// the annual pack's settings (`[hotspots]`), as SVG maps (cached).
    pub fn hotspot_maps(&self, p: &Priority, periods: Periods) -> Result<Arc<HotspotMaps>> {
        let key = format!("{}|{:?}", p.name, (periods.current.from.0, periods.current.to.0));
        let weigh = |m: &Result<Arc<HotspotMaps>>| {
            m.as_ref().map_or(0, |m| {
                m.gi_svg.as_ref().map_or(0, String::len) + m.kde_svg.as_ref().map_or(0, String::len)
            })
        };
        self.maps.get_or_compute_weighed(&key, || {
            let a = self.assessment(periods, &hotspots::needs(p))?;
            let s = &self.config.hotspots;
            let pts = hotspots::points(&a, p, periods.current)?;
            if pts.xy.len() < s.min_crimes {
                return Ok(Arc::new(HotspotMaps {
                    gi_svg: None,
                    kde_svg: None,
                    notes: vec![format!(
                        "{} records with a position in {}: hot spot maps need at least {} ([hotspots] min_crimes)",
                        pts.xy.len(),
                        periods.current,
                        s.min_crimes
                    )],
                }));
            }
            let base = HotspotOptions {
                method: Method::Gi,
                cell: Some(s.cell_m),
                band: Some(s.band_m),
                permutations: s.permutations,
                seed: s.seed,
                ..HotspotOptions::default()
            };
            let area = self.area.as_ref();
            let gi = hotspots::hotspots(&a, p, area, &base)?;
            let kde = hotspots::hotspots(&a, p, area, &HotspotOptions { method: Method::Kde, ..base })?;
            let svg = |run: &hotspots::HotspotRun| {
                csa_charts::render::svg_string(&csa_charts::hotspot_map::hotspot_map(run, area))
                    .map_err(internal)
            };
            let mut notes = gi.notes.clone();
            notes.extend(kde.notes.iter().filter(|n| !notes.contains(n)).cloned().collect::<Vec<_>>());
            Ok(Arc::new(HotspotMaps { gi_svg: Some(svg(&gi)?), kde_svg: Some(svg(&kde)?), notes }))
        }, weigh)
    }

    /// The quarter `csa quarterly --quarter latest` reports: the latest complete one.
    fn latest_quarter(&self) -> Result<Quarter> {
        let latest = self
            .info
            .latest()
            .ok_or_else(|| ServeError::Unavailable("the dataset has no crime records".into()))?;
        Ok(Quarter::latest(latest, self.latest_complete))
    }

    /// The latest complete quarter's performance table (`csa quarterly --quarter latest`).
    pub fn performance(&self) -> Result<Arc<Performance>> {
        self.performance
            .get_or_init(|| {
                let quarter = self.latest_quarter()?;
                let mut needs =
                    Needs::for_priorities(self.targets.indicators.iter().map(|i| &i.priority));
                needs.victims = false;
                let periods = Assessment::periods(
                    &self.info,
                    &self.config,
                    Some(span(quarter, &self.targets)),
                    || Ok(self.latest_complete),
                )?;
                let a = self.assessment(periods, &needs)?;
                if !a.covers(quarter.period()) {
                    return Err(ServeError::Unavailable(format!(
                        "the dataset does not cover all of {quarter}"
                    )));
                }
                Ok(Arc::new(performance(&a, &self.targets, quarter)?))
            })
            .clone()
    }

    /// The targets file's `[[reoffending]]` indicators for the latest complete quarter, as
    /// `csa quarterly` writes them (`reoffending.csv`): each on the cohort whose follow-up and
    /// waiting period the quarter completes, against the cohort a year earlier, over the
    /// months the command line would load ([`reoffending_indicator::span`]).
    pub fn reoffending(&self) -> Result<Arc<Vec<reoffending_indicator::Row>>> {
        self.reoffending
            .get_or_init(|| {
                let quarter = self.latest_quarter()?;
                let Some(load) = reoffending_indicator::span(quarter, &self.targets) else {
                    return Ok(Arc::new(Vec::new()));
                };
                let periods = Periods { current: load, comparison: load };
                let a = self.assessment(periods, &reoffending_indicator::needs(&self.targets))?;
                Ok(Arc::new(reoffending_indicator::indicators(&a, &self.targets, quarter)?))
            })
            .clone()
    }
}

/// The dataset the server serves, with reloading.
pub struct Dataset {
    pub dir: PathBuf,
    config: Config,
    targets: Option<PathBuf>,
    public: Option<Arc<PublicPack>>,
    current: RwLock<Option<Arc<Loaded>>>,
    generation: AtomicU64,
    /// The manifest hash a reload failed on, and the message (not retried until it changes
    /// or a minute has passed).
    failed: Mutex<Option<(String, std::time::Instant, String)>>,
}

/// What a reload check did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reload {
    Unchanged,
    Loaded { generation: u64, crimes: usize },
    Failed(String),
}

impl Dataset {
    /// Loads `dir` and the public pack `public_pack` (an error stops the server from
    /// starting: the user fixes the path).
    pub fn open(
        dir: &Path,
        config: Config,
        targets: Option<PathBuf>,
        public_pack: Option<&Path>,
    ) -> Result<Dataset> {
        let public = public_pack.map(PublicPack::load).transpose()?.map(Arc::new);
        let loaded = Loaded::load(dir, &config, targets.as_deref(), 1, public.clone())?;
        Ok(Dataset {
            dir: dir.to_path_buf(),
            config,
            targets,
            public,
            current: RwLock::new(Some(Arc::new(loaded))),
            generation: AtomicU64::new(1),
            failed: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The version to answer from.
    pub fn current(&self) -> Result<Arc<Loaded>> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| ServeError::Unavailable("the dataset is not loaded".into()))
    }

    /// The SHA-256 of the manifest on disk now (`None` while it cannot be read, e.g. in the
    /// instant an ingest swaps the folder).
    fn manifest_hash(&self) -> Option<String> {
        use sha2::Digest;
        let bytes = std::fs::read(self.dir.join(csa_model::manifest::MANIFEST_FILE)).ok()?;
        Some(format!("{:x}", sha2::Sha256::digest(&bytes)))
    }

    /// Loads the dataset again when its manifest changed (blocking: run off the async
    /// threads). The new version replaces the old one only once it has loaded completely.
    pub fn reload_if_changed(&self) -> Reload {
        let Some(hash) = self.manifest_hash() else { return Reload::Unchanged };
        if self.current().is_ok_and(|c| c.info.manifest_sha256 == hash) {
            return Reload::Unchanged;
        }
        {
            let f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((h, at, _)) = f.as_ref() {
                if *h == hash && at.elapsed() < std::time::Duration::from_secs(60) {
                    return Reload::Unchanged;
                }
            }
        }
        let generation = self.generation.load(Ordering::SeqCst) + 1;
        match Loaded::load(
            &self.dir,
            &self.config,
            self.targets.as_deref(),
            generation,
            self.public.clone(),
        ) {
            Ok(l) => {
                let crimes = l.data.crimes.len;
                self.generation.store(generation, Ordering::SeqCst);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(l));
                *self.failed.lock().unwrap_or_else(|p| p.into_inner()) = None;
                Reload::Loaded { generation, crimes }
            }
            Err(e) => {
                let msg = e.to_string();
                *self.failed.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((hash, std::time::Instant::now(), msg.clone()));
                Reload::Failed(msg)
            }
        }
    }
}
