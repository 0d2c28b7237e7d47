//! The rules of member records: card numbers, what a new member must have,
//! which fields an update may change, what an event needs, and where
//! members are recorded.

use probity_platform::{ApiError, Violations, dates, text};
use probity_proto::probity::members::v1::{
    CreateMemberRequest, Gender, Member, MemberEventKind, MemberStatus, OrganizationKind,
    RecordMemberEventRequest,
};
use time::Date;

use super::lifecycle::ACTIVE;
use crate::error::{Error, Result};

/// Longest full name (and head position).
pub const MAX_NAME: usize = probity_platform::limits::NAME;
/// Longest event note.
pub const MAX_NOTE: usize = probity_platform::limits::REASON;
/// Youngest age at admission.
pub const MIN_ADMISSION_AGE: i32 = 18;
/// Largest batch of BatchCreateMembers.
pub const MAX_BATCH: usize = probity_platform::limits::MEMBERS_PER_BATCH;
/// Fields UpdateMember may change.
pub const UPDATABLE: [&str; 5] = [
    "full_name",
    "date_of_birth",
    "gender",
    "party_card_number",
    "head_position",
];

/// Party card numbers: 6 to 12 digits once dots and spaces are removed.
pub fn normalize_card(card: &str) -> Option<String> {
    let digits: String = card.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
    ((6..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// Whether members may be recorded in an organisation of this level.
pub fn holds_members(kind: OrganizationKind) -> bool {
    matches!(
        kind,
        OrganizationKind::Cell | OrganizationKind::Grassroots | OrganizationKind::Partial
    )
}

/// Refuses an organisation of a level that holds no members.
pub fn check_holds_members(kind: OrganizationKind) -> Result<()> {
    if holds_members(kind) {
        Ok(())
    } else {
        Err(Error::BadPlacement(format!(
            "members are recorded in cells or grassroots organisations, not in a {kind:?} one"
        )))
    }
}

/// A create request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCreate {
    /// Normalised party card number.
    pub card: String,
    /// Tidied full name.
    pub full_name: String,
    /// Date of birth.
    pub dob: Date,
    /// Gender.
    pub gender: i32,
    /// `organizations/{id}`.
    pub organization: String,
    /// Admission date.
    pub admitted: Date,
    /// Made official on, when given.
    pub official: Option<Date>,
    /// Tidied head position.
    pub head_position: String,
}

impl ValidCreate {
    /// The member's status once created.
    pub fn status(&self) -> MemberStatus {
        if self.official.is_some() {
            MemberStatus::Official
        } else {
            MemberStatus::Probationary
        }
    }
}

/// Checks a create request on `today`; field paths are prefixed with
/// `prefix` (`requests[3].` in a batch).
pub fn validate_create(
    req: &CreateMemberRequest,
    prefix: &str,
    today: Date,
) -> Result<ValidCreate> {
    let m = req.member.clone().unwrap_or_default();
    let f = |name: &str| format!("{prefix}{name}");
    let mut v = Violations::new();
    let card = normalize_card(&m.party_card_number);
    if m.party_card_number.is_empty() {
        v.add(f("member.party_card_number"), "required");
    } else if card.is_none() {
        v.add(
            f("member.party_card_number"),
            "must be 6 to 12 digits (dots and spaces allowed)",
        );
    }
    v.check_name_chars(&f("member.full_name"), &m.full_name);
    let full_name = text::tidy(&m.full_name);
    if full_name.is_empty() {
        v.add(f("member.full_name"), "required");
    } else if full_name.chars().count() > MAX_NAME {
        v.add(
            f("member.full_name"),
            format!("at most {MAX_NAME} characters"),
        );
    }
    let dob = dates::required(&f("member.date_of_birth"), m.date_of_birth.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    let admitted = dates::required(&f("member.admission_date"), m.admission_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    let official = dates::from_proto(&f("official_date"), req.official_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok()
        .flatten();
    if Gender::try_from(m.gender).is_err() {
        v.add(f("member.gender"), "unknown value");
    }
    if m.organization.is_empty() {
        v.add(f("member.organization"), "required");
    }
    v.check(
        m.head_position.chars().count() > MAX_NAME,
        &f("member.head_position"),
        "at most 200 characters",
    );
    if let (Some(dob), Some(admitted)) = (dob, admitted) {
        if admitted > today {
            v.add(f("member.admission_date"), "must not be in the future");
        }
        let adult = dob
            .replace_year(dob.year() + MIN_ADMISSION_AGE)
            .unwrap_or(dob);
        if admitted < adult {
            v.add(
                f("member.admission_date"),
                format!("a member must be at least {MIN_ADMISSION_AGE} when admitted"),
            );
        }
        if let Some(official) = official {
            if official <= admitted {
                v.add(f("official_date"), "must be after the admission date");
            } else if official > today {
                v.add(f("official_date"), "must not be in the future");
            }
        }
    }
    v.into_result()?;
    Ok(ValidCreate {
        card: card.unwrap_or_default(),
        full_name,
        dob: dob.unwrap_or(today),
        gender: m.gender,
        organization: m.organization,
        admitted: admitted.unwrap_or(today),
        official,
        head_position: text::tidy(&m.head_position),
    })
}

/// Checks every request of a batch, collecting all their violations.
pub fn validate_batch(requests: &[CreateMemberRequest], today: Date) -> Result<Vec<ValidCreate>> {
    if requests.is_empty() || requests.len() > MAX_BATCH {
        return Err(
            ApiError::invalid("requests", format!("1 to {MAX_BATCH} members per batch")).into(),
        );
    }
    let mut valid = Vec::with_capacity(requests.len());
    let mut violations = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        match validate_create(r, &format!("requests[{i}]."), today) {
            Ok(v) => valid.push(v),
            Err(Error::Api(ApiError::InvalidArgument(v))) => violations.extend(v),
            Err(e) => return Err(e),
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations).into());
    }
    Ok(valid)
}

/// Names the failing request of a batch in an error: a refusal's message
/// starts with `requests[i]:`, a missing organisation becomes a violation
/// of `requests[i].member.organization`.
pub fn at_index(i: usize, e: Error) -> Error {
    match ApiError::from(e) {
        ApiError::FailedPrecondition { reason, message } => ApiError::FailedPrecondition {
            reason,
            message: format!("requests[{i}]: {message}"),
        }
        .into(),
        ApiError::AlreadyExists { reason, message } => ApiError::AlreadyExists {
            reason,
            message: format!("requests[{i}]: {message}"),
        }
        .into(),
        ApiError::NotFound { resource } => ApiError::invalid(
            format!("requests[{i}].member.organization"),
            format!("{resource} not found"),
        )
        .into(),
        other => other.into(),
    }
}

/// The fields an UpdateMember request sets, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberUpdate {
    /// New card number, normalised.
    pub card: Option<String>,
    /// New full name, tidied.
    pub full_name: Option<String>,
    /// New date of birth.
    pub dob: Option<Date>,
    /// New gender.
    pub gender: Option<i32>,
    /// New head position, tidied.
    pub head_position: Option<String>,
}

/// Whether an UpdateMember field is set in `m` (for a request without a
/// mask).
pub fn is_set(m: &Member, path: &str) -> bool {
    match path {
        "full_name" => !m.full_name.is_empty(),
        "date_of_birth" => m.date_of_birth.is_some(),
        "gender" => m.gender != 0,
        "party_card_number" => !m.party_card_number.is_empty(),
        "head_position" => !m.head_position.is_empty(),
        _ => false,
    }
}

/// Checks the fields of `m` named by `paths`.
pub fn validate_update(m: &Member, paths: &[&str]) -> Result<MemberUpdate> {
    let has = |p: &str| paths.contains(&p);
    let mut v = Violations::new();
    let mut update = MemberUpdate::default();
    if has("party_card_number") {
        update.card = normalize_card(&m.party_card_number);
        v.check(
            update.card.is_none(),
            "member.party_card_number",
            "must be 6 to 12 digits (dots and spaces allowed)",
        );
    }
    if has("full_name") {
        v.check_name_chars("member.full_name", &m.full_name);
        let full_name = text::tidy(&m.full_name);
        if full_name.is_empty() || full_name.chars().count() > MAX_NAME {
            v.add(
                "member.full_name",
                format!("required, at most {MAX_NAME} characters"),
            );
        }
        update.full_name = Some(full_name);
    }
    if has("date_of_birth") {
        update.dob = dates::required("member.date_of_birth", m.date_of_birth.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
    }
    if has("gender") {
        v.check(
            Gender::try_from(m.gender).is_err(),
            "member.gender",
            "unknown value",
        );
        update.gender = Some(m.gender);
    }
    v.check(
        m.head_position.chars().count() > MAX_NAME,
        "member.head_position",
        "at most 200 characters",
    );
    if has("head_position") {
        update.head_position = Some(text::tidy(&m.head_position));
    }
    v.into_result()?;
    Ok(update)
}

/// A RecordMemberEvent request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidEvent {
    /// The event.
    pub kind: MemberEventKind,
    /// Its date.
    pub date: Date,
}

/// Checks a RecordMemberEvent request on `today`.
pub fn validate_event(req: &RecordMemberEventRequest, today: Date) -> Result<ValidEvent> {
    let mut v = Violations::new();
    let kind = MemberEventKind::try_from(req.kind).unwrap_or(MemberEventKind::Unspecified);
    match kind {
        MemberEventKind::Unspecified => v.add("kind", "required"),
        MemberEventKind::Admitted => v.add("kind", "admission is recorded by CreateMember"),
        MemberEventKind::Transferred if req.target_organization.is_empty() => {
            v.add("target_organization", "required for a transfer")
        }
        _ => {}
    }
    if kind != MemberEventKind::Transferred && !req.target_organization.is_empty() {
        v.add("target_organization", "only for transfers");
    }
    let date = dates::required("effective_date", req.effective_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    if date.is_some_and(|d| d > today) {
        v.add("effective_date", "must not be in the future");
    }
    v.check(
        req.note.chars().count() > MAX_NOTE,
        "note",
        "at most 2000 characters",
    );
    v.into_result()?;
    Ok(ValidEvent {
        kind,
        date: date.unwrap_or(today),
    })
}

/// The statuses a ListMembers request filters on: those it names, or the
/// active ones.
pub fn list_statuses(statuses: &[i32]) -> Result<Vec<MemberStatus>> {
    let mut out = Vec::with_capacity(statuses.len());
    for (i, s) in statuses.iter().enumerate() {
        match MemberStatus::try_from(*s) {
            Ok(MemberStatus::Unspecified) | Err(_) => {
                return Err(ApiError::invalid(format!("statuses[{i}]"), "unknown status").into());
            }
            Ok(s) => out.push(s),
        }
    }
    if out.is_empty() {
        out.extend(ACTIVE);
    }
    Ok(out)
}

/// A name query folded for accent-insensitive search, as a `LIKE` pattern
/// with `\` escaping.
pub fn name_pattern(query: &str) -> Result<(String, String)> {
    let folded = text::fold(query);
    if folded.chars().count() > MAX_NAME {
        return Err(ApiError::invalid("name_query", "at most 200 characters").into());
    }
    let pattern = format!(
        "%{}%",
        folded
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok((folded, pattern))
}

#[cfg(test)]
mod tests {
    use probity_proto::google::r#type::Date as ProtoDate;
    use time::macros::date;

    use super::*;

    fn day(y: i32, m: i32, d: i32) -> Option<ProtoDate> {
        Some(ProtoDate {
            year: y,
            month: m,
            day: d,
        })
    }

    fn request(card: &str, dob: (i32, i32, i32), admitted: (i32, i32, i32)) -> CreateMemberRequest {
        CreateMemberRequest {
            member: Some(Member {
                party_card_number: card.into(),
                full_name: "  Nguyễn   Văn A ".into(),
                date_of_birth: day(dob.0, dob.1, dob.2),
                organization: "organizations/c".into(),
                admission_date: day(admitted.0, admitted.1, admitted.2),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Api(ApiError::InvalidArgument(v)) => v.into_iter().map(|x| x.field).collect(),
            other => panic!("not a violation: {other:?}"),
        }
    }

    #[test]
    fn card_numbers_are_six_to_twelve_digits() {
        assert_eq!(normalize_card("12.345.678").as_deref(), Some("12345678"));
        assert_eq!(normalize_card("12 345"), None);
        assert_eq!(normalize_card("1234567890123"), None);
        assert_eq!(normalize_card("12a45678"), None);
    }

    #[test]
    fn a_new_member_is_tidied_and_normalised() {
        let v = validate_create(
            &request("12.345.678", (1980, 1, 1), (2010, 3, 1)),
            "",
            date!(2020 - 01 - 01),
        )
        .unwrap();
        assert_eq!(v.card, "12345678");
        assert_eq!(v.full_name, "Nguyễn Văn A");
        assert_eq!(v.status(), MemberStatus::Probationary);
    }

    #[test]
    fn a_member_is_admitted_at_eighteen_or_older() {
        let e = validate_create(
            &request("123456", (2000, 6, 1), (2018, 5, 31)),
            "",
            date!(2020 - 01 - 01),
        )
        .unwrap_err();
        assert_eq!(fields(e), vec!["member.admission_date"]);
        assert!(
            validate_create(
                &request("123456", (2000, 6, 1), (2018, 6, 1)),
                "",
                date!(2020 - 01 - 01)
            )
            .is_ok()
        );
    }

    #[test]
    fn an_admission_in_the_future_is_refused_by_the_clock_given() {
        let req = request("123456", (1980, 1, 1), (2021, 1, 1));
        assert!(validate_create(&req, "", date!(2020 - 06 - 01)).is_err());
        assert!(validate_create(&req, "", date!(2021 - 01 - 01)).is_ok());
    }

    #[test]
    fn the_official_date_follows_the_admission() {
        let mut req = request("123456", (1980, 1, 1), (2010, 3, 1));
        req.official_date = day(2010, 3, 1);
        let e = validate_create(&req, "requests[2].", date!(2020 - 01 - 01)).unwrap_err();
        assert_eq!(fields(e), vec!["requests[2].official_date"]);
    }

    #[test]
    fn a_batch_names_every_bad_row() {
        let good = request("123456", (1980, 1, 1), (2010, 3, 1));
        let bad = request("12", (1980, 1, 1), (2010, 3, 1));
        let e = validate_batch(&[good, bad.clone(), bad], date!(2020 - 01 - 01)).unwrap_err();
        assert_eq!(
            fields(e),
            vec![
                "requests[1].member.party_card_number",
                "requests[2].member.party_card_number"
            ]
        );
        assert!(validate_batch(&[], date!(2020 - 01 - 01)).is_err());
    }

    #[test]
    fn a_batch_refusal_names_its_row() {
        let e = at_index(3, Error::CardNumberTaken("123456".into()));
        assert!(e.to_string().starts_with("requests[3]: "));
        let missing = at_index(1, ApiError::not_found("organizations/x").into());
        assert_eq!(fields(missing), vec!["requests[1].member.organization"]);
    }

    #[test]
    fn members_are_recorded_in_cells_and_grassroots_organisations() {
        assert!(holds_members(OrganizationKind::Cell));
        assert!(holds_members(OrganizationKind::Grassroots));
        assert!(check_holds_members(OrganizationKind::District).is_err());
    }

    #[test]
    fn an_update_checks_only_the_fields_it_sets() {
        let m = Member {
            party_card_number: "x".into(),
            full_name: "Trần B".into(),
            ..Default::default()
        };
        let update = validate_update(&m, &["full_name"]).unwrap();
        assert_eq!(update.full_name.as_deref(), Some("Trần B"));
        assert!(update.card.is_none());
        assert!(validate_update(&m, &["party_card_number"]).is_err());
    }

    #[test]
    fn an_event_needs_a_kind_a_date_and_for_a_transfer_a_target() {
        let req = RecordMemberEventRequest {
            kind: MemberEventKind::Transferred as i32,
            effective_date: day(2020, 1, 1),
            ..Default::default()
        };
        let e = validate_event(&req, date!(2020 - 06 - 01)).unwrap_err();
        assert_eq!(fields(e), vec!["target_organization"]);
        let admitted = RecordMemberEventRequest {
            kind: MemberEventKind::Admitted as i32,
            ..req.clone()
        };
        assert!(validate_event(&admitted, date!(2020 - 06 - 01)).is_err());
    }

    #[test]
    fn an_event_in_the_future_is_refused() {
        let req = RecordMemberEventRequest {
            kind: MemberEventKind::Expelled as i32,
            effective_date: day(2020, 7, 1),
            ..Default::default()
        };
        assert!(validate_event(&req, date!(2020 - 06 - 30)).is_err());
        assert_eq!(
            validate_event(&req, date!(2020 - 07 - 01)).unwrap().date,
            date!(2020 - 07 - 01)
        );
    }

    #[test]
    fn a_list_without_statuses_lists_active_members() {
        assert_eq!(list_statuses(&[]).unwrap(), ACTIVE.to_vec());
        assert!(list_statuses(&[0]).is_err());
    }

    #[test]
    fn a_name_query_escapes_like_wildcards() {
        let (folded, pattern) = name_pattern("Nguyễn_50%").unwrap();
        assert_eq!(folded, "nguyen_50%");
        assert_eq!(pattern, "%nguyen\\_50\\%%");
    }
}
