//! The rules of asset and income declarations: what a declaration and its
//! items must hold, the order of the control steps, what the non-control
//! roles may see, and the year-over-year change that must be explained.

use probity_platform::{ApiError, Violations, dates, error::Violation, resource::parse_name};
use probity_proto::{
    google::r#type::Date as ProtoDate,
    probity::members::v1::{
        AssetCategory, AssetChange, Declaration, DeclarationItem, DeclarationKind,
        DeclarationRuleKind as RuleKind, DeclarationStatus, ErrorReason, Obligation,
        VerificationOutcome,
    },
};
use time::Date;

use super::{deadlines::RuleBook, names::member_name};
use crate::error::{Error, Result};

/// Longest free text (origin, reason, findings, item description).
pub const MAX_TEXT: usize = probity_platform::limits::TEXT;
/// Most items in one declaration.
pub const MAX_ITEMS: usize = probity_platform::limits::DECLARATION_ITEMS;

/// An amount in Vietnamese format: `300.000.000 VND`.
pub fn vnd(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out} VND", if n < 0 { "-" } else { "" })
}

/// A date that must be present and not after `today`; a violation of
/// `field` otherwise.
pub fn step_date(
    v: &mut Violations,
    field: &str,
    date: Option<&ProtoDate>,
    today: Date,
) -> Option<Date> {
    match dates::required(field, date) {
        Err(e) => {
            v.add(e.field, e.description);
            None
        }
        Ok(d) if d > today => {
            v.add(field, "must not be in the future");
            None
        }
        Ok(d) => Some(d),
    }
}

/// `INVALID_ARGUMENT` on `field` when `when` is before the recorded
/// `earlier` date (`what` says which).
pub fn after(when: Date, earlier: &Option<ProtoDate>, field: &str, what: &str) -> Result<()> {
    match super::deadlines::day(earlier) {
        Some(e) if when < e => Err(ApiError::invalid(
            field,
            format!("must not be before the {what} ({})", dates::to_sql(e)),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The date of the final receipt: the corrected one, or the first.
pub fn final_receipt(d: &Declaration) -> &Option<ProtoDate> {
    if d.resubmitted_date.is_some() {
        &d.resubmitted_date
    } else {
        &d.received_date
    }
}

/// Checks items against the valuables threshold in force on `as_of`;
/// returns the total of assets (income left out).
pub fn validate_items(
    v: &mut Violations,
    field: &str,
    items: &[DeclarationItem],
    as_of: &str,
    book: &RuleBook,
) -> Result<i64> {
    if items.len() > MAX_ITEMS {
        v.add(field, format!("at most {MAX_ITEMS} items"));
    }
    let (threshold, citation) = book.on(RuleKind::ValuablesThreshold, as_of)?;
    let mut total = 0_i64;
    for (i, item) in items.iter().enumerate() {
        let f = |name: &str| format!("{field}[{i}].{name}");
        let category = AssetCategory::try_from(item.category).unwrap_or(AssetCategory::Unspecified);
        v.check(
            category == AssetCategory::Unspecified,
            &f("category"),
            "required",
        );
        let description = item.description.trim();
        v.check(
            description.is_empty() || description.chars().count() > MAX_TEXT,
            &f("description"),
            "required, at most 4000 characters",
        );
        if item.value_vnd < 0 {
            v.add(f("value_vnd"), "must not be negative");
        } else if category == AssetCategory::VehiclesValuables && item.value_vnd < threshold {
            v.add(
                f("value_vnd"),
                format!(
                    "{} is below the {} from which vehicles and other valuables are declared on {as_of} ({citation})",
                    vnd(item.value_vnd),
                    vnd(threshold)
                ),
            );
        }
        if category != AssetCategory::Income {
            total = total.saturating_add(item.value_vnd.max(0));
        }
    }
    Ok(total)
}

/// A declaration's own fields, checked (its items are checked with the
/// rules in force on `as_of`, inside the write).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Its kind.
    pub kind: DeclarationKind,
    /// The day the assets are declared as of.
    pub as_of: Date,
    /// The event of a first or appointment declaration.
    pub event: Option<Date>,
    /// The day it was received.
    pub received: Option<Date>,
}

/// Checks a submitted declaration's fields, collecting violations in `v`.
pub fn validate_submission(v: &mut Violations, d: &Declaration, today: Date) -> Submission {
    if let Err(ApiError::InvalidArgument(x)) =
        super::years::validate_year("declaration.year", d.year, today)
    {
        x.into_iter().for_each(|x| v.add(x.field, x.description));
    }
    let kind = DeclarationKind::try_from(d.kind).unwrap_or(DeclarationKind::Unspecified);
    v.check(
        kind == DeclarationKind::Unspecified,
        "declaration.kind",
        "required",
    );
    let as_of = step_date(
        v,
        "declaration.declared_as_of",
        d.declared_as_of.as_ref(),
        today,
    );
    if let Some(a) = as_of
        && a.year() != d.year
    {
        v.add(
            "declaration.declared_as_of",
            "must fall in the declaration's year",
        );
    }
    let event = dates::from_proto("declaration.event_date", d.event_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok()
        .flatten();
    let needs_event = matches!(kind, DeclarationKind::First | DeclarationKind::Appointment);
    v.check(
        needs_event && event.is_none(),
        "declaration.event_date",
        "required for first and appointment declarations",
    );
    v.check(
        !needs_event && event.is_some(),
        "declaration.event_date",
        "only first and appointment declarations have one",
    );
    let received = step_date(
        v,
        "declaration.received_date",
        d.received_date.as_ref(),
        today,
    );
    v.check(
        d.increase_origin.chars().count() > MAX_TEXT,
        "declaration.increase_origin",
        "at most 4000 characters",
    );
    v.check(d.declarant.is_empty(), "declaration.declarant", "required");
    Submission {
        kind,
        as_of: as_of.unwrap_or(today),
        event,
        received,
    }
}

/// Hides what only the control role may see: items, total, origin and
/// verification findings.
pub fn redact(d: &mut Declaration) {
    d.items.clear();
    d.total_assets_vnd = 0;
    d.increase_origin.clear();
    d.verification_findings.clear();
    d.contents_redacted = true;
}

/// A declaration may be returned for correction only once, right after
/// receipt.
pub fn check_returnable(d: &Declaration) -> Result<()> {
    if d.status != DeclarationStatus::Received as i32 {
        return Err(Error::refused(
            ErrorReason::NotReturnable,
            format!("{} can be returned only once, right after receipt", d.name),
        ));
    }
    Ok(())
}

/// Only a returned declaration is resubmitted.
pub fn check_resubmittable(d: &Declaration) -> Result<()> {
    if d.status != DeclarationStatus::Returned as i32 {
        return Err(Error::refused(
            ErrorReason::NotReturned,
            format!("{} was not returned for correction", d.name),
        ));
    }
    Ok(())
}

/// Only a received or resubmitted declaration is handed over.
pub fn check_hand_over(d: &Declaration) -> Result<()> {
    if !matches!(
        DeclarationStatus::try_from(d.status),
        Ok(DeclarationStatus::Received | DeclarationStatus::Resubmitted)
    ) {
        return Err(Error::refused(
            ErrorReason::NotReadyForHandOver,
            format!(
                "{} is returned for correction or already handed over",
                d.name
            ),
        ));
    }
    Ok(())
}

/// A declaration is published once, and not while returned.
pub fn check_publishable(d: &Declaration) -> Result<()> {
    if d.status == DeclarationStatus::Returned as i32 || d.published_date.is_some() {
        return Err(Error::refused(
            ErrorReason::NotPublishable,
            format!("{} is returned for correction or already published", d.name),
        ));
    }
    Ok(())
}

/// A declaration gets one verification conclusion.
pub fn check_concludable(d: &Declaration) -> Result<()> {
    if d.verification != VerificationOutcome::Unspecified as i32 {
        return Err(Error::refused(
            ErrorReason::AlreadyConcluded,
            format!("{} already has a verification conclusion", d.name),
        ));
    }
    Ok(())
}

/// A declaration as the asset-change rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// Its id.
    pub id: String,
    /// Declared as of (ISO).
    pub as_of: String,
    /// Total assets.
    pub total: i64,
    /// The explained origin of an increase.
    pub origin: String,
}

/// The change of `member_id`'s assets in `year`: from the latest earlier
/// declaration (`before`) to the year's (`now`), flagged when it exceeds
/// the threshold in force on the year's declaration date and no origin is
/// explained.
pub fn asset_change(
    member_id: &str,
    year: i32,
    now: &Filed,
    before: Option<&Filed>,
    book: &RuleBook,
) -> Result<AssetChange> {
    let (threshold, citation) = book.on(RuleKind::SupplementaryTrigger, &now.as_of)?;
    let previous_total = before.map_or(0, |b| b.total);
    let change = now.total - previous_total;
    let flagged = before.is_some() && change > threshold && now.origin.trim().is_empty();
    let reason = if flagged {
        format!(
            "assets rose by {} (from {} to {}), above the {} threshold in force on {} ({citation}), and no origin is explained",
            vnd(change),
            vnd(previous_total),
            vnd(now.total),
            vnd(threshold),
            now.as_of
        )
    } else {
        String::new()
    };
    Ok(AssetChange {
        declarant: member_name(member_id),
        year,
        declaration: format!("declarations/{}", now.id),
        previous_declaration: before
            .map(|b| format!("declarations/{}", b.id))
            .unwrap_or_default(),
        previous_total_vnd: previous_total,
        total_vnd: now.total,
        change_vnd: change,
        threshold_vnd: threshold,
        threshold_citation: citation,
        flagged,
        reason,
    })
}

/// Checks the obligations of a new list: at least one, each a member named
/// once, positions at most 200 characters.
pub fn validate_obligations(obligations: &[Obligation]) -> Result<()> {
    let mut v = Violations::new();
    v.check(obligations.is_empty(), "obligations", "at least one member");
    let mut seen = std::collections::HashSet::new();
    for (i, o) in obligations.iter().enumerate() {
        if parse_name("", &o.member, "members").is_err() {
            v.add(format!("obligations[{i}].member"), "must be members/{id}");
        } else if !seen.insert(o.member.clone()) {
            v.add(format!("obligations[{i}].member"), "listed twice");
        }
        v.check(
            o.position.chars().count() > probity_platform::limits::NAME,
            &format!("obligations[{i}].position"),
            "at most 200 characters",
        );
    }
    Ok(v.into_result()?)
}

/// The violations for obligations whose members were not active members
/// of `organization` on `date`.
pub fn outside_list(outside: &[(usize, String)], organization: &str, date: &str) -> Error {
    ApiError::InvalidArgument(
        outside
            .iter()
            .map(|(i, m)| {
                Violation::new(
                    format!("obligations[{i}].member"),
                    format!("{m} is not an active member of {organization} on {date}"),
                )
            })
            .collect(),
    )
    .into()
}

/// Checks a verification conclusion; returns the outcome and the findings.
pub fn validate_conclusion(
    v: &mut Violations,
    outcome: i32,
    findings: &str,
) -> (VerificationOutcome, String) {
    let outcome =
        VerificationOutcome::try_from(outcome).unwrap_or(VerificationOutcome::Unspecified);
    let findings = findings.trim().to_string();
    v.check(
        outcome == VerificationOutcome::Unspecified,
        "outcome",
        "required",
    );
    v.check(
        findings.is_empty() || findings.chars().count() > MAX_TEXT,
        "findings",
        "required, at most 4000 characters",
    );
    (outcome, findings)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    fn book() -> RuleBook {
        RuleBook::of([
            (
                RuleKind::ValuablesThreshold,
                "2019-08-01",
                50_000_000,
                "Nghị định 130/2020/NĐ-CP",
            ),
            (
                RuleKind::SupplementaryTrigger,
                "2019-08-01",
                300_000_000,
                "Luật 36/2018/QH14",
            ),
        ])
    }

    fn filed(total: i64, origin: &str) -> Filed {
        Filed {
            id: "d".into(),
            as_of: "2025-12-31".into(),
            total,
            origin: origin.into(),
        }
    }

    #[test]
    fn amounts_are_written_the_vietnamese_way() {
        assert_eq!(vnd(300_000_000), "300.000.000 VND");
        assert_eq!(vnd(-1_500), "-1.500 VND");
        assert_eq!(vnd(0), "0 VND");
    }

    #[test]
    fn valuables_below_the_threshold_are_not_declared() {
        let mut v = Violations::new();
        let items = [DeclarationItem {
            category: AssetCategory::VehiclesValuables as i32,
            description: "Xe máy".into(),
            value_vnd: 40_000_000,
        }];
        validate_items(&mut v, "items", &items, "2025-12-31", &book()).unwrap();
        let Err(ApiError::InvalidArgument(list)) = v.into_result() else {
            panic!("a violation")
        };
        assert_eq!(list[0].field, "items[0].value_vnd");
        assert!(list[0].description.contains("50.000.000 VND"));
    }

    #[test]
    fn income_is_not_counted_in_the_total() {
        let mut v = Violations::new();
        let items = [
            DeclarationItem {
                category: AssetCategory::Land as i32,
                description: "Đất ở".into(),
                value_vnd: 1_000,
            },
            DeclarationItem {
                category: AssetCategory::Income as i32,
                description: "Lương".into(),
                value_vnd: 500,
            },
        ];
        assert_eq!(
            validate_items(&mut v, "items", &items, "2025-12-31", &book()).unwrap(),
            1_000
        );
        assert!(v.is_empty());
    }

    #[test]
    fn an_unexplained_rise_above_the_threshold_is_flagged() {
        let change = asset_change(
            "m",
            2025,
            &filed(500_000_000, ""),
            Some(&filed(100_000_000, "")),
            &book(),
        )
        .unwrap();
        assert!(change.flagged);
        assert!(change.reason.contains("400.000.000 VND"));
    }

    #[test]
    fn an_explained_rise_is_not_flagged() {
        let change = asset_change(
            "m",
            2025,
            &filed(500_000_000, "Thừa kế"),
            Some(&filed(100_000_000, "")),
            &book(),
        )
        .unwrap();
        assert!(!change.flagged);
    }

    #[test]
    fn a_first_declaration_has_nothing_to_rise_from() {
        let change = asset_change("m", 2025, &filed(900_000_000, ""), None, &book()).unwrap();
        assert!(!change.flagged);
        assert_eq!(change.change_vnd, 900_000_000);
    }

    #[test]
    fn the_control_steps_come_in_order() {
        let mut d = Declaration {
            status: DeclarationStatus::Received as i32,
            ..Default::default()
        };
        assert!(check_returnable(&d).is_ok());
        assert!(check_resubmittable(&d).is_err());
        d.status = DeclarationStatus::Returned as i32;
        assert!(check_returnable(&d).is_err());
        assert!(check_hand_over(&d).is_err());
        assert!(check_publishable(&d).is_err());
        d.status = DeclarationStatus::Resubmitted as i32;
        assert!(check_hand_over(&d).is_ok());
    }

    #[test]
    fn a_declaration_is_published_once() {
        let d = Declaration {
            status: DeclarationStatus::HandedOver as i32,
            published_date: Some(dates::to_proto(date!(2026 - 01 - 05))),
            ..Default::default()
        };
        assert!(check_publishable(&d).is_err());
    }

    #[test]
    fn a_step_is_not_dated_before_the_one_it_follows() {
        let received = Some(dates::to_proto(date!(2025 - 12 - 10)));
        assert!(after(date!(2025 - 12 - 09), &received, "f", "received date").is_err());
        assert!(after(date!(2025 - 12 - 10), &received, "f", "received date").is_ok());
    }

    #[test]
    fn others_see_a_declaration_without_its_contents() {
        let mut d = Declaration {
            total_assets_vnd: 5,
            increase_origin: "x".into(),
            ..Default::default()
        };
        redact(&mut d);
        assert!(d.contents_redacted && d.total_assets_vnd == 0 && d.increase_origin.is_empty());
    }

    #[test]
    fn a_first_declaration_needs_its_event() {
        let mut v = Violations::new();
        let d = Declaration {
            kind: DeclarationKind::First as i32,
            year: 2025,
            declarant: "members/m".into(),
            declared_as_of: Some(dates::to_proto(date!(2025 - 03 - 01))),
            received_date: Some(dates::to_proto(date!(2025 - 03 - 02))),
            ..Default::default()
        };
        validate_submission(&mut v, &d, date!(2025 - 06 - 01));
        let Err(ApiError::InvalidArgument(list)) = v.into_result() else {
            panic!("a violation")
        };
        assert_eq!(list[0].field, "declaration.event_date");
    }

    #[test]
    fn obligations_name_each_member_once() {
        let o = Obligation {
            member: "members/m".into(),
            ..Default::default()
        };
        assert!(validate_obligations(std::slice::from_ref(&o)).is_ok());
        assert!(validate_obligations(&[o.clone(), o]).is_err());
        assert!(validate_obligations(&[]).is_err());
    }
}
