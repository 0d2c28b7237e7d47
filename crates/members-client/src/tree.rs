//! Organisations and rosters as other services see them: what the members
//! service tells them about the organisation tree and its members on a
//! date.

/// An organisation as other services need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInfo {
    /// The organisation's id.
    pub id: String,
    /// Its parent's id, when it has one.
    pub parent_id: Option<String>,
    /// Ids from the root down to and including it.
    pub lineage: Vec<String>,
    /// Its name.
    pub display_name: String,
    /// The first day it exists.
    pub valid_from: Option<time::Date>,
    /// The day it stopped existing, if it did.
    pub valid_to: Option<time::Date>,
}

impl OrgInfo {
    /// Whether it exists on `date`.
    pub fn exists_on(&self, date: time::Date) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date < t)
    }

    /// The lineage as stored: `/root/…/id/`.
    pub fn lineage_text(&self) -> String {
        format!("/{}/", self.lineage.join("/"))
    }

    /// The lineage's ids.
    pub fn lineage(&self) -> impl Iterator<Item = &str> {
        self.lineage.iter().map(String::as_str)
    }
}

/// A member as other services need it (read today, for the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    /// The member's id.
    pub id: String,
    /// Full name.
    pub full_name: String,
    /// The organisation the member belongs to today (id).
    pub org_id: String,
    /// The member's status today, a `probity.members.v1.MemberStatus`.
    pub status: i32,
    /// The head position held, empty when none.
    pub head_position: String,
}

/// One member of a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The member's id.
    pub member_id: String,
    /// Full name.
    pub full_name: String,
    /// Party card number.
    pub party_card_number: String,
    /// The organisation the member belonged to on the roster's date (id).
    pub org_id: String,
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn an_organisation_exists_from_its_first_day_to_before_its_last() {
        let org = OrgInfo {
            id: "a".into(),
            parent_id: None,
            lineage: vec!["a".into()],
            display_name: "A".into(),
            valid_from: Some(date!(2000 - 01 - 01)),
            valid_to: Some(date!(2025 - 07 - 01)),
        };
        assert!(org.exists_on(date!(2000 - 01 - 01)));
        assert!(!org.exists_on(date!(2025 - 07 - 01)));
        assert_eq!(org.lineage_text(), "/a/");
    }
}
