//! The live progress line on stderr (indicatif), hidden with `--json` or when stderr is
//! not a terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

/// How often the line is redrawn.
const REFRESH: Duration = Duration::from_millis(500);

/// The progress line.
pub struct Progress {
    bar: ProgressBar,
    ticker: Option<JoinHandle<()>>,
}

impl Progress {
    /// A visible spinner line, or a hidden one when `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            ProgressBar::new_spinner().with_style(style)
        };
        Self { bar, ticker: None }
    }

    /// Redraws the line every half second with what `render` says; `render` gets the
    /// seconds since its previous call. Replaces any earlier renderer.
    pub fn show(&mut self, mut render: impl FnMut(f64) -> String + Send + 'static) {
        self.stop_ticker();
        if self.bar.is_hidden() {
            return;
        }
        let bar = self.bar.clone();
        self.ticker = Some(tokio::spawn(async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(REFRESH).await;
                let now = Instant::now();
                bar.set_message(render(now.duration_since(last).as_secs_f64()));
                bar.tick();
                last = now;
            }
        }));
    }

    /// Removes the line, before the report is printed.
    pub fn finish(mut self) {
        self.stop_ticker();
        self.bar.finish_and_clear();
    }

    fn stop_ticker(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
    }
}

/// `1.23` or `-` for a missing value.
pub fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"))
}
