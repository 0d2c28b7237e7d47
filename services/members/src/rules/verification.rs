//! The yearly verification draw: which declarants are verified, selected
//! by a published seed so that anyone can re-run the selection (the
//! algorithm is specified in the contract's `VerificationDraw` message).

use probity_platform::{ApiError, Violations};
use sha2::{Digest, Sha256};

/// The share drawn when the request names none, in percent.
pub const DEFAULT_PERCENT: i32 = 10;

/// Longest redraw reason, in characters.
pub const MAX_REDRAW_REASON: usize = probity_platform::limits::TITLE;

/// Checks a draw request's share (10 to 100 %, default 10), that it chose
/// no seed, and the redraw reason's length; returns the share.
pub fn validate_draw(percent: i32, seed: &str, redraw_reason: &str) -> Result<i32, ApiError> {
    let percent = if percent == 0 {
        DEFAULT_PERCENT
    } else {
        percent
    };
    let mut v = Violations::new();
    v.check(!(10..=100).contains(&percent), "percent", "10 to 100");
    v.check(
        !seed.is_empty(),
        "seed",
        "must be empty: the seed is derived from the draw's input, not chosen",
    );
    v.check(
        redraw_reason.chars().count() > MAX_REDRAW_REASON,
        "redraw_reason",
        &format!("at most {MAX_REDRAW_REASON} characters"),
    );
    v.into_result()?;
    Ok(percent)
}

/// The seed of a draw, fixed by its input before the draw: hex SHA-256 of
/// `probity-verification-draw/v1`, the organisation, the year, the attempt
/// and the input digest, each followed by a newline.
pub fn committed_seed(organization: &str, year: i32, attempt: i64, input_digest: &str) -> String {
    hex(&Sha256::digest(
        format!(
            "probity-verification-draw/v1\n{organization}\n{year}\n{attempt}\n{input_digest}\n"
        )
        .as_bytes(),
    ))
}

/// One draw per organisation and year: the attempt a new draw is, given
/// the attempts made so far (`None`: none); a redraw needs a reason.
pub fn next_attempt(
    made: Option<i64>,
    redraw_reason: &str,
    organization: &str,
    year: i32,
) -> Result<i64, crate::error::Error> {
    match made {
        None => Ok(1),
        Some(n) if !redraw_reason.trim().is_empty() => Ok(n + 1),
        Some(n) => Err(crate::error::Error::refused(
            probity_proto::probity::members::v1::ErrorReason::AlreadyDrawn,
            format!(
                "{organization} was drawn for {year} already ({n} draw(s)); a redraw needs a redraw_reason, and the earlier draws stay on record"
            ),
        )),
    }
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
    use super::*;

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
    fn a_draw_takes_the_share_rounded_up_and_a_leader() {
        let list = input(35, &[7]);
        let picked = draw("seed-2025", 10, &list);
        assert!(
            picked.len() == 4 || picked.len() == 5,
            "ceil(3.5) = 4, plus a leader if none"
        );
        assert!(picked.contains(&"members/m007".to_string()));
    }

    #[test]
    fn the_same_seed_gives_the_same_draw() {
        let list = input(35, &[7]);
        assert_eq!(draw("seed-2025", 10, &list), draw("seed-2025", 10, &list));
        assert_ne!(
            draw("another seed", 10, &list),
            draw("seed-2025", 10, &list)
        );
    }

    #[test]
    fn a_draw_takes_at_least_one_and_at_most_all() {
        assert_eq!(draw("s", 10, &input(3, &[])).len(), 1, "at least one");
        assert!(draw("s", 10, &[]).is_empty());
        assert_eq!(draw("s", 100, &input(5, &[])).len(), 5);
    }

    #[test]
    fn a_draw_request_takes_ten_to_a_hundred_percent() {
        assert_eq!(validate_draw(0, "", "").unwrap(), 10, "defaults to 10 %");
        assert!(validate_draw(5, "", "").is_err());
        assert!(validate_draw(101, "", "").is_err());
    }

    #[test]
    fn a_redraw_reason_has_a_length_limit() {
        assert!(validate_draw(10, "", &"x".repeat(MAX_REDRAW_REASON + 1)).is_err());
    }

    #[test]
    fn a_chosen_seed_is_refused() {
        assert!(validate_draw(10, "my seed", "").is_err());
        assert_eq!(validate_draw(0, "", "").unwrap(), DEFAULT_PERCENT);
    }

    #[test]
    fn the_seed_is_fixed_by_the_input_and_the_attempt() {
        let a = committed_seed("organizations/x", 2025, 1, "d1");
        assert_eq!(a, committed_seed("organizations/x", 2025, 1, "d1"));
        assert_ne!(a, committed_seed("organizations/x", 2025, 1, "d2"));
        assert_ne!(a, committed_seed("organizations/x", 2025, 2, "d1"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn the_first_draw_needs_no_reason() {
        assert_eq!(next_attempt(None, "", "o", 2025).unwrap(), 1);
    }

    #[test]
    fn a_second_draw_without_a_reason_is_refused() {
        assert!(next_attempt(Some(1), "  ", "o", 2025).is_err());
    }

    #[test]
    fn a_redraw_with_a_reason_is_the_next_attempt() {
        assert_eq!(
            next_attempt(Some(2), "late declarations", "o", 2025).unwrap(),
            3
        );
    }
}
