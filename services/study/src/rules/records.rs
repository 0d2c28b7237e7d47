//! The rules of a member's study record: the request checked, and the
//! classes attended counted.

use probity_platform::{Violations, resource::parse_name};
use time::Date;

use crate::error::Result;

/// Checks a study record request on `today`: the member's id and the year.
pub fn validate(member: &str, year: i32, today: Date) -> Result<(String, i32)> {
    let mut v = Violations::new();
    let id = match parse_name("member", member, "members") {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add("member", "required, `members/{id}`");
            String::new()
        }
    };
    v.check(
        !(1930..=today.year()).contains(&year),
        "year",
        "from 1930 to this year",
    );
    v.into_result()?;
    Ok((id, year))
}

/// The first day of `year` and of the next, as stored dates are compared.
pub fn year_bounds(year: i32) -> (String, String) {
    (format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1))
}

/// How many of `attended` flags are set.
pub fn classes_attended(attended: impl IntoIterator<Item = bool>) -> i32 {
    attended.into_iter().filter(|a| *a).count() as i32
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    #[test]
    fn a_year_to_come_is_refused() {
        let Err(e) = validate("members/m1", 2027, date!(2026 - 12 - 01)) else {
            panic!("refused")
        };
        let ApiError::InvalidArgument(v) = ApiError::from(e) else {
            panic!("violations")
        };
        assert_eq!(v[0].field, "year");
    }

    #[test]
    fn only_attended_classes_count() {
        assert_eq!(classes_attended([true, false, true]), 2);
        assert_eq!(
            year_bounds(2016),
            ("2016-01-01".into(), "2017-01-01".into())
        );
    }
}
