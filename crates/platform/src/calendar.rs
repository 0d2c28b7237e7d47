//! Working days of State bodies in Viet Nam: weekends, public holidays and
//! the Government's yearly swaps, as dated data
//! (`crates/platform/data/holidays-vn.json`, embedded at build time). Every
//! deadline counted in working days — a declaration's publication, a
//! report's processing time, a case's stage limit where the law counts
//! working days — uses [`Calendar::vietnam`].
//!
//! A year the data file does not list falls back to weekends and the fixed
//! solar holidays (1/1, 30/4, 1/5, 2/9); [`Calendar::covers`] tells whether
//! a year's lunar holidays and swaps are known, so a caller can say so.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::OnceLock,
};

use serde::Deserialize;
use time::{Date, Month, Weekday};

use crate::dates::{ISO, add_days};

/// The embedded data file.
const VIETNAM_DATA: &str = include_str!("../data/holidays-vn.json");

/// The data file as written.
#[derive(Debug, Deserialize)]
struct File {
    /// When the file was last brought up to date.
    version: String,
    /// One entry per year.
    years: Vec<YearFile>,
}

/// One year of the data file.
#[derive(Debug, Deserialize)]
struct YearFile {
    year: i32,
    citation: String,
    days_off: Vec<String>,
    worked: Vec<String>,
}

/// The known days of one year.
#[derive(Debug, Clone, Default)]
struct Year {
    /// Weekdays not worked (holidays, days made up, swapped days).
    off: BTreeSet<Date>,
    /// Weekend days worked in exchange.
    worked: BTreeSet<Date>,
    /// Where the year's days come from.
    citation: String,
}

/// A working-day calendar.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
    version: String,
}

/// The fixed solar holidays of the Labour Code (Điều 112), used for years
/// the data file does not list.
const FIXED_HOLIDAYS: [(Month, u8); 4] = [
    (Month::January, 1),
    (Month::April, 30),
    (Month::May, 1),
    (Month::September, 2),
];

impl Calendar {
    /// Viet Nam's calendar from the embedded data file. The file is checked
    /// by this crate's tests, so a failure to read it is a build fault.
    pub fn vietnam() -> &'static Calendar {
        static CALENDAR: OnceLock<Calendar> = OnceLock::new();
        CALENDAR.get_or_init(|| {
            Calendar::from_json(VIETNAM_DATA).expect("crates/platform/data/holidays-vn.json")
        })
    }

    /// Reads a calendar in the data file's format, checking that every day
    /// off is a weekday and every worked day a weekend day of its year.
    pub fn from_json(text: &str) -> Result<Calendar, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut years = BTreeMap::new();
        for y in file.years {
            let mut year = Year {
                citation: y.citation,
                ..Year::default()
            };
            for (days, into, weekend) in [
                (&y.days_off, &mut year.off, false),
                (&y.worked, &mut year.worked, true),
            ] {
                for text in days {
                    let day = Date::parse(text, ISO).map_err(|e| format!("{text}: {e}"))?;
                    if day.year() != y.year {
                        return Err(format!("{text} is listed under {}", y.year));
                    }
                    if is_weekend(day) != weekend {
                        return Err(format!(
                            "{text} is a {}: days off are weekdays, worked days weekend days",
                            day.weekday()
                        ));
                    }
                    into.insert(day);
                }
            }
            if years.insert(y.year, year).is_some() {
                return Err(format!("{} is listed twice", y.year));
            }
        }
        Ok(Calendar {
            years,
            version: file.version,
        })
    }

    /// The data's version (the day it was last brought up to date).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether `year`'s holidays and swaps are recorded (otherwise only
    /// weekends and the fixed solar holidays are known).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// Where `year`'s days come from (`None`: not recorded).
    pub fn citation(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(|y| y.citation.as_str())
    }

    /// Whether State bodies work on `day`.
    pub fn is_working_day(&self, day: Date) -> bool {
        match self.years.get(&day.year()) {
            Some(year) if is_weekend(day) => year.worked.contains(&day),
            Some(year) => !year.off.contains(&day),
            None => {
                !is_weekend(day)
                    && !FIXED_HOLIDAYS
                        .iter()
                        .any(|(m, d)| day.month() == *m && day.day() == *d)
            }
        }
    }

    /// The `n`th working day after `day` (`n` ≤ 0: `day` itself). At the
    /// end of the calendar's range, the last representable day.
    pub fn add_working_days(&self, day: Date, n: i64) -> Date {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            let Some(next) = d.next_day() else {
                return d;
            };
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// How many working days there are after `from` up to and including
    /// `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = add_days(d, 1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// Saturday or Sunday.
fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::Calendar;

    #[test]
    fn the_embedded_data_reads_and_covers_2024_to_2026() {
        let c = Calendar::vietnam();
        for year in 2024..=2026 {
            assert!(c.covers(year), "{year}");
            assert!(c.citation(year).is_some_and(|t| t.contains("Điều 112")));
        }
        assert!(!c.covers(2023));
        assert!(!c.version().is_empty());
    }

    #[test]
    fn tet_and_swaps_are_not_working_days() {
        let c = Calendar::vietnam();
        assert!(!c.is_working_day(date!(2025 - 01 - 29)), "Tết Ất Tỵ");
        assert!(!c.is_working_day(date!(2025 - 05 - 02)), "swapped Friday");
        assert!(
            c.is_working_day(date!(2025 - 04 - 26)),
            "the Saturday worked for it"
        );
        assert!(
            !c.is_working_day(date!(2026 - 04 - 27)),
            "made up for a Sunday holiday"
        );
        assert!(c.is_working_day(date!(2026 - 04 - 28)));
        assert!(!c.is_working_day(date!(2026 - 02 - 21)), "a Saturday");
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let c = Calendar::vietnam();
        // Friday 24/1/2025 + 1 working day: the week of Tết and both
        // weekends around it are skipped.
        assert_eq!(
            c.add_working_days(date!(2025 - 01 - 24), 1),
            date!(2025 - 02 - 03)
        );
        // An ordinary week: Friday + 5 → the next Friday.
        assert_eq!(
            c.add_working_days(date!(2025 - 12 - 05), 5),
            date!(2025 - 12 - 12)
        );
        assert_eq!(
            c.add_working_days(date!(2025 - 12 - 05), 0),
            date!(2025 - 12 - 05)
        );
        assert_eq!(
            c.working_days_between(date!(2025 - 01 - 24), date!(2025 - 02 - 03)),
            1
        );
        assert_eq!(
            c.working_days_between(date!(2025 - 02 - 03), date!(2025 - 01 - 24)),
            0
        );
    }

    #[test]
    fn a_year_not_recorded_keeps_the_fixed_holidays() {
        let c = Calendar::vietnam();
        assert!(!c.is_working_day(date!(2030 - 04 - 30)), "a Tuesday, 30/4");
        assert!(!c.is_working_day(date!(2030 - 05 - 01)));
        assert!(c.is_working_day(date!(2030 - 05 - 02)));
        assert!(!c.is_working_day(date!(2030 - 05 - 04)), "a Saturday");
    }

    #[test]
    fn malformed_data_is_refused_with_the_day() {
        let weekend_off = r#"{"version":"t","years":[{"year":2025,"citation":"c",
            "days_off":["2025-01-25"],"worked":[]}]}"#;
        assert!(
            Calendar::from_json(weekend_off)
                .unwrap_err()
                .contains("2025-01-25")
        );
        let wrong_year = r#"{"version":"t","years":[{"year":2024,"citation":"c",
            "days_off":["2025-01-27"],"worked":[]}]}"#;
        assert!(
            Calendar::from_json(wrong_year)
                .unwrap_err()
                .contains("listed under 2024")
        );
        let twice = r#"{"version":"t","years":[
            {"year":2024,"citation":"c","days_off":[],"worked":[]},
            {"year":2024,"citation":"c","days_off":[],"worked":[]}]}"#;
        assert!(Calendar::from_json(twice).unwrap_err().contains("twice"));
    }
}
