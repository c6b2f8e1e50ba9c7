//! Progress of the bulk imports on a terminal (`indicatif`): one bar a stage, with how many of
//! how many and the time left. Drawn on stderr only when it is a terminal, so a pipe or a log
//! gets the report alone; `--json` asks for no bar at all.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;

/// What an import says while it runs.
pub trait Progress: Send + Sync {
    /// A new stage of `total` items, in words ("patients", "vital-sign sets").
    fn stage(&self, name: &str, total: u64);
    /// `n` more items of the current stage done.
    fn advance(&self, n: u64);
    /// The import ended (the report follows).
    fn finish(&self);
}

/// Says nothing (tests, `--json`, the demo loader).
pub struct Quiet;

impl Progress for Quiet {
    fn stage(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// Bars on stderr, hidden when stderr is not a terminal.
#[derive(Default)]
pub struct TerminalBars {
    bar: Mutex<Option<ProgressBar>>,
}

impl TerminalBars {
    fn with_bar(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        let mut guard = self
            .bar
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard);
    }
}

impl Progress for TerminalBars {
    fn stage(&self, name: &str, total: u64) {
        self.with_bar(|bar| {
            if let Some(b) = bar.take() {
                b.finish();
            }
            let b = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            // the template is a constant: it parses
            if let Ok(style) = ProgressStyle::with_template(
                "{msg:>16} [{bar:30}] {pos}/{len} ({percent}%), {eta} left",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            b.set_message(name.to_owned());
            *bar = Some(b);
        });
    }

    fn advance(&self, n: u64) {
        self.with_bar(|bar| {
            if let Some(b) = bar.as_ref() {
                b.inc(n);
            }
        });
    }

    fn finish(&self) {
        self.with_bar(|bar| {
            if let Some(b) = bar.take() {
                b.finish();
            }
        });
    }
}
