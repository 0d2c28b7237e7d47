//! The pure rules of asset declarations: deadline arithmetic and the
//! verification draw. Storage and the API are in `declarations.rs`.

use sha2::{Digest, Sha256};
use time::{Date, Duration, Weekday};

/// `date` plus `n` working days (Monday to Friday). Public holidays are not
/// modelled.
pub fn add_working_days(date: Date, n: i64) -> Date {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d += Duration::days(1);
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

/// `date` plus `n` calendar days (negative for before).
pub fn add_days(date: Date, n: i64) -> Date {
    date + Duration::days(n)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A draw candidate: member resource name and leader flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `members/{id}`.
    pub member: String,
    /// A leader on an approved obligation list.
    pub leader: bool,
}

/// The score of a candidate: hex SHA-256 of `seed`, a newline, the member.
pub fn score(seed: &str, member: &str) -> String {
    hex(&Sha256::digest(format!("{seed}\n{member}").as_bytes()))
}

/// Hex SHA-256 of the input list: `member,leader` lines (leader 1 or 0).
pub fn input_digest(input: &[Candidate]) -> String {
    let mut h = Sha256::new();
    for c in input {
        h.update(format!("{},{}\n", c.member, u8::from(c.leader)).as_bytes());
    }
    hex(&h.finalize())
}

/// The draw (see the `VerificationDraw` message for the published
/// algorithm). `input` must be sorted by member and without repeats.
pub fn draw(seed: &str, percent: u32, input: &[Candidate]) -> Vec<String> {
    if input.is_empty() {
        return Vec::new();
    }
    let mut ranked: Vec<(String, &Candidate)> =
        input.iter().map(|c| (score(seed, &c.member), c)).collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.member.cmp(&b.1.member)));
    let n = (input.len() as u64 * u64::from(percent))
        .div_ceil(100)
        .max(1) as usize;
    let mut selected: Vec<&Candidate> = ranked.iter().take(n).map(|(_, c)| *c).collect();
    if !selected.iter().any(|c| c.leader)
        && let Some((_, leader)) = ranked.iter().find(|(_, c)| c.leader)
    {
        selected.push(leader);
    }
    selected.into_iter().map(|c| c.member.clone()).collect()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        // Friday 2025-12-05 + 5 working days = Friday 2025-12-12.
        assert_eq!(
            add_working_days(date!(2025 - 12 - 05), 5),
            date!(2025 - 12 - 12)
        );
        // Saturday + 1 = Monday.
        assert_eq!(
            add_working_days(date!(2025 - 12 - 06), 1),
            date!(2025 - 12 - 08)
        );
        assert_eq!(add_days(date!(2025 - 12 - 31), 20), date!(2026 - 01 - 20));
    }

    fn input(n: usize, leaders: &[usize]) -> Vec<Candidate> {
        let mut v: Vec<Candidate> = (0..n)
            .map(|i| Candidate {
                member: format!("members/m{i:03}"),
                leader: leaders.contains(&i),
            })
            .collect();
        v.sort_by(|a, b| a.member.cmp(&b.member));
        v
    }

    #[test]
    fn draws_at_least_the_share_and_a_leader() {
        let list = input(35, &[7]);
        let picked = draw("seed-2025", 10, &list);
        assert!(
            picked.len() == 4 || picked.len() == 5,
            "ceil(3.5) = 4, plus a leader if none"
        );
        assert!(picked.contains(&"members/m007".to_string()));
        assert_eq!(draw("seed-2025", 10, &list), picked, "same seed, same draw");
        assert_ne!(draw("another seed", 10, &list), picked);
        assert_eq!(draw("s", 10, &input(3, &[])).len(), 1, "at least one");
        assert!(draw("s", 10, &[]).is_empty());
        assert_eq!(draw("s", 100, &input(5, &[])).len(), 5);
    }
}
