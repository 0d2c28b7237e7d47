//! The rules of recommendations: the fields checked (the source document's
//! number-symbol parsed by the platform), progress reported by the
//! addressee, a closure verified by someone other than the addressee, and
//! the implementation rate's formula.

use probity_platform::{Violations, dates, limits, rate, resource::parse_name, symbol, text};
use probity_proto::probity::oversight::v1::{
    ErrorReason, Recommendation, RecommendationKind, RecommendationSource, RecommendationStatus,
};
use time::Date;

use crate::{
    error::{Error, Result},
    rules::agencies::display_name,
};

/// The implementation rate's formula, as the response states it.
pub const FORMULA: &str = "Recommendations whose due date falls in the period, those closed as \
     no longer applicable left out. By count: implemented in full / due. By amount (recover-amount \
     recommendations only): amount implemented / amount recommended. Percentages rounded half-up \
     to 2 decimals.";

/// A recommendation, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecommendation {
    /// Who made it.
    pub source: RecommendationSource,
    /// The source document, canonical.
    pub source_document: String,
    /// Its date.
    pub source_date: Date,
    /// The owning organisation's id.
    pub org_id: String,
    /// The addressed agency's id; empty when the organisation itself.
    pub agency_id: String,
    /// The responsible person.
    pub responsible_person: String,
    /// What it asks.
    pub kind: RecommendationKind,
    /// Its text.
    pub content: String,
    /// The amount to recover.
    pub recommended_vnd: i64,
    /// By when.
    pub due: Date,
    /// Priority.
    pub priority: bool,
}

/// Checks a recommendation recorded on `today`.
pub fn validate(r: &Recommendation, today: Date) -> Result<NewRecommendation> {
    let mut v = Violations::new();
    let source = RecommendationSource::try_from(r.source).unwrap_or_default();
    v.check(
        source == RecommendationSource::Unspecified,
        "recommendation.source",
        "required",
    );
    let source_document = match symbol::parse(&r.source_document) {
        Ok(s) => s.canonical,
        Err(why) => {
            v.add("recommendation.source_document", why);
            String::new()
        }
    };
    let source_date = match dates::required("recommendation.source_date", r.source_date.as_ref()) {
        Ok(d) if d > today => {
            v.add("recommendation.source_date", "must not be in the future");
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    let org_id = match parse_name(
        "recommendation.organization",
        &r.organization,
        "organizations",
    ) {
        Ok(id) => id.to_string(),
        Err(_) => {
            v.add(
                "recommendation.organization",
                "required, `organizations/{id}`",
            );
            String::new()
        }
    };
    let agency_id = if r.addressee_agency.is_empty() {
        String::new()
    } else {
        match parse_name(
            "recommendation.addressee_agency",
            &r.addressee_agency,
            "agencies",
        ) {
            Ok(id) => id.to_string(),
            Err(_) => {
                v.add("recommendation.addressee_agency", "must be `agencies/{id}`");
                String::new()
            }
        }
    };
    let responsible_person = display_name(
        "recommendation.responsible_person",
        &r.responsible_person,
        limits::NAME,
        &mut v,
    );
    let kind = RecommendationKind::try_from(r.kind).unwrap_or_default();
    v.check(
        kind == RecommendationKind::Unspecified,
        "recommendation.kind",
        "required",
    );
    let content = text::tidy(&r.content);
    v.check(
        content.is_empty() || content.chars().count() > limits::TEXT,
        "recommendation.content",
        "required, at most 4,000 characters",
    );
    let recovers = kind == RecommendationKind::RecoverAmount;
    v.check(
        (recovers && r.recommended_vnd <= 0) || (!recovers && r.recommended_vnd != 0),
        "recommendation.recommended_vnd",
        "the amount to recover (> 0) for RECOVER_AMOUNT, else 0",
    );
    let due = match dates::required("recommendation.due_date", r.due_date.as_ref()) {
        Ok(d) if d < source_date => {
            v.add(
                "recommendation.due_date",
                "must not be before the source document's date",
            );
            d
        }
        Ok(d) => d,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    };
    v.into_result()?;
    Ok(NewRecommendation {
        source,
        source_document,
        source_date,
        org_id,
        agency_id,
        responsible_person,
        kind,
        content,
        recommended_vnd: r.recommended_vnd,
        due,
        priority: r.priority,
    })
}

/// True for a status that closes a recommendation.
pub fn is_closed(status: RecommendationStatus) -> bool {
    matches!(
        status,
        RecommendationStatus::Implemented
            | RecommendationStatus::PartlyImplemented
            | RecommendationStatus::NotImplemented
            | RecommendationStatus::NoLongerApplicable
    )
}

/// Refuses a change to a closed recommendation.
pub fn check_open(name: &str, status: RecommendationStatus) -> Result<()> {
    if is_closed(status) {
        return Err(Error::state(
            ErrorReason::RecommendationClosed,
            format!("{name} is closed"),
        ));
    }
    Ok(())
}

/// Checks reported progress: an action plan, and an amount from what was
/// reported before to the amount recommended (0 unless recovering).
pub fn progress(
    action_plan: &str,
    implemented: i64,
    before: i64,
    recommended: i64,
) -> Result<String> {
    let mut v = Violations::new();
    let plan = text::tidy(action_plan);
    v.check(
        plan.is_empty() || plan.chars().count() > limits::TEXT,
        "action_plan",
        "required, at most 4,000 characters",
    );
    v.check(
        implemented < before || implemented > recommended,
        "implemented_vnd",
        "from the amount reported before to the amount recommended",
    );
    v.into_result()?;
    Ok(plan)
}

/// Checks a closure: an outcome that closes, evidence, and a verifier who
/// is neither the addressee agency (`addressee_code`, its registered code)
/// nor of the agency that reported the progress.
pub fn closure(
    name: &str,
    outcome: i32,
    evidence: &str,
    verifier_agency: &str,
    reporter_agency: &str,
    addressee_code: Option<&str>,
) -> Result<(RecommendationStatus, String)> {
    let mut v = Violations::new();
    let outcome = RecommendationStatus::try_from(outcome).unwrap_or_default();
    v.check(
        !is_closed(outcome),
        "outcome",
        "IMPLEMENTED, PARTLY_IMPLEMENTED, NOT_IMPLEMENTED or NO_LONGER_APPLICABLE",
    );
    let evidence = text::tidy(evidence);
    v.check(
        evidence.is_empty() || evidence.chars().count() > limits::TEXT,
        "evidence",
        "required, at most 4,000 characters",
    );
    v.into_result()?;
    let same = |a: &str, b: &str| !b.is_empty() && a.eq_ignore_ascii_case(b);
    if same(verifier_agency, reporter_agency)
        || addressee_code.is_some_and(|code| same(verifier_agency, code))
    {
        return Err(Error::state(
            ErrorReason::VerifierIsAddressee,
            format!(
                "{name}'s closure is verified by another agency than its addressee ({verifier_agency} reported or is addressed)"
            ),
        ));
    }
    Ok((outcome, evidence))
}

/// One recommendation as the rate counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Who made it.
    pub source: RecommendationSource,
    /// Where it stands.
    pub status: RecommendationStatus,
    /// What it asks.
    pub kind: RecommendationKind,
    /// Recommended amount.
    pub recommended: i64,
    /// Implemented amount.
    pub implemented: i64,
}

/// The figures of one source (or of all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rate {
    /// Due in the period, no longer applicable ones left out.
    pub due: i64,
    /// Implemented in full.
    pub implemented: i64,
    /// Implemented in part.
    pub partly: i64,
    /// Open or in progress.
    pub pending: i64,
    /// Amount implemented (recover-amount ones).
    pub amount_implemented: i64,
    /// Amount recommended (recover-amount ones).
    pub amount_recommended: i64,
}

impl Rate {
    /// Implemented over due, as a percentage ([`FORMULA`]).
    pub fn count_percent(&self) -> String {
        rate::percent(self.implemented, self.due)
    }

    /// Amount implemented over amount recommended, as a percentage.
    pub fn amount_percent(&self) -> String {
        rate::percent(self.amount_implemented, self.amount_recommended)
    }
}

/// The rate of `rows` per source (in source order, sources with none left
/// out) and of all, by [`FORMULA`].
pub fn rates(rows: &[Counted]) -> Vec<(RecommendationSource, Rate)> {
    let mut out: Vec<(RecommendationSource, Rate)> = Vec::new();
    let sources = [
        RecommendationSource::StateAudit,
        RecommendationSource::Inspection,
        RecommendationSource::CentralDelegation,
        RecommendationSource::Unspecified,
    ];
    for source in sources {
        let mut r = Rate::default();
        for row in rows.iter().filter(|row| {
            (source == RecommendationSource::Unspecified || row.source == source)
                && row.status != RecommendationStatus::NoLongerApplicable
        }) {
            r.due += 1;
            match row.status {
                RecommendationStatus::Implemented => r.implemented += 1,
                RecommendationStatus::PartlyImplemented => r.partly += 1,
                RecommendationStatus::Open | RecommendationStatus::InProgress => r.pending += 1,
                _ => {}
            }
            if row.kind == RecommendationKind::RecoverAmount {
                r.amount_recommended += row.recommended;
                r.amount_implemented += row.implemented;
            }
        }
        if r.due > 0 || source == RecommendationSource::Unspecified {
            out.push((source, r));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;
    use time::macros::date;

    use super::*;

    fn recommendation() -> Recommendation {
        Recommendation {
            source: RecommendationSource::StateAudit as i32,
            source_document: "45/bc-ktnn".into(),
            source_date: Some(dates::to_proto(date!(2024 - 01 - 15))),
            organization: "organizations/hu".into(),
            responsible_person: "Chủ tịch UBND huyện".into(),
            kind: RecommendationKind::RecoverAmount as i32,
            content: "Thu hồi về ngân sách".into(),
            recommended_vnd: 2_000_000_000,
            due_date: Some(dates::to_proto(date!(2024 - 06 - 30))),
            ..Default::default()
        }
    }

    fn fields(r: &Recommendation) -> Vec<String> {
        match validate(r, date!(2024 - 04 - 10)).map(|_| ()) {
            Ok(()) => Vec::new(),
            Err(e) => match ApiError::from(e) {
                ApiError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[test]
    fn the_source_document_is_parsed_and_kept_canonical() {
        let r = validate(&recommendation(), date!(2024 - 04 - 10)).unwrap();
        assert_eq!(r.source_document, "45/BC-KTNN");
        let mut bad = recommendation();
        bad.source_document = "báo cáo kiểm toán".into();
        assert_eq!(fields(&bad), ["recommendation.source_document"]);
    }

    #[test]
    fn only_a_recovery_carries_an_amount() {
        let mut r = recommendation();
        r.kind = RecommendationKind::AmendRules as i32;
        assert_eq!(fields(&r), ["recommendation.recommended_vnd"]);
        r.recommended_vnd = 0;
        assert!(fields(&r).is_empty());
    }

    #[test]
    fn progress_never_goes_back_nor_past_the_amount() {
        assert!(progress("Kế hoạch", 500, 1000, 2000).is_err());
        assert!(progress("Kế hoạch", 2500, 0, 2000).is_err());
        assert!(progress("Kế hoạch", 1500, 1000, 2000).is_ok());
    }

    #[test]
    fn the_addressee_may_not_verify_its_own_closure() {
        let err = closure(
            "recommendations/r",
            RecommendationStatus::Implemented as i32,
            "Giấy nộp tiền",
            "ubnd-huyen",
            "UBND-HUYEN",
            None,
        )
        .unwrap_err();
        assert_eq!(ApiError::from(err).reason(), "VERIFIER_IS_ADDRESSEE");
        let err = closure(
            "recommendations/r",
            RecommendationStatus::Implemented as i32,
            "Giấy nộp tiền",
            "so-tai-chinh",
            "",
            Some("SO-TAI-CHINH"),
        )
        .unwrap_err();
        assert_eq!(ApiError::from(err).reason(), "VERIFIER_IS_ADDRESSEE");
        assert!(
            closure(
                "recommendations/r",
                RecommendationStatus::Implemented as i32,
                "Giấy nộp tiền",
                "kiem-toan",
                "ubnd-huyen",
                Some("SO-TAI-CHINH")
            )
            .is_ok()
        );
    }

    #[test]
    fn a_closure_needs_a_closing_outcome_and_evidence() {
        let err = closure(
            "recommendations/r",
            RecommendationStatus::InProgress as i32,
            "",
            "a",
            "b",
            None,
        )
        .unwrap_err();
        let ApiError::InvalidArgument(v) = ApiError::from(err) else {
            panic!("violations")
        };
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn the_rate_counts_full_implementation_and_amounts_and_leaves_out_the_inapplicable() {
        let row = |source, status, kind, recommended, implemented| Counted {
            source,
            status,
            kind,
            recommended,
            implemented,
        };
        use RecommendationKind::*;
        use RecommendationSource::*;
        use RecommendationStatus::*;
        let rows = [
            row(StateAudit, Implemented, RecoverAmount, 1000, 1000),
            row(StateAudit, PartlyImplemented, RecoverAmount, 2000, 500),
            row(StateAudit, NoLongerApplicable, RecoverAmount, 9000, 0),
            row(Inspection, InProgress, Discipline, 0, 0),
        ];
        let rates = rates(&rows);
        let (source, audit) = &rates[0];
        assert_eq!(*source, StateAudit);
        assert_eq!((audit.due, audit.implemented, audit.partly), (2, 1, 1));
        assert_eq!(audit.count_percent(), "50.00");
        assert_eq!(audit.amount_percent(), "50.00");
        let (all_source, all) = rates.last().unwrap();
        assert_eq!(*all_source, RecommendationSource::Unspecified);
        assert_eq!((all.due, all.pending), (3, 1));
        assert_eq!(all.count_percent(), "33.33");
    }
}
