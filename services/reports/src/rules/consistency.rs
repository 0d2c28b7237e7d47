//! The consistency checks, as comparisons of what two services answered:
//! a plan's roster in study against members' roster of the same scope and
//! date; attendance after an expulsion; expulsions oversight applied
//! against members' status; case subjects members does not know. Each
//! mismatch carries both sides' values and where to fix it. Nothing here
//! fixes anything.

use std::collections::{HashMap, HashSet};

use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::MemberStatus,
        oversight::v1::{Case, DisciplinaryDecision, DisciplineForm, MembersEffect},
        reports::v1::{ConsistencyCheck, Mismatch, MismatchKind, MismatchSide},
        study::v1::ClassAttendance,
    },
};

/// The most mismatches a report lists (all are counted).
pub const MAX_LISTED: usize = 1000;

const STUDY_PLANS: &str = "probity.study.v1.PlanService";
const STUDY_RECORDS: &str = "probity.study.v1.StudyRecordService";
const MEMBERS: &str = "probity.members.v1.MemberService";
const OVERSIGHT_DISCIPLINE: &str = "probity.oversight.v1.DisciplineService";
const OVERSIGHT_CASES: &str = "probity.oversight.v1.CaseService";

/// A member placed in an organisation: `members/{id}`,
/// `organizations/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The member.
    pub member: String,
    /// The organisation.
    pub org: String,
}

/// What members says of a member today: `None` when it knows none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The organisation today, `organizations/{id}`.
    pub org: String,
    /// `probity.members.v1.MemberStatus`.
    pub status: i32,
}

fn side(service: &str, source: String, value: impl Into<String>) -> Option<MismatchSide> {
    Some(MismatchSide {
        service: service.into(),
        source,
        value: value.into(),
    })
}

fn status_word(status: i32) -> &'static str {
    match MemberStatus::try_from(status).unwrap_or_default() {
        MemberStatus::Probationary => "probationary",
        MemberStatus::Official => "official",
        MemberStatus::Exempt => "exempt",
        MemberStatus::TransferredOut => "transferred out",
        MemberStatus::Expelled => "expelled",
        MemberStatus::Removed => "removed",
        MemberStatus::Deceased => "deceased",
        _ => "unknown",
    }
}

fn iso(d: Option<&Date>) -> String {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

/// A plan's roster in study (`study`) against the roster members answers
/// for the plan's scope on its roster date (`members`, exempt members left
/// out); `known` holds what members says today of the study roster's
/// members missing from its roster (absent: not looked up). The check's
/// coverage and its mismatches.
pub fn roster(
    plan: &str,
    scope: &str,
    date: &str,
    study: &[Placed],
    members: &[Placed],
    known: &HashMap<String, Option<Known>>,
) -> (ConsistencyCheck, Vec<Mismatch>) {
    let in_members: HashMap<&str, &str> = members
        .iter()
        .map(|p| (p.member.as_str(), p.org.as_str()))
        .collect();
    let in_study: HashSet<&str> = study.iter().map(|p| p.member.as_str()).collect();
    let study_side = |value: String| side(STUDY_PLANS, format!("ListPlanRoster({plan})"), value);
    let members_source = format!("StreamRoster({scope}, as of {date}, exempt left out)");
    let refresh = format!(
        "if members is right, take the roster again: study PlanService.RefreshPlanRoster({plan}); \
         otherwise correct the member's placements in members"
    );
    let mut out = Vec::new();
    for p in study {
        match in_members.get(p.member.as_str()) {
            Some(org) if *org == p.org => {}
            Some(org) => out.push(Mismatch {
                kind: MismatchKind::RosterMemberElsewhere as i32,
                subject: p.member.clone(),
                description: format!(
                    "{} is on {plan}'s roster under {}, members places them in {org} on {date}",
                    p.member, p.org
                ),
                left: study_side(p.org.clone()),
                right: side(MEMBERS, members_source.clone(), *org),
                fix: refresh.clone(),
            }),
            None => {
                let (kind, value, fix) = match known.get(&p.member) {
                    Some(None) => (
                        MismatchKind::RosterMemberUnknown,
                        "not found".to_string(),
                        format!(
                            "remove them from the roster: study PlanService.RefreshPlanRoster({plan})"
                        ),
                    ),
                    Some(Some(k)) => (
                        MismatchKind::RosterMemberElsewhere,
                        format!(
                            "not on the roster of {date}; today in {}, {}",
                            k.org,
                            status_word(k.status)
                        ),
                        refresh.clone(),
                    ),
                    None => (
                        MismatchKind::RosterMemberElsewhere,
                        format!("not on the roster of {date}"),
                        refresh.clone(),
                    ),
                };
                out.push(Mismatch {
                    kind: kind as i32,
                    subject: p.member.clone(),
                    description: format!(
                        "{} is on {plan}'s roster under {}, members: {value}",
                        p.member, p.org
                    ),
                    left: study_side(p.org.clone()),
                    right: side(MEMBERS, members_source.clone(), value),
                    fix,
                });
            }
        }
    }
    for p in members {
        if !in_study.contains(p.member.as_str()) {
            out.push(Mismatch {
                kind: MismatchKind::RosterMemberMissing as i32,
                subject: p.member.clone(),
                description: format!(
                    "{} is on members' roster of {scope} on {date} ({}), not on {plan}'s",
                    p.member, p.org
                ),
                left: study_side("not on the roster".into()),
                right: side(MEMBERS, members_source.clone(), p.org.clone()),
                fix: refresh.clone(),
            });
        }
    }
    if study.len() != members.len() {
        out.push(Mismatch {
            kind: MismatchKind::RosterSize as i32,
            subject: plan.to_string(),
            description: format!(
                "{plan}'s roster holds {} members, members' roster of {scope} on {date} {}",
                study.len(),
                members.len()
            ),
            left: study_side(study.len().to_string()),
            right: side(MEMBERS, members_source, members.len().to_string()),
            fix: refresh,
        });
    }
    let check = ConsistencyCheck {
        name: format!("{plan}: roster against members' roster of {date}"),
        items_checked: (study.len() + members.len()) as i64,
        mismatches: out.len() as i64,
    };
    (check, out)
}

/// The day a member's expulsion took effect, from their events
/// (`(to_status, effective_date)`, oldest first): the last move to
/// EXPELLED.
pub fn expelled_on(events: &[(i32, Option<Date>)]) -> Option<Date> {
    events
        .iter()
        .rev()
        .find(|(to, _)| *to == MemberStatus::Expelled as i32)
        .and_then(|(_, d)| *d)
}

fn after(a: Option<&Date>, b: &Date) -> bool {
    a.is_some_and(|a| (a.year, a.month, a.day) > (b.year, b.month, b.day))
}

/// Attendance recorded for `member`, expelled on `expelled`, at classes
/// held after that day.
pub fn attended_after_expulsion(
    member: &str,
    expelled: &Date,
    attendances: &[ClassAttendance],
) -> Vec<Mismatch> {
    attendances
        .iter()
        .filter(|a| after(a.class_date.as_ref(), expelled))
        .map(|a| Mismatch {
            kind: MismatchKind::AttendeeExpelled as i32,
            subject: member.to_string(),
            description: format!(
                "{member} is recorded `{}` at {} held {}, after their expulsion on {}",
                a.status,
                a.study_class,
                iso(a.class_date.as_ref()),
                iso(Some(expelled))
            ),
            left: side(
                STUDY_RECORDS,
                format!("GetMemberStudyRecord({member})"),
                format!("{} at {}", a.status, a.study_class),
            ),
            right: side(
                MEMBERS,
                format!("ListMemberEvents({member})"),
                format!("expelled {}", iso(Some(expelled))),
            ),
            fix: format!(
                "correct the attendance of {} in study (RecordAttendance), or the expulsion's date in members",
                a.study_class
            ),
        })
        .collect()
}

/// Expulsions oversight records as applied or refused in members, against
/// the member's status there (`statuses`: members' answer, `None` when it
/// knows no such member).
pub fn discipline(
    decisions: &[DisciplinaryDecision],
    statuses: &HashMap<String, Option<i32>>,
) -> Vec<Mismatch> {
    decisions
        .iter()
        .filter(|d| d.form == DisciplineForm::Expulsion as i32)
        .filter(|d| {
            d.members_effect == MembersEffect::Applied as i32
                || d.members_effect == MembersEffect::Refused as i32
        })
        .filter_map(|d| {
            let status = statuses.get(&d.member).copied().flatten();
            if status == Some(MemberStatus::Expelled as i32) {
                return None;
            }
            let effect = if d.members_effect == MembersEffect::Applied as i32 {
                "applied"
            } else {
                "refused by members"
            };
            Some(Mismatch {
                kind: MismatchKind::DisciplineStatus as i32,
                subject: d.name.clone(),
                description: format!(
                    "expulsion {} of {} ({effect}); members has them {}",
                    d.decision_number,
                    d.member,
                    status.map_or("not at all", status_word)
                ),
                left: side(
                    OVERSIGHT_DISCIPLINE,
                    format!("ListDisciplinaryDecisions → {}", d.name),
                    format!("expulsion, {effect}, effective {}", iso(d.effective_date.as_ref())),
                ),
                right: side(
                    MEMBERS,
                    format!("GetMember({})", d.member),
                    status.map_or("not found".to_string(), |s| status_word(s).to_string()),
                ),
                fix: format!(
                    "record the expulsion in members (RecordMemberEvent) or retry the delivery in oversight (JobService.RetryJob for {})",
                    d.name
                ),
            })
        })
        .collect()
}

/// Case subjects that name a member members does not know (`known`:
/// members' answer for each named member).
pub fn case_subjects(cases: &[Case], known: &HashMap<String, bool>) -> Vec<Mismatch> {
    cases
        .iter()
        .flat_map(|c| c.subjects.iter().map(move |s| (c, s)))
        .filter(|(_, s)| !s.member.is_empty() && known.get(&s.member) == Some(&false))
        .map(|(c, s)| Mismatch {
            kind: MismatchKind::CaseSubjectUnknown as i32,
            subject: c.name.clone(),
            description: format!(
                "{} names {} ({}) as a subject; members has no such member",
                c.name, s.member, s.full_name
            ),
            left: side(
                OVERSIGHT_CASES,
                format!("ListCases → {}", c.name),
                s.member.clone(),
            ),
            right: side(MEMBERS, format!("GetMember({})", s.member), "not found"),
            fix: format!("correct the subject of {} in oversight", c.name),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::oversight::v1::CaseSubject;

    use super::*;

    fn placed(m: &str, o: &str) -> Placed {
        Placed {
            member: format!("members/{m}"),
            org: format!("organizations/{o}"),
        }
    }

    fn kinds(list: &[Mismatch]) -> Vec<MismatchKind> {
        list.iter()
            .map(|m| MismatchKind::try_from(m.kind).unwrap())
            .collect()
    }

    #[test]
    fn agreeing_rosters_have_no_mismatch() {
        let both = [placed("a", "x"), placed("b", "y")];
        let (check, found) = roster(
            "plans/p",
            "organizations/s",
            "2016-11-30",
            &both,
            &both,
            &HashMap::new(),
        );
        assert!(found.is_empty());
        assert_eq!(check.items_checked, 4);
    }

    #[test]
    fn each_roster_disagreement_is_named_with_both_sides() {
        let study = [placed("a", "x"), placed("b", "y"), placed("gone", "y")];
        let members = [placed("a", "x"), placed("b", "z"), placed("new", "x")];
        let mut known = HashMap::new();
        known.insert("members/gone".to_string(), None);
        let (check, found) = roster(
            "plans/p",
            "organizations/s",
            "2016-11-30",
            &study,
            &members,
            &known,
        );
        assert_eq!(
            kinds(&found),
            [
                MismatchKind::RosterMemberElsewhere,
                MismatchKind::RosterMemberUnknown,
                MismatchKind::RosterMemberMissing,
            ]
        );
        assert_eq!(check.mismatches, 3);
        let elsewhere = &found[0];
        assert_eq!(elsewhere.left.as_ref().unwrap().value, "organizations/y");
        assert_eq!(elsewhere.right.as_ref().unwrap().value, "organizations/z");
        assert!(elsewhere.fix.contains("RefreshPlanRoster(plans/p)"));
        let (_, sized) = roster("plans/p", "s", "d", &study[..1], &members, &HashMap::new());
        assert!(kinds(&sized).contains(&MismatchKind::RosterSize));
    }

    fn day(year: i32, month: i32, day: i32) -> Option<Date> {
        Some(Date { year, month, day })
    }

    #[test]
    fn attendance_after_an_expulsion_is_found_and_before_it_is_not() {
        let expelled = expelled_on(&[
            (MemberStatus::Official as i32, day(2010, 1, 1)),
            (MemberStatus::Expelled as i32, day(2017, 3, 1)),
        ])
        .unwrap();
        let class = |d| ClassAttendance {
            study_class: "classes/c".into(),
            class_date: d,
            status: "present".into(),
            attended: true,
            ..Default::default()
        };
        let found = attended_after_expulsion(
            "members/m",
            &expelled,
            &[class(day(2017, 2, 1)), class(day(2017, 3, 2))],
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].description.contains("2017-03-02"));
        assert!(expelled_on(&[(MemberStatus::Official as i32, day(2010, 1, 1))]).is_none());
    }

    #[test]
    fn an_applied_expulsion_must_show_in_members() {
        let decision = |effect: MembersEffect| DisciplinaryDecision {
            name: "disciplinaryDecisions/d".into(),
            member: "members/m".into(),
            form: DisciplineForm::Expulsion as i32,
            members_effect: effect as i32,
            ..Default::default()
        };
        let mut statuses = HashMap::new();
        statuses.insert("members/m".to_string(), Some(MemberStatus::Official as i32));
        let found = discipline(&[decision(MembersEffect::Applied)], &statuses);
        assert_eq!(kinds(&found), [MismatchKind::DisciplineStatus]);
        assert_eq!(found[0].right.as_ref().unwrap().value, "official");
        assert!(discipline(&[decision(MembersEffect::Pending)], &statuses).is_empty());
        statuses.insert("members/m".to_string(), Some(MemberStatus::Expelled as i32));
        assert!(discipline(&[decision(MembersEffect::Applied)], &statuses).is_empty());
    }

    #[test]
    fn a_case_subject_members_does_not_know_is_found() {
        let case = Case {
            name: "cases/c".into(),
            subjects: vec![
                CaseSubject {
                    member: "members/known".into(),
                    ..Default::default()
                },
                CaseSubject {
                    member: "members/ghost".into(),
                    full_name: "Ai đó".into(),
                    ..Default::default()
                },
                CaseSubject {
                    full_name: "Người ngoài".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let known = HashMap::from([
            ("members/known".to_string(), true),
            ("members/ghost".to_string(), false),
        ]);
        let found = case_subjects(&[case], &known);
        assert_eq!(found.len(), 1);
        assert!(found[0].description.contains("members/ghost"));
    }
}
