//! The clocks of a declaration: the dated rules that set each deadline,
//! the day arithmetic, and the deadlines a declaration's recorded dates
//! give. Deadlines are computed, never stored: each from the rule version
//! in force when its clock started.

use probity_platform::{
    ApiError,
    calendar::Calendar,
    dated_rules::{self, DatedRule},
    dates,
};
use probity_proto::probity::members::v1::{
    Deadline, Declaration, DeclarationKind, DeclarationRuleKind as RuleKind, DeclarationStatus,
    DeclarationStep, Timeliness,
};
use time::Date;

/// The filing deadline of annual and supplementary declarations, by law.
pub const YEAR_END_CITATION: &str =
    "Luật Phòng, chống tham nhũng 36/2018/QH14: hoàn thành trước 31/12";

/// `date` plus `n` working days of State bodies: weekends, public
/// holidays and the Government's swaps skipped
/// ([`probity_platform::calendar`]).
pub fn add_working_days(date: Date, n: i64) -> Date {
    Calendar::vietnam().add_working_days(date, n)
}

/// `date` plus `n` calendar days (negative for before).
pub fn add_days(date: Date, n: i64) -> Date {
    probity_platform::dates::add_days(date, n)
}

/// The family of declaration rules in the platform's store of dated,
/// cited rules.
pub const RULE_FAMILY: &str = "declaration";

/// Every version of the declaration rules, as the platform's rule store
/// keeps them.
#[derive(Debug, Clone, Default)]
pub struct RuleBook(pub dated_rules::RuleBook);

impl RuleBook {
    /// Every version, by rule and first day.
    pub fn versions(&self) -> &[DatedRule] {
        &self.0.0
    }

    /// A book of `(rule, first day, value, citation)` versions.
    #[cfg(test)]
    pub fn of<'a>(versions: impl IntoIterator<Item = (RuleKind, &'a str, i64, &'a str)>) -> Self {
        Self(dated_rules::RuleBook(
            versions
                .into_iter()
                .map(|(kind, from, value, citation)| DatedRule {
                    family: RULE_FAMILY.into(),
                    kind: kind as i64,
                    valid_from: from.into(),
                    value,
                    citation: citation.into(),
                    id: format!("{RULE_FAMILY}-{}-{from}", kind as i64),
                    create_micros: 0,
                })
                .collect(),
        ))
    }

    /// The version of `kind` in force on `date` (ISO): its value and
    /// citation. A date before the first version takes the first version
    /// (a declaration dated before the rules were recorded is still held to
    /// them rather than refused as a fault); no version at all is a fault
    /// of the data.
    pub fn on(&self, kind: RuleKind, date: &str) -> Result<(i64, String), ApiError> {
        self.0
            .in_force(kind as i64, date)
            .or_else(|| self.0.first(kind as i64))
            .map(|r| (r.value, r.citation.clone()))
            .ok_or_else(|| ApiError::Internal(format!("no {kind:?} rule recorded")))
    }
}

/// How a step stands against its deadline on `today`.
pub fn timeliness(due: Date, done: Option<Date>, today: Date) -> Timeliness {
    match done {
        Some(done) if done <= due => Timeliness::OnTime,
        Some(_) => Timeliness::Late,
        None if today > due => Timeliness::Overdue,
        None => Timeliness::Pending,
    }
}

/// A wire date as a date; `None` when unset or not a calendar date.
pub fn day(d: &Option<probity_proto::google::r#type::Date>) -> Option<Date> {
    d.as_ref()
        .and_then(|d| dates::from_proto("", Some(d)).ok().flatten())
}

/// The tracked deadlines of a declaration on `today`: filing (from the
/// event, or the year's end), then, once received, return for correction,
/// hand-over and publication (from the final receipt).
pub fn deadlines(d: &Declaration, book: &RuleBook, today: Date) -> Result<Vec<Deadline>, ApiError> {
    let mut out = Vec::new();
    let received = day(&d.received_date);
    let kind = DeclarationKind::try_from(d.kind).unwrap_or(DeclarationKind::Unspecified);
    let event = day(&d.event_date);
    let mut push = |step: DeclarationStep, due: Date, done: Option<Date>, citation: String| {
        out.push(Deadline {
            step: step as i32,
            due_date: Some(dates::to_proto(due)),
            done_date: done.map(dates::to_proto),
            timeliness: timeliness(due, done, today) as i32,
            citation,
        });
    };
    // Filing.
    match (kind, event) {
        (DeclarationKind::First, Some(event)) => {
            let (days, citation) = book.on(RuleKind::FirstFilingDays, &dates::to_sql(event))?;
            push(
                DeclarationStep::Filing,
                add_days(event, days),
                received,
                citation,
            );
        }
        (DeclarationKind::Appointment, Some(event)) => {
            let (days, citation) =
                book.on(RuleKind::AppointmentFilingDays, &dates::to_sql(event))?;
            push(
                DeclarationStep::Filing,
                add_days(event, -days),
                received,
                citation,
            );
        }
        _ => {
            // A year outside the calendar (refused on submission, so
            // never stored) is held at its end rather than failing.
            let due = Date::from_calendar_date(d.year, time::Month::December, 31)
                .unwrap_or(if d.year < 1 { Date::MIN } else { Date::MAX });
            push(
                DeclarationStep::Filing,
                due,
                received,
                YEAR_END_CITATION.into(),
            );
        }
    }
    let Some(received) = received else {
        return Ok(out);
    };
    // Return for correction.
    if let Some(returned) = day(&d.returned_date) {
        let (days, citation) = book.on(RuleKind::ReturnDays, &dates::to_sql(received))?;
        push(
            DeclarationStep::Return,
            add_days(received, days),
            Some(returned),
            citation,
        );
    }
    // Hand-over and publication count from the final receipt.
    if d.status != DeclarationStatus::Returned as i32 {
        let final_receipt = day(&d.resubmitted_date).unwrap_or(received);
        let start = dates::to_sql(final_receipt);
        let (days, citation) = book.on(RuleKind::HandOverDays, &start)?;
        push(
            DeclarationStep::HandOver,
            add_days(final_receipt, days),
            day(&d.handed_over_date),
            citation,
        );
        let (days, citation) = book.on(RuleKind::PublicationWorkingDays, &start)?;
        push(
            DeclarationStep::Publication,
            add_working_days(final_receipt, days),
            day(&d.published_date),
            citation,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn book() -> RuleBook {
        let versions = [
            (RuleKind::FirstFilingDays, "2019-08-01", 10),
            (RuleKind::ReturnDays, "2019-08-01", 7),
            (RuleKind::HandOverDays, "2019-08-01", 20),
            (RuleKind::HandOverDays, "2026-08-01", 15),
            (RuleKind::PublicationWorkingDays, "2019-08-01", 5),
        ];
        let citations: Vec<String> = versions
            .iter()
            .map(|(kind, from, _)| format!("{kind:?} from {from}"))
            .collect();
        RuleBook::of(
            versions
                .iter()
                .zip(&citations)
                .map(|((kind, from, value), citation)| (*kind, *from, *value, citation.as_str())),
        )
    }

    fn proto(y: i32, m: i32, d: i32) -> Option<probity_proto::google::r#type::Date> {
        Some(dates::to_proto(
            Date::from_calendar_date(y, time::Month::try_from(m as u8).unwrap(), d as u8).unwrap(),
        ))
    }

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
    }

    #[test]
    fn publication_days_skip_public_holidays() {
        // Received Tuesday 2025-04-29: Wednesday 30/4, Thursday 1/5 and the
        // swapped Friday 2/5 are off, so 5 working days end on Friday
        // 9/5, not Tuesday 6/5.
        assert_eq!(
            add_working_days(date!(2025 - 04 - 29), 5),
            date!(2025 - 05 - 09)
        );
    }

    #[test]
    fn calendar_days_cross_the_year() {
        assert_eq!(add_days(date!(2025 - 12 - 31), 20), date!(2026 - 01 - 20));
    }

    #[test]
    fn the_rule_in_force_is_the_latest_started() {
        let b = book();
        assert_eq!(b.on(RuleKind::HandOverDays, "2026-07-31").unwrap().0, 20);
        assert_eq!(b.on(RuleKind::HandOverDays, "2026-08-01").unwrap().0, 15);
        // Before the first version, the first applies.
        assert_eq!(b.on(RuleKind::HandOverDays, "2019-07-31").unwrap().0, 20);
        assert!(b.on(RuleKind::AppointmentFilingDays, "2025-01-01").is_err());
    }

    #[test]
    fn a_step_done_after_its_deadline_is_late() {
        let due = date!(2025 - 12 - 31);
        assert_eq!(timeliness(due, Some(due), due), Timeliness::OnTime);
        assert_eq!(
            timeliness(due, Some(date!(2026 - 01 - 01)), due),
            Timeliness::Late
        );
        assert_eq!(
            timeliness(due, None, date!(2026 - 01 - 01)),
            Timeliness::Overdue
        );
        assert_eq!(timeliness(due, None, due), Timeliness::Pending);
    }

    #[test]
    fn an_annual_declaration_is_due_by_the_year_end() {
        let d = Declaration {
            kind: DeclarationKind::Annual as i32,
            year: 2025,
            ..Default::default()
        };
        let out = deadlines(&d, &book(), date!(2025 - 06 - 01)).unwrap();
        assert_eq!(out.len(), 1, "nothing after filing until received");
        assert_eq!(out[0].due_date, proto(2025, 12, 31));
        assert_eq!(out[0].citation, YEAR_END_CITATION);
    }

    #[test]
    fn a_first_declaration_is_due_days_after_its_event() {
        let d = Declaration {
            kind: DeclarationKind::First as i32,
            year: 2025,
            event_date: proto(2025, 3, 1),
            ..Default::default()
        };
        let out = deadlines(&d, &book(), date!(2025 - 06 - 01)).unwrap();
        assert_eq!(out[0].due_date, proto(2025, 3, 11));
        assert_eq!(out[0].timeliness, Timeliness::Overdue as i32);
    }

    #[test]
    fn hand_over_and_publication_count_from_the_final_receipt() {
        let d = Declaration {
            kind: DeclarationKind::Annual as i32,
            year: 2025,
            status: DeclarationStatus::Resubmitted as i32,
            received_date: proto(2025, 12, 1),
            returned_date: proto(2025, 12, 3),
            resubmitted_date: proto(2025, 12, 5),
            ..Default::default()
        };
        let out = deadlines(&d, &book(), date!(2025 - 12 - 06)).unwrap();
        let steps: Vec<i32> = out.iter().map(|x| x.step).collect();
        assert_eq!(
            steps,
            vec![
                DeclarationStep::Filing as i32,
                DeclarationStep::Return as i32,
                DeclarationStep::HandOver as i32,
                DeclarationStep::Publication as i32
            ]
        );
        assert_eq!(out[1].due_date, proto(2025, 12, 8), "return: received + 7");
        assert_eq!(
            out[2].due_date,
            proto(2025, 12, 25),
            "hand-over: resubmitted + 20"
        );
        assert_eq!(
            out[3].due_date,
            proto(2025, 12, 12),
            "publication: 5 working days"
        );
    }

    #[test]
    fn a_returned_declaration_has_no_hand_over_clock() {
        let d = Declaration {
            kind: DeclarationKind::Annual as i32,
            year: 2025,
            status: DeclarationStatus::Returned as i32,
            received_date: proto(2025, 12, 1),
            returned_date: proto(2025, 12, 3),
            ..Default::default()
        };
        assert_eq!(
            deadlines(&d, &book(), date!(2025 - 12 - 06)).unwrap().len(),
            2
        );
    }
}
