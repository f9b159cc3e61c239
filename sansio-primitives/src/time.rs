//! Monotonic time as the machines see it: a value passed in, never read.

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

/// A span of time; the standard `core` type, re-exported so that protocol
/// crates name one time vocabulary.
pub use core::time::Duration;

/// A point on a monotonic clock, counted in nanoseconds from an origin the
/// driver chooses (the process start in the binaries, zero in tests).
///
/// Arithmetic saturates instead of panicking: a machine fed a time far in the
/// future or an `Instant` earlier than the last one must not crash. Machines
/// that need "time never goes backwards" clamp with [`Instant::max`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The origin of the clock.
    pub const ZERO: Instant = Instant { nanos: 0 };
    /// The latest representable instant (about 584 years after the origin);
    /// a deadline that never comes.
    pub const MAX: Instant = Instant { nanos: u64::MAX };

    /// The instant `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant { nanos }
    }

    /// The instant `micros` microseconds after the origin (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        Instant {
            nanos: micros.saturating_mul(1_000),
        }
    }

    /// The instant `millis` milliseconds after the origin (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// The instant `secs` seconds after the origin (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        Instant {
            nanos: secs.saturating_mul(1_000_000_000),
        }
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Time since the origin.
    pub const fn since_origin(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// `self - earlier`, or zero when `earlier` is later than `self`.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self - earlier`, or `None` when `earlier` is later than `self`.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.nanos
            .checked_sub(earlier.nanos)
            .map(Duration::from_nanos)
    }

    /// `self + d`, or `None` past [`Instant::MAX`].
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let d = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_add(d).map(Instant::from_nanos)
    }

    /// `self - d`, or `None` before the origin.
    pub fn checked_sub(self, d: Duration) -> Option<Instant> {
        let d = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_sub(d).map(Instant::from_nanos)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at [`Instant::MAX`].
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::MAX)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// Saturates at [`Instant::ZERO`].
    fn sub(self, d: Duration) -> Instant {
        self.checked_sub(d).unwrap_or(Instant::ZERO)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, like `std::time::Instant`.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.nanos / 1_000_000_000,
            self.nanos % 1_000_000_000
        )
    }
}

/// Converts the host's monotonic clock into [`Instant`]s counted from the
/// moment the `StdClock` was made, or, for state that must survive a
/// restart (DHCP leases), from the UNIX epoch
/// ([`since_unix_epoch`](Self::since_unix_epoch)).
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct StdClock {
    origin: std::time::Instant,
    /// The [`Instant`] of `origin`.
    offset: Duration,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        StdClock {
            origin: std::time::Instant::now(),
            offset: Duration::ZERO,
        }
    }

    /// A clock whose [`Instant`]s are wall-clock time since the UNIX epoch
    /// when it was made, then advance monotonically (a wall-clock step
    /// while running does not move them). A clock set before 1970 counts
    /// from zero.
    pub fn since_unix_epoch() -> Self {
        StdClock {
            origin: std::time::Instant::now(),
            offset: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.from_std(std::time::Instant::now())
    }

    /// The [`Instant`] of a host instant; instants before the origin map to
    /// [`Instant::ZERO`].
    pub fn from_std(&self, t: std::time::Instant) -> Instant {
        let d = t.saturating_duration_since(self.origin);
        Instant::ZERO + self.offset + d
    }

    /// The host instant of an [`Instant`], for sleeping until a deadline
    /// (one before the clock's origin maps to the origin); `None` if it is
    /// too far in the future to represent.
    pub fn to_std(&self, t: Instant) -> Option<std::time::Instant> {
        self.origin
            .checked_add(t.since_origin().saturating_sub(self.offset))
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let t = Instant::from_secs(5);
        assert_eq!(t - Duration::from_secs(10), Instant::ZERO);
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!(t + Duration::MAX, Instant::MAX);
        assert_eq!(t.checked_duration_since(Instant::from_secs(6)), None);
        assert_eq!(
            t.checked_duration_since(Instant::from_secs(2)),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn units_agree() {
        assert_eq!(Instant::from_secs(2), Instant::from_millis(2_000));
        assert_eq!(Instant::from_millis(3), Instant::from_micros(3_000));
        assert_eq!(Instant::from_micros(4).as_nanos(), 4_000);
        assert_eq!(Instant::from_secs(u64::MAX), Instant::MAX);
        assert_eq!(
            alloc::format!("{:?}", Instant::from_millis(1_500)),
            "1.500000000s"
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn std_clock_round_trips_and_is_monotonic() {
        let clock = StdClock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
        let host = clock.to_std(b).unwrap();
        assert_eq!(clock.from_std(host), b);
        // An instant before the origin maps to the origin, not a panic.
        let before = std::time::Instant::now();
        let later_clock = StdClock::new();
        assert_eq!(later_clock.from_std(before), Instant::ZERO);
    }

    #[cfg(feature = "std")]
    #[test]
    fn epoch_clock_reads_wall_time_and_round_trips() {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let clock = StdClock::since_unix_epoch();
        let now = clock.now().since_origin();
        // Within a minute of the wall clock (and not counted from zero).
        assert!(now >= wall && now - wall < Duration::from_secs(60));
        let t = clock.now();
        assert_eq!(clock.from_std(clock.to_std(t).unwrap()), t);
        // A deadline before the clock was made means "now", not a panic.
        assert!(clock.to_std(Instant::ZERO).is_some());
    }
}
