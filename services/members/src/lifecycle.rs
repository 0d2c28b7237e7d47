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
    fn transitions() {
        assert_eq!(
            next_status(Status::Probationary, Kind::MadeOfficial).unwrap(),
            Status::Official
        );
        assert!(next_status(Status::Official, Kind::MadeOfficial).is_err());
        assert_eq!(
            next_status(Status::Official, Kind::Exempted).unwrap(),
            Status::Exempt
        );
        assert!(next_status(Status::Probationary, Kind::Exempted).is_err());
        assert_eq!(
            next_status(Status::Exempt, Kind::ExemptionEnded).unwrap(),
            Status::Official
        );
        assert_eq!(
            next_status(Status::Exempt, Kind::Transferred).unwrap(),
            Status::Exempt
        );
        assert_eq!(
            next_status(Status::Official, Kind::Expelled).unwrap(),
            Status::Expelled
        );
        assert!(next_status(Status::Expelled, Kind::Transferred).is_err());
        assert!(next_status(Status::Deceased, Kind::Deceased).is_err());
        assert!(next_status(Status::Official, Kind::Admitted).is_err());
    }
}
