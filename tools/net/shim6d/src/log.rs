//! The log: one line per message sent or received, state change, kernel
//! request and refusal, each stamped with the time of day as seconds since
//! the epoch with microseconds (the form of bash's `$EPOCHREALTIME`, which
//! the selftests compare with), to stderr or appended to a file.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::{
    self,
    Write, //
};
use std::path::Path;
use std::time::{
    Duration,
    SystemTime, //
};

/// Where the lines go, and whether the verbose ones do.
pub struct Log {
    out: Box<dyn Write>,
    verbose: bool,
}

/// `1733011200.123456`: `since_epoch` as seconds and microseconds.
pub fn stamp(since_epoch: Duration) -> String {
    format!(
        "{}.{:06}",
        since_epoch.as_secs(),
        since_epoch.subsec_micros()
    )
}

impl Log {
    /// Lines to stderr.
    pub fn stderr(verbose: bool) -> Self {
        Log {
            out: Box::new(io::stderr()),
            verbose,
        }
    }

    /// Lines appended to `path`, created if need be.
    pub fn file(path: &Path, verbose: bool) -> io::Result<Self> {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Log {
            out: Box::new(f),
            verbose,
        })
    }

    /// Lines to `out`, for the tests.
    pub fn to(out: Box<dyn Write>, verbose: bool) -> Self {
        Log { out, verbose }
    }

    /// Whether the verbose lines are written.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// One line, stamped, written at once (a failing log is not worth
    /// stopping the daemon for: its lines are lost).
    pub fn line(&mut self, text: impl Display) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let _ = writeln!(self.out, "{} {text}", stamp(now)).and_then(|()| self.out.flush());
    }

    /// A line for `-v` only.
    pub fn detail(&mut self, text: impl Display) {
        if self.verbose {
            self.line(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{
        Arc,
        Mutex, //
    };

    #[test]
    fn stamps_read_as_epochrealtime() {
        assert_eq!(
            stamp(Duration::new(1_733_011_200, 5_000)),
            "1733011200.000005"
        );
        assert_eq!(stamp(Duration::from_micros(1_500_000)), "1.500000");
    }

    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_stamped_and_details_need_verbose() {
        for verbose in [false, true] {
            let buf = Arc::new(Mutex::new(Vec::new()));
            let mut log = Log::to(Box::new(Shared(buf.clone())), verbose);
            log.line("sent I1");
            log.detail("bytes 3b00");
            let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 1 + usize::from(verbose), "{text}");
            let (t, rest) = lines[0].split_once(' ').unwrap();
            assert_eq!(rest, "sent I1");
            let (secs, micros) = t.split_once('.').unwrap();
            assert!(secs.parse::<u64>().unwrap() > 1_600_000_000, "{t}");
            assert_eq!(micros.len(), 6, "{t}");
        }
    }
}
