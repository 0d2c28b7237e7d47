//! Years of the yearly records (books, reviews, declarations): which years
//! exist, and the date a year's registers read the organisation tree at.

use probity_platform::ApiError;
use time::Date;

/// First year of the books (in use since 08/2017).
pub const FIRST_YEAR: i32 = 2017;

/// The date a year's registers read the tree at: the last day of the year,
/// or `today` while the year is not over. ISO text, as stored.
pub fn reference_date(year: i32, today: Date) -> String {
    let end = format!("{year:04}-12-31");
    let today = probity_platform::dates::to_sql(today);
    if end < today { end } else { today }
}

/// A record year: from 2017 to next year (by `today`).
pub fn validate_year(field: &str, year: i32, today: Date) -> Result<(), ApiError> {
    let last = today.year() + 1;
    if (FIRST_YEAR..=last).contains(&year) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("must be {FIRST_YEAR} to {last} (the books are kept since 08/2017)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_past_year_is_read_on_its_last_day() {
        assert_eq!(reference_date(2019, date!(2021 - 05 - 04)), "2019-12-31");
    }

    #[test]
    fn the_current_year_is_read_today() {
        assert_eq!(reference_date(2021, date!(2021 - 05 - 04)), "2021-05-04");
    }

    #[test]
    fn years_run_from_2017_to_next_year() {
        let today = date!(2021 - 05 - 04);
        assert!(validate_year("year", 2017, today).is_ok());
        assert!(validate_year("year", 2022, today).is_ok());
        assert!(validate_year("year", 2016, today).is_err());
        assert!(validate_year("year", 2023, today).is_err());
    }
}
