//! Progress while a command waits: an indicatif bar or spinner on stderr when it is a terminal.
//! indicatif hides itself otherwise (a pipe, a CI log), and then `note` prints plain lines to
//! stdout instead, so what happened is still on record.

use std::fmt::Display;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants; a bad one falls back to indicatif's default look.
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress {
    /// A bar counting to `len`.
    pub fn bar(len: u64, prefix: &str) -> Progress {
        let bar = ProgressBar::new(len)
            .with_style(style("{prefix:>12} [{bar:30}] {pos}/{len} {msg} ({elapsed})"))
            .with_prefix(prefix.to_string());
        Progress { bar }
    }

    /// A spinner for waits of unknown length.
    pub fn spinner(prefix: &str) -> Progress {
        let bar = ProgressBar::new_spinner()
            .with_style(style("{spinner} {prefix:>12} {msg} ({elapsed})"))
            .with_prefix(prefix.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    /// True when the bar is drawn (stderr is a terminal).
    pub fn live(&self) -> bool {
        !self.bar.is_hidden()
    }

    pub fn set_position(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    pub fn set_length(&self, len: u64) {
        self.bar.set_length(len);
    }

    pub fn set_message(&self, msg: impl Display) {
        self.bar.set_message(msg.to_string());
    }

    /// A line for the record: above the bar on a terminal, on stdout otherwise.
    pub fn note(&self, line: impl Display) {
        if self.live() {
            self.bar.println(line.to_string());
        } else {
            println!("{line}");
        }
    }

    /// Removes the bar without a word (an error follows).
    pub fn abandon(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // A bar left behind by an early return would keep redrawing over the error message.
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
