//! Progress of a long command on standard error: a bar redrawn in place at
//! most ten times a second when standard error is a terminal, nothing at
//! all when it is piped or redirected (logs and scripts stay clean).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Width of the bar, in characters.
const WIDTH: usize = 30;

/// A progress line for one task.
pub struct Progress {
    label: String,
    shown: bool,
    last: Option<Instant>,
    on: bool,
}

impl Progress {
    /// A progress line headed `label`, drawn only on a terminal.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            shown: false,
            last: None,
            on: std::io::stderr().is_terminal(),
        }
    }

    /// Shows `done` of `total`.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.on
            || (done < total
                && self
                    .last
                    .is_some_and(|t| t.elapsed() < Duration::from_millis(100)))
        {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", line(&self.label, done, total));
        let _ = err.flush();
    }

    /// Ends the line, if one was drawn.
    pub fn finish(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `label [#####·····] 50/100 (50%)`.
fn line(label: &str, done: usize, total: usize) -> String {
    let fraction = if total == 0 {
        1.0
    } else {
        done.min(total) as f64 / total as f64
    };
    let filled = (fraction * WIDTH as f64).round() as usize;
    format!(
        "{label} [{}{}] {done}/{total} ({:.0}%)",
        "#".repeat(filled),
        "·".repeat(WIDTH - filled),
        fraction * 100.0
    )
}

/// Runs `work` while drawing `tally`'s progress (a line per phase) on a
/// terminal; off a terminal it only runs `work`.
pub async fn watching<T>(tally: &probity_demo::Tally, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let mut bar: Option<(&'static str, Progress)> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            out = &mut work => {
                if let Some((_, mut b)) = bar {
                    let (_, done, total) = tally.read();
                    b.update(done, total);
                }
                return out;
            }
            _ = tick.tick() => {
                let (phase, done, total) = tally.read();
                if phase.is_empty() {
                    continue;
                }
                if bar.as_ref().map(|(p, _)| *p) != Some(phase) {
                    // The last phase's line ends as its bar is dropped.
                    bar = Some((phase, Progress::new(phase)));
                }
                if let Some((_, b)) = bar.as_mut() {
                    b.update(done, total);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_share_done() {
        assert_eq!(
            line("rows", 50, 100),
            format!("rows [{}{}] 50/100 (50%)", "#".repeat(15), "·".repeat(15))
        );
        assert!(line("rows", 0, 0).ends_with("0/0 (100%)"));
    }

    #[test]
    fn nothing_is_drawn_off_a_terminal() {
        let mut p = Progress {
            label: "x".into(),
            shown: false,
            last: None,
            on: false,
        };
        p.update(1, 2);
        assert!(!p.shown);
    }
}
