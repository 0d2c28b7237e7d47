//! The rules of the self-improvement and commitment books: what each kind
//! of entry holds, and which steps an entry's state allows.

use probity_platform::{ApiError, Violations, dates, symbol};
use probity_proto::probity::members::v1::{
    ActionItemStatus, AssessmentPeriod, BookEntry, BookEntryKind as Kind, BookEntryState as State,
    CommitmentOutcome, ErrorReason,
};

use super::manifestations::Catalogue;
use crate::error::{Error, Result};

/// Longest text of an entry, remedy, comment or result comment.
pub const MAX_TEXT: usize = probity_platform::limits::TEXT;

/// Fields UpdateBookEntry may change.
pub const UPDATABLE: [&str; 6] = [
    "text",
    "cited_documents",
    "manifestation_codes",
    "due_date",
    "period",
    "remedies",
];

/// Whether an entry of this kind is a commitment (a member's or a head's).
pub fn is_commitment(kind: Kind) -> bool {
    matches!(kind, Kind::Commitment | Kind::HeadCommitment)
}

/// Whether an entry of this kind is an action-plan item.
pub fn is_action_item(kind: Kind) -> bool {
    matches!(kind, Kind::ActionItem | Kind::HeadActionItem)
}

/// The kind of a stored entry.
pub fn kind_of(entry: &BookEntry) -> Kind {
    Kind::try_from(entry.kind).unwrap_or(Kind::Unspecified)
}

/// `(member id, entry id)` from `members/{m}/bookEntries/{e}`.
pub fn parse_entry_name<'a>(field: &str, name: &'a str) -> Result<(&'a str, &'a str), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["members", m, "bookEntries", e]
            if probity_platform::resource::is_id(m) && probity_platform::resource::is_id(e) =>
        {
            Ok((m, e))
        }
        _ if name.is_empty() => Err(ApiError::invalid(field, "required")),
        _ => Err(ApiError::invalid(
            field,
            "must be members/{member}/bookEntries/{entry}",
        )),
    }
}

/// The content fields of an entry, validated for its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// The text, tidied.
    pub text: String,
    /// Cited documents, canonical number-symbols.
    pub documents: Vec<String>,
    /// Manifestation codes.
    pub codes: Vec<String>,
    /// An action item's due date (ISO).
    pub due_date: Option<String>,
    /// A self-assessment's period.
    pub period: AssessmentPeriod,
    /// A self-assessment's remedies, tidied.
    pub remedies: String,
}

impl Content {
    /// The action status a new entry of `kind` starts with.
    pub fn initial_action(kind: Kind) -> ActionItemStatus {
        if is_action_item(kind) {
            ActionItemStatus::Planned
        } else {
            ActionItemStatus::Unspecified
        }
    }
}

/// Checks the content of `e` for an entry of `kind`, naming fields
/// `{prefix}.{field}`; only commitments cite documents, only commitments
/// and self-assessments cite manifestations, only action items have a due
/// date, only self-assessments a period and remedies.
pub fn validate_content(
    v: &mut Violations,
    prefix: &str,
    kind: Kind,
    e: &BookEntry,
    catalogue: &Catalogue,
) -> Content {
    let f = |name: &str| format!("{prefix}.{name}");
    let text = probity_platform::text::tidy(&e.text);
    if text.is_empty() {
        v.add(f("text"), "required");
    } else if text.chars().count() > MAX_TEXT {
        v.add(f("text"), format!("at most {MAX_TEXT} characters"));
    }
    let mut documents = Vec::new();
    for (i, d) in e.cited_documents.iter().enumerate() {
        match symbol::parse(d) {
            Ok(s) if !documents.contains(&s.canonical) => documents.push(s.canonical),
            Ok(_) => v.add(format!("{}[{i}]", f("cited_documents")), "listed twice"),
            Err(msg) => v.add(format!("{}[{i}]", f("cited_documents")), msg),
        }
    }
    if !documents.is_empty() && !is_commitment(kind) {
        v.add(f("cited_documents"), "only commitments cite documents");
    }
    let mut codes = Vec::new();
    for (i, c) in e.manifestation_codes.iter().enumerate() {
        let c = c.trim().to_uppercase();
        if !catalogue.contains(&c) {
            v.add(
                format!("{}[{i}]", f("manifestation_codes")),
                format!("{c:?} is not one of the 27 manifestations"),
            );
        } else if codes.contains(&c) {
            v.add(format!("{}[{i}]", f("manifestation_codes")), "listed twice");
        } else {
            codes.push(c);
        }
    }
    let cites_codes = is_commitment(kind) || kind == Kind::SelfAssessment;
    if !codes.is_empty() && !cites_codes {
        v.add(
            f("manifestation_codes"),
            "only commitments and self-assessments cite manifestations",
        );
    }
    let due_date = match dates::from_proto(&f("due_date"), e.due_date.as_ref()) {
        Ok(d) => d.map(dates::to_sql),
        Err(x) => {
            v.add(x.field, x.description);
            None
        }
    };
    if is_action_item(kind) {
        v.check(
            due_date.is_none() && e.due_date.is_none(),
            &f("due_date"),
            "required for action-plan items",
        );
    } else if due_date.is_some() {
        v.add(f("due_date"), "only action-plan items have a due date");
    }
    let period = AssessmentPeriod::try_from(e.period).unwrap_or(AssessmentPeriod::Unspecified);
    if kind == Kind::SelfAssessment {
        v.check(
            period == AssessmentPeriod::Unspecified,
            &f("period"),
            "required for self-assessments",
        );
    } else if period != AssessmentPeriod::Unspecified {
        v.add(f("period"), "only self-assessments cover a period");
    }
    let remedies = probity_platform::text::tidy(&e.remedies);
    if !remedies.is_empty() && kind != Kind::SelfAssessment {
        v.add(f("remedies"), "only self-assessments set remedies");
    }
    v.check(
        remedies.chars().count() > MAX_TEXT,
        &f("remedies"),
        "at most 4000 characters",
    );
    Content {
        text,
        documents,
        codes,
        due_date,
        period,
        remedies,
    }
}

/// Whether an UpdateBookEntry field is set in `e` (for a request without a
/// mask).
pub fn is_set(e: &BookEntry, path: &str) -> bool {
    match path {
        "text" => !e.text.is_empty(),
        "cited_documents" => !e.cited_documents.is_empty(),
        "manifestation_codes" => !e.manifestation_codes.is_empty(),
        "due_date" => e.due_date.is_some(),
        "period" => e.period != 0,
        "remedies" => !e.remedies.is_empty(),
        _ => false,
    }
}

/// `current` with the fields named by `paths` taken from `e`.
pub fn merge(current: &BookEntry, e: &BookEntry, paths: &[&str]) -> BookEntry {
    let mut merged = current.clone();
    for p in paths {
        match *p {
            "text" => merged.text = e.text.clone(),
            "cited_documents" => merged.cited_documents = e.cited_documents.clone(),
            "manifestation_codes" => merged.manifestation_codes = e.manifestation_codes.clone(),
            "due_date" => merged.due_date = e.due_date,
            "period" => merged.period = e.period,
            _ => merged.remedies = e.remedies.clone(),
        }
    }
    merged
}

/// Refuses a head's entry for a member who is not marked head.
pub fn check_head(kind: Kind, member: &str, head_position: &str) -> Result<()> {
    if matches!(kind, Kind::HeadCommitment | Kind::HeadActionItem) && head_position.is_empty() {
        return Err(Error::refused(
            ErrorReason::NotAHead,
            format!("{member} is not marked as head of an organisation; set head_position first"),
        ));
    }
    Ok(())
}

/// Refuses a change to a submitted entry.
pub fn require_draft(entry: &BookEntry) -> Result<()> {
    if entry.state != State::Draft as i32 {
        return Err(Error::refused(
            ErrorReason::EntrySubmitted,
            format!(
                "{} is submitted and cannot be changed; record a correction with CorrectBookEntry",
                entry.name
            ),
        ));
    }
    Ok(())
}

/// Refuses to submit an entry twice.
pub fn check_submittable(entry: &BookEntry) -> Result<()> {
    if entry.state == State::Submitted as i32 {
        return Err(Error::refused(
            ErrorReason::EntrySubmitted,
            format!("{} is already submitted", entry.name),
        ));
    }
    Ok(())
}

/// Refuses `doing` on a draft.
pub fn require_submitted(entry: &BookEntry, doing: &str) -> Result<()> {
    if entry.state != State::Submitted as i32 {
        return Err(Error::refused(
            ErrorReason::EntryNotSubmitted,
            format!("{} is a draft; submit it before {doing}", entry.name),
        ));
    }
    Ok(())
}

/// Refuses to act on an entry a correction superseded.
pub fn require_current(entry: &BookEntry) -> Result<()> {
    if !entry.corrected_by.is_empty() {
        return Err(Error::refused(
            ErrorReason::EntrySuperseded,
            format!(
                "{} was corrected by {}; act on the correction",
                entry.name, entry.corrected_by
            ),
        ));
    }
    Ok(())
}

/// Checks that an action item's progress may be tracked.
pub fn check_trackable(entry: &BookEntry) -> Result<()> {
    if !is_action_item(kind_of(entry)) {
        return Err(Error::refused(
            ErrorReason::NotAnActionItem,
            format!("{} is not an action-plan item", entry.name),
        ));
    }
    require_submitted(entry, "tracking it")?;
    require_current(entry)
}

/// Checks that a commitment's year-end result may be recorded.
pub fn check_result_recordable(entry: &BookEntry) -> Result<()> {
    if !is_commitment(kind_of(entry)) {
        return Err(Error::refused(
            ErrorReason::NotACommitment,
            format!("{} is not a commitment", entry.name),
        ));
    }
    require_submitted(entry, "recording its result")?;
    require_current(entry)?;
    if entry.result.is_some() {
        return Err(Error::refused(
            ErrorReason::ResultAlreadyRecorded,
            format!("{} already has its year-end result", entry.name),
        ));
    }
    Ok(())
}

/// Checks a comment: present, at most 4000 characters; returns it tidied.
pub fn validate_comment(text: &str) -> Result<String> {
    let text = probity_platform::text::tidy(text);
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid("text", "required, at most 4000 characters").into());
    }
    Ok(text)
}

/// Checks a year-end result.
pub fn validate_result(outcome: i32, comment: &str) -> Result<CommitmentOutcome> {
    let outcome = CommitmentOutcome::try_from(outcome).unwrap_or(CommitmentOutcome::Unspecified);
    let mut v = Violations::new();
    v.check(
        outcome == CommitmentOutcome::Unspecified,
        "outcome",
        "required",
    );
    v.check(
        comment.chars().count() > MAX_TEXT,
        "comment",
        "at most 4000 characters",
    );
    v.into_result()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::shipped().unwrap()
    }

    fn entry(kind: Kind) -> BookEntry {
        BookEntry {
            kind: kind as i32,
            text: "Giữ gìn phẩm chất".into(),
            ..Default::default()
        }
    }

    fn check(kind: Kind, e: &BookEntry) -> Vec<String> {
        let mut v = Violations::new();
        validate_content(&mut v, "entry", kind, e, &catalogue());
        match v.into_result() {
            Ok(()) => Vec::new(),
            Err(ApiError::InvalidArgument(list)) => list.into_iter().map(|x| x.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_commitments_cite_documents() {
        let mut e = entry(Kind::Goal);
        e.cited_documents = vec!["04-NQ/TW".into()];
        assert_eq!(check(Kind::Goal, &e), vec!["entry.cited_documents"]);
        assert!(check(Kind::Commitment, &e).is_empty());
    }

    #[test]
    fn a_document_is_cited_once() {
        let mut e = entry(Kind::Commitment);
        e.cited_documents = vec!["04-NQ/TW".into(), "04-nq/tw".into()];
        assert_eq!(
            check(Kind::Commitment, &e),
            vec!["entry.cited_documents[1]"]
        );
    }

    #[test]
    fn manifestation_codes_come_from_the_catalogue() {
        let mut e = entry(Kind::SelfAssessment);
        e.period = AssessmentPeriod::H1 as i32;
        e.manifestation_codes = vec!["ii-04".into(), "IV-01".into()];
        assert_eq!(
            check(Kind::SelfAssessment, &e),
            vec!["entry.manifestation_codes[1]"]
        );
    }

    #[test]
    fn an_action_item_has_a_due_date() {
        assert_eq!(
            check(Kind::ActionItem, &entry(Kind::ActionItem)),
            vec!["entry.due_date"]
        );
    }

    #[test]
    fn a_self_assessment_covers_a_period() {
        assert_eq!(
            check(Kind::SelfAssessment, &entry(Kind::SelfAssessment)),
            vec!["entry.period"]
        );
    }

    #[test]
    fn entry_names_hold_the_member_and_the_entry() {
        assert_eq!(
            parse_entry_name("name", "members/m1/bookEntries/e1").unwrap(),
            ("m1", "e1")
        );
        assert!(parse_entry_name("name", "members/m1/reviews/2020").is_err());
        assert!(parse_entry_name("name", "").is_err());
    }

    #[test]
    fn a_head_entry_needs_a_head() {
        assert!(check_head(Kind::HeadCommitment, "members/a", "").is_err());
        assert!(check_head(Kind::HeadCommitment, "members/a", "Bí thư").is_ok());
        assert!(check_head(Kind::Commitment, "members/a", "").is_ok());
    }

    #[test]
    fn a_submitted_entry_is_not_changed_but_corrected() {
        let mut e = entry(Kind::Goal);
        e.state = State::Submitted as i32;
        assert!(require_draft(&e).is_err());
        assert!(check_submittable(&e).is_err());
        assert!(require_submitted(&e, "x").is_ok());
    }

    #[test]
    fn a_superseded_entry_is_left_alone() {
        let mut e = entry(Kind::Commitment);
        e.state = State::Submitted as i32;
        e.corrected_by = "members/a/bookEntries/b".into();
        let err = check_result_recordable(&e).unwrap_err();
        assert!(err.to_string().contains("act on the correction"));
    }

    #[test]
    fn a_result_is_recorded_once_for_a_commitment() {
        let mut e = entry(Kind::Commitment);
        e.state = State::Submitted as i32;
        assert!(check_result_recordable(&e).is_ok());
        e.result = Some(Default::default());
        assert!(check_result_recordable(&e).is_err());
        assert!(check_result_recordable(&entry(Kind::Goal)).is_err());
    }

    #[test]
    fn only_action_items_are_tracked() {
        let mut e = entry(Kind::ActionItem);
        e.state = State::Submitted as i32;
        assert!(check_trackable(&e).is_ok());
        assert!(check_trackable(&entry(Kind::Commitment)).is_err());
    }

    #[test]
    fn an_update_merges_only_the_masked_fields() {
        let current = entry(Kind::Goal);
        let sent = BookEntry {
            text: "Mới".into(),
            remedies: "không".into(),
            ..Default::default()
        };
        let merged = merge(&current, &sent, &["text"]);
        assert_eq!(merged.text, "Mới");
        assert_eq!(merged.remedies, "");
    }
}
