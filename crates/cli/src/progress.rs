//! A progress bar on a terminal; nothing otherwise (the summary line says it all).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

const WIDTH: usize = 30;

pub struct Progress {
    total: usize,
    enabled: bool,
    /// The last percentage drawn, so the bar is redrawn at most 101 times.
    drawn: AtomicUsize,
}

impl Progress {
    pub fn new(total: usize) -> Self {
        Self {
            total,
            enabled: total > 0 && std::io::stderr().is_terminal(),
            drawn: AtomicUsize::new(usize::MAX),
        }
    }

    pub fn set(&self, done: usize) {
        if !self.enabled {
            return;
        }
        let percent = done.min(self.total) * 100 / self.total;
        if self.drawn.swap(percent, Ordering::Relaxed) == percent {
            return;
        }
        let filled = percent * WIDTH / 100;
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r[{}{}] {percent:>3}% {done}/{}",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            self.total
        );
        let _ = stderr.flush();
    }

    pub fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
