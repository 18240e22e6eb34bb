//! Progress bars on stderr, shown only when stderr is a terminal and `--quiet` is off.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bars {
    current: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        Bars { current: Mutex::new(None), enabled: !quiet && std::io::stderr().is_terminal() }
    }

    pub fn report(&self, p: csa_ingest::Progress) {
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
                let style = ProgressStyle::with_template("{spinner} {msg:<18} [{bar:30}] {pos}/{len} {elapsed}")
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
        if let Ok(mut cur) = self.current.lock() {
            if let Some(bar) = cur.take() {
                bar.finish_and_clear();
            }
        }
    }
}
