//! Exact rates: a count over a count as a percentage rounded half-up to two
//! decimals in integer arithmetic, the way the province's reports print
//! them (32,560 / 32,986 → `98.71`). Every service that publishes a rate
//! (study's progress, oversight's implementation rates) uses this one.

/// `numerator / denominator` as a percentage rounded half-up to two
/// decimals, in exact integer arithmetic: 32,560 / 32,986 → `98.71`. An
/// empty string when there is no denominator (nothing to rate).
pub fn percent(numerator: i64, denominator: i64) -> String {
    if denominator <= 0 {
        return String::new();
    }
    // Hundredths of a percent, rounded half-up: floor((n * 10^4 * 2 + d) / (2d)).
    let scaled =
        (i128::from(numerator) * 20_000 + i128::from(denominator)) / (2 * i128::from(denominator));
    format!("{}.{:02}", scaled / 100, scaled % 100)
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn the_seed_rate_rounds_to_98_71() {
        assert_eq!(percent(32_560, 32_986), "98.71");
    }

    #[test]
    fn percentages_round_half_up_to_two_decimals() {
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(1, 200_000), "0.00");
        assert_eq!(percent(1, 20_000), "0.01", "0.005 rounds up");
    }

    #[test]
    fn whole_and_empty_rates() {
        assert_eq!(percent(5, 5), "100.00");
        assert_eq!(percent(0, 7), "0.00");
        assert_eq!(percent(3, 0), "", "no denominator, no percentage");
    }

    #[test]
    fn large_counts_do_not_overflow() {
        assert_eq!(percent(i64::MAX, i64::MAX), "100.00");
        assert_eq!(percent(5_600_000, 5_600_040), "100.00");
        assert_eq!(percent(5_599_000, 5_600_040), "99.98");
    }
}
