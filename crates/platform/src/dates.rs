//! Calendar dates and timestamps: between the wire (`google.type.Date`,
//! `google.protobuf.Timestamp`), Rust (`time::Date`) and storage (dates as
//! ISO `YYYY-MM-DD` text, which sorts correctly on both backends; times as
//! integer microseconds since the Unix epoch).
//!
//! The current date and time come from a [`crate::clock::Clock`], never
//! from here.

use probity_proto::google::r#type::Date as ProtoDate;
use time::{
    Date, Month, OffsetDateTime, format_description::FormatItem, macros::format_description,
};

use crate::{clock::VIETNAM, error::Violation};

pub(crate) const ISO: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// The calendar day in Vietnam (UTC+7) of a protobuf timestamp; `None`
/// when it is out of range.
pub fn vietnam_date(ts: &prost_types::Timestamp) -> Option<Date> {
    OffsetDateTime::from_unix_timestamp(ts.seconds)
        .ok()
        .map(|t| t.to_offset(VIETNAM).date())
}

/// A protobuf timestamp as microseconds since the epoch; `None` when it is
/// out of range.
pub fn micros_of(ts: &prost_types::Timestamp) -> Option<i64> {
    ts.seconds
        .checked_mul(1_000_000)?
        .checked_add(i64::from(ts.nanos) / 1_000)
}

/// Microseconds since the epoch as a protobuf timestamp.
pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1_000) as i32,
    }
}

/// Reads an optional wire date. `None` and the all-zero date mean "unset".
/// An invalid calendar date is a violation of `field`.
pub fn from_proto(field: &str, date: Option<&ProtoDate>) -> Result<Option<Date>, Violation> {
    let Some(d) = date else { return Ok(None) };
    if d.year == 0 && d.month == 0 && d.day == 0 {
        return Ok(None);
    }
    let month = u8::try_from(d.month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| Violation::new(field, "month must be 1 to 12"))?;
    let day = u8::try_from(d.day).map_err(|_| Violation::new(field, "day out of range"))?;
    if !(1..=9999).contains(&d.year) {
        return Err(Violation::new(field, "year must be 1 to 9999"));
    }
    Date::from_calendar_date(d.year, month, day)
        .map(Some)
        .map_err(|_| {
            Violation::new(
                field,
                format!(
                    "{}-{:02}-{:02} is not a calendar date",
                    d.year, d.month, d.day
                ),
            )
        })
}

/// Reads a wire date that must be present.
pub fn required(field: &str, date: Option<&ProtoDate>) -> Result<Date, Violation> {
    from_proto(field, date)?.ok_or_else(|| Violation::new(field, "required"))
}

/// A date as a wire date.
pub fn to_proto(date: Date) -> ProtoDate {
    ProtoDate {
        year: date.year(),
        month: i32::from(u8::from(date.month())),
        day: i32::from(date.day()),
    }
}

/// A date as stored: `YYYY-MM-DD`.
pub fn to_sql(date: Date) -> String {
    date.format(ISO).unwrap_or_default()
}

/// A stored date back as a date. Stored dates are written by [`to_sql`], so
/// a failure here means the database was edited by hand.
pub fn from_sql(text: &str) -> Result<Date, crate::error::ApiError> {
    Date::parse(text, ISO)
        .map_err(|_| crate::error::ApiError::Internal(format!("malformed stored date {text:?}")))
}

/// A stored date, straight to the wire.
pub fn sql_to_proto(text: &str) -> Result<ProtoDate, crate::error::ApiError> {
    from_sql(text).map(to_proto)
}

/// `date` plus `n` days (negative for before), held at the calendar's
/// first or last day instead of overflowing: a date sent in a request can
/// be 9999-12-31, and a deadline after it must not panic.
pub fn add_days(date: Date, n: i64) -> Date {
    date.checked_add(time::Duration::days(n))
        .unwrap_or(if n < 0 { Date::MIN } else { Date::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        let d = required(
            "d",
            Some(&ProtoDate {
                year: 2016,
                month: 11,
                day: 30,
            }),
        )
        .unwrap();
        assert_eq!(to_sql(d), "2016-11-30");
        assert_eq!(from_sql("2016-11-30").unwrap(), d);
        assert!(
            required(
                "d",
                Some(&ProtoDate {
                    year: 2021,
                    month: 2,
                    day: 29
                })
            )
            .is_err()
        );
        assert!(required("d", None).is_err());
        assert_eq!(from_proto("d", Some(&ProtoDate::default())).unwrap(), None);
    }

    #[test]
    fn timestamps_split_seconds_and_nanos() {
        let ts = timestamp(1_500_000_123_456);
        assert_eq!(ts.seconds, 1_500_000);
        assert_eq!(ts.nanos, 123_456_000);
    }

    #[test]
    fn adding_days_holds_at_the_ends_of_the_calendar() {
        let last = Date::from_calendar_date(9999, time::Month::December, 31).unwrap();
        assert_eq!(add_days(last, 10), Date::MAX);
        assert_eq!(add_days(Date::MIN, -1), Date::MIN);
        let first = Date::from_calendar_date(1, time::Month::January, 1).unwrap();
        assert_eq!(add_days(first, 1).day(), 2);
    }
}
