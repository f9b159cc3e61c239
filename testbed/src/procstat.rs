//! `/proc/PID/stat` read once, for the CPU figures of benchmarks and for
//! "has this process ended" checks (proc(5)).

/// Clock ticks a second of the `utime`/`stime` fields (USER_HZ: 100 on
/// every Linux target).
const USER_HZ: f64 = 100.0;

/// The fields of one `/proc/PID/stat` line that tests use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcStat {
    /// The state letter (`R`, `S`, `Z` …; field 3).
    pub state: char,
    /// CPU seconds in user mode (field 14).
    pub utime: f64,
    /// CPU seconds in kernel mode (field 15).
    pub stime: f64,
}

impl ProcStat {
    /// Parses a stat line. The command name (field 2) may hold spaces and
    /// parentheses, so the fields are counted after its LAST `)`.
    pub fn parse(line: &str) -> Option<ProcStat> {
        let (_, rest) = line.rsplit_once(')')?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        let state = f.first()?.chars().next()?;
        let secs = |i: usize| Some(f.get(i)?.parse::<f64>().ok()? / USER_HZ);
        Some(ProcStat {
            state,
            utime: secs(11)?,
            stime: secs(12)?,
        })
    }

    /// Reads `/proc/PID/stat`; `None` when the process is gone (or the line
    /// does not parse).
    pub fn of(pid: u32) -> Option<ProcStat> {
        ProcStat::read(&format!("/proc/{pid}/stat"))
    }

    /// Reads the calling thread's stat (`/proc/thread-self/stat`).
    pub fn this_thread() -> Option<ProcStat> {
        ProcStat::read("/proc/thread-self/stat")
    }

    fn read(path: &str) -> Option<ProcStat> {
        ProcStat::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// utime + stime.
    pub fn cpu_seconds(&self) -> f64 {
        self.utime + self.stime
    }

    /// A zombie: it has ended, its parent has not reaped it yet.
    pub fn is_zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// utime + stime of `pid` in seconds; 0 when it cannot be read (the
/// process is gone).
pub fn cpu_seconds(pid: u32) -> f64 {
    ProcStat::of(pid).map_or(0.0, |s| s.cpu_seconds())
}

/// `pid` has ended: it is gone or a zombie.
pub fn has_ended(pid: u32) -> bool {
    ProcStat::of(pid).is_none_or(|s| s.is_zombie())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_counted_after_the_last_parenthesis() {
        // A command name with a space and a ')' of its own.
        let line = "4242 (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 \
                    1000 1000000 100 18446744073709551615\n";
        let s = ProcStat::parse(line).unwrap();
        assert_eq!(s.state, 'S');
        assert_eq!((s.utime, s.stime), (2.5, 0.75));
        assert_eq!(s.cpu_seconds(), 3.25);
        assert!(!s.is_zombie());
        assert!(
            ProcStat::parse("1 (x) Z 0 0 0 0 0 0 0 0 0 0 0 0")
                .unwrap()
                .is_zombie()
        );
    }

    #[test]
    fn a_cut_or_garbled_line_is_none() {
        for line in [
            "",
            "12 (cmd",
            "12 (cmd) S 1 2",
            "12 (cmd) S 1 2 3 4 5 6 7 8 9 x 1",
        ] {
            assert_eq!(ProcStat::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn this_process_is_running_and_an_unused_pid_has_ended() {
        let me = ProcStat::of(std::process::id()).unwrap();
        assert!(!me.is_zombie());
        assert!(ProcStat::this_thread().is_some());
        assert!(!has_ended(std::process::id()));
        // Above the kernel's pid_max limit (2^22): never a process.
        assert!(has_ended(u32::MAX));
        assert_eq!(cpu_seconds(u32::MAX), 0.0);
    }
}
