//! The wall clock. Every "now" and "today" a service uses comes from a
//! [`Clock`]: the system clock in production, a clock a test sets and
//! moves. Nothing else in Probity reads the time of day.
//!
//! A server holds one clock ([`crate::server::ServerConfig::clock`]); the
//! gateway hands it to every call ([`crate::Call::clock`]), so handlers,
//! the audit log and token expiry all read the same clock.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use time::{Date, OffsetDateTime, UtcOffset};

/// Vietnam's offset (UTC+7): "today" is today in Vietnam.
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// A source of the current time: the system's, or a settable one.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: microseconds since the epoch,
    /// set by tests.
    fixed: Option<Arc<AtomicI64>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fixed {
            None => f.write_str("Clock(system)"),
            Some(at) => write!(f, "Clock(fixed at {} µs)", at.load(Ordering::Relaxed)),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands at `micros` (since the Unix epoch) until it is
    /// [`set`](Self::set) or [`advance`](Self::advance)d. Clones share it.
    pub fn fixed(micros: i64) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(micros))),
        }
    }

    /// A fixed clock at 09:00 in Vietnam on `date`.
    pub fn on(date: Date) -> Self {
        Self::fixed(nine_am(date))
    }

    /// Moves a fixed clock to `micros`; a system clock cannot be set and is
    /// left as it is.
    pub fn set(&self, micros: i64) {
        if let Some(at) = &self.fixed {
            at.store(micros, Ordering::Relaxed);
        }
    }

    /// Moves a fixed clock to 09:00 in Vietnam on `date`.
    pub fn set_today(&self, date: Date) {
        self.set(nine_am(date));
    }

    /// Moves a fixed clock forward by `micros`.
    pub fn advance(&self, micros: i64) {
        if let Some(at) = &self.fixed {
            at.fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Microseconds since the Unix epoch.
    pub fn now_micros(&self) -> i64 {
        match &self.fixed {
            Some(at) => at.load(Ordering::Relaxed),
            None => (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64,
        }
    }

    /// Whole seconds since the Unix epoch.
    pub fn now_seconds(&self) -> i64 {
        self.now_micros().div_euclid(1_000_000)
    }

    /// Today's date in Vietnam (UTC+7).
    pub fn today(&self) -> Date {
        OffsetDateTime::from_unix_timestamp(self.now_seconds())
            .map(|t| t.to_offset(VIETNAM).date())
            .unwrap_or(Date::MIN)
    }
}

/// The first moment of `date` in Vietnam (00:00 UTC+7), in microseconds
/// since the epoch: when a job for that day becomes due.
pub fn start_of_day(date: Date) -> i64 {
    date.midnight().assume_offset(VIETNAM).unix_timestamp() * 1_000_000
}

/// 09:00 in Vietnam (02:00 UTC) on `date`, in microseconds since the epoch.
fn nine_am(date: Date) -> i64 {
    let midnight = date.midnight().assume_offset(VIETNAM);
    (midnight.unix_timestamp() + 9 * 3600) * 1_000_000
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_fixed_clock_stands_until_moved() {
        let clock = Clock::on(date!(2016 - 11 - 30));
        assert_eq!(clock.today(), date!(2016 - 11 - 30));
        let before = clock.now_micros();
        assert_eq!(clock.now_micros(), before);
        clock.advance(16 * 3600 * 1_000_000);
        assert_eq!(clock.today(), date!(2016 - 12 - 01), "01:00 the next day");
        clock.set_today(date!(2020 - 02 - 29));
        assert_eq!(clock.today(), date!(2020 - 02 - 29));
    }

    #[test]
    fn clones_share_a_fixed_clock() {
        let clock = Clock::on(date!(2016 - 11 - 30));
        let other = clock.clone();
        clock.set_today(date!(2017 - 01 - 01));
        assert_eq!(other.today(), date!(2017 - 01 - 01));
    }

    #[test]
    fn today_is_vietnamese_time() {
        // 2016-11-30 20:00 UTC is already 2016-12-01 in Vietnam.
        let clock = Clock::fixed(1_480_536_000 * 1_000_000);
        assert_eq!(clock.today(), date!(2016 - 12 - 01));
    }

    #[test]
    fn the_system_clock_cannot_be_set() {
        let clock = Clock::system();
        clock.set(0);
        assert!(clock.now_seconds() > 1_700_000_000);
    }
}
