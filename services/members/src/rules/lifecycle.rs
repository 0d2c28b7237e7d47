//! The rules of a member's status: which events apply to which status, and
//! what they lead to. Pure functions, tested here.

use probity_proto::probity::members::v1::{MemberEventKind as Kind, MemberStatus as Status};

use crate::error::Error;

/// Statuses in which a person counts as a member of their organisation.
pub const ACTIVE: [Status; 3] = [Status::Probationary, Status::Official, Status::Exempt];

/// True for statuses after which nothing more can happen.
pub fn is_final(status: Status) -> bool {
    !ACTIVE.contains(&status)
}

/// The status in words, for messages.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Unspecified => "unknown",
        Status::Probationary => "probationary",
        Status::Official => "official",
        Status::Exempt => "exempt from activities",
        Status::TransferredOut => "transferred out",
        Status::Expelled => "expelled",
        Status::Removed => "removed from the roll",
        Status::Deceased => "deceased",
    }
}

fn event_words(kind: Kind) -> &'static str {
    match kind {
        Kind::Unspecified => "changed by an unspecified event",
        Kind::Admitted => "admitted",
        Kind::MadeOfficial => "made official",
        Kind::Transferred => "transferred",
        Kind::Exempted => "exempted from activities",
        Kind::ExemptionEnded => "brought back from exemption",
        Kind::TransferredOut => "transferred out",
        Kind::Expelled => "expelled",
        Kind::Removed => "removed from the roll",
        Kind::Deceased => "recorded as deceased",
    }
}

/// The status after `kind` happens to a member who is `status`, or why it
/// cannot happen.
pub fn next_status(status: Status, kind: Kind) -> Result<Status, Error> {
    let refused = || Error::Transition {
        status: status_words(status),
        event: event_words(kind),
    };
    if is_final(status) {
        return Err(refused());
    }
    match (kind, status) {
        (Kind::MadeOfficial, Status::Probationary) => Ok(Status::Official),
        (Kind::Transferred, s) => Ok(s),
        (Kind::Exempted, Status::Official) => Ok(Status::Exempt),
        (Kind::ExemptionEnded, Status::Exempt) => Ok(Status::Official),
        (Kind::TransferredOut, _) => Ok(Status::TransferredOut),
        (Kind::Expelled, _) => Ok(Status::Expelled),
        (Kind::Removed, _) => Ok(Status::Removed),
        (Kind::Deceased, _) => Ok(Status::Deceased),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probationary_member_is_made_official_once() {
        assert_eq!(
            next_status(Status::Probationary, Kind::MadeOfficial).unwrap(),
            Status::Official
        );
        assert!(next_status(Status::Official, Kind::MadeOfficial).is_err());
    }

    #[test]
    fn only_official_members_are_exempted_and_brought_back() {
        assert_eq!(
            next_status(Status::Official, Kind::Exempted).unwrap(),
            Status::Exempt
        );
        assert!(next_status(Status::Probationary, Kind::Exempted).is_err());
        assert_eq!(
            next_status(Status::Exempt, Kind::ExemptionEnded).unwrap(),
            Status::Official
        );
    }

    #[test]
    fn a_transfer_keeps_the_status() {
        assert_eq!(
            next_status(Status::Exempt, Kind::Transferred).unwrap(),
            Status::Exempt
        );
    }

    #[test]
    fn nothing_happens_after_a_final_status() {
        assert_eq!(
            next_status(Status::Official, Kind::Expelled).unwrap(),
            Status::Expelled
        );
        assert!(next_status(Status::Expelled, Kind::Transferred).is_err());
        assert!(next_status(Status::Deceased, Kind::Deceased).is_err());
    }

    #[test]
    fn admission_is_not_an_event_of_a_member() {
        let err = next_status(Status::Official, Kind::Admitted).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a member who is official cannot be admitted"
        );
    }
}
