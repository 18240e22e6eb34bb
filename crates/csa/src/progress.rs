//! Progress bars on stderr, shown only when stderr is a terminal and `--quiet` is off.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    enabled: bool,
    /// With `--timings`: when the current stage started, and its name.
    timings: Option<Mutex<(std::time::Instant, String)>>,
}

impl Bars {
    pub fn new(quiet: bool, timings: bool) -> Bars {
        Bars {
            current: Mutex::new(None),
            enabled: !quiet && std::io::stderr().is_terminal(),
            timings: timings.then(|| Mutex::new((std::time::Instant::now(), "start".to_string()))),
        }
    }

    fn lap(&self, next: &str) {
        if let Some(t) = &self.timings {
            if let Ok(mut t) = t.lock() {
                eprintln!("timing: {:<18} {:>8.3} s", t.1, t.0.elapsed().as_secs_f64());
                *t = (std::time::Instant::now(), next.to_string());
            }
        }
    }

    pub fn report(&self, p: csa_ingest::Progress) {
        if let csa_ingest::Progress::Stage { name, .. } = p {
            self.lap(name);
        }
        if !self.enabled {
            return;
        }
        let Ok(mut cur) = self.current.lock() else { return };
        match p {
            csa_ingest::Progress::Stage { name, total } => {
                if let Some(old) = cur.take() {
                    old.finish_and_clear();
                }
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{spinner} {msg:<18} [{bar:30}] {pos}/{len} {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_message(name.to_string());
                *cur = Some(bar);
            }
            csa_ingest::Progress::Advance(n) => {
                if let Some(bar) = cur.as_ref() {
                    bar.inc(n);
                }
            }
        }
    }

    pub fn finish(&self) {
        self.lap("");
        if let Ok(mut cur) = self.current.lock() {
            if let Some(bar) = cur.take() {
                bar.finish_and_clear();
            }
        }
    }
}
