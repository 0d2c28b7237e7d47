//! The seed scenario: the province of the source document studying
//! Resolution 4 of the 12th Central Committee under plan `31-KH/TU` of
//! 30/11/2016, recorded through the public API, ending with exactly the
//! document's figures: 317 classes, 32,560 of 32,986 eligible members
//! attended (98.71%), 5,873 non-members.
//!
//! The figures come out of the recorded data, not out of counters: the
//! scenario includes what makes a naive count wrong.
//! - Eligibility: 33,000 members; 9 exempt on the reference date (3 of
//!   them back to activities in January, then attending), 5 transferred out
//!   before it. 30 members move to another grassroots organisation after
//!   the reference date (counted once, where they were on that date), 20
//!   before it; 7 leave after the period. 25 members admitted in January
//!   2017 attend classes but are not eligible.
//! - Classes: 84 grassroots conferences, 216 cell classes, 8 make-up
//!   classes and 9 district briefings of presenters that do not count
//!   toward the rate; one class cancelled (not counted as held).
//! - Attendance: 426 eligible members never attend a counted class (some
//!   excused, some absent, some left unmarked and defaulted at closing;
//!   five of them only at a briefing). 48 members miss their conference and
//!   attend the make-up; 24 attend both; every cell secretary attends the
//!   briefing and their own class.
//! - Non-members: 5,500 counted by head, 373 named, 40 of whom (with the
//!   same identity number) attend two classes: 5,873 people.
//! - Learning reports for one cell per district (some late, most
//!   accepted, a few failed, one extension, one reopened), and 12
//!   supervision visits.
//!
//! Every create carries a request id derived from the scenario, so a
//! second run over the same data changes nothing.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result, bail};
use futures::{StreamExt, TryStreamExt, stream};
use probity_platform::client::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            BatchCreateMembersRequest, CreateMemberRequest, Gender, Member, MemberEventKind,
            RecordMemberEventRequest, StreamRosterRequest, StreamRosterResponse,
            member_service_client::MemberServiceClient,
        },
        study::v1::{
            AttendanceEntry, CancelClassRequest, ClassFormat, CloseClassRequest,
            CreateClassRequest, CreateDocumentRequest, CreatePlanRequest,
            CreateSupervisionVisitRequest, Document, EvaluateLearningReportRequest,
            GrantReportExtensionRequest, LearningReportRequirement, ListDocumentsRequest, Material,
            NonMemberAttendee, Plan, Presenter, ReopenLearningReportRequest, ReportGrade,
            SetNonMemberAttendanceRequest, StreamAttendanceRequest, StudyClass,
            SubmitLearningReportRequest, SupervisionRating, SupervisionVisit,
            class_service_client::ClassServiceClient,
            document_service_client::DocumentServiceClient,
            learning_report_service_client::LearningReportServiceClient,
            plan_service_client::PlanServiceClient,
            supervision_service_client::SupervisionServiceClient,
        },
    },
};

use crate::{
    Province, ProvinceSpec, generate_province_tallied,
    province::{date, status},
};

/// The figures the scenario must end with (from the source document).
pub mod figures {
    /// Classes held.
    pub const CLASSES: i32 = 317;
    /// Eligible members who attended.
    pub const ATTENDED: i64 = 32_560;
    /// Eligible members.
    pub const ELIGIBLE: i64 = 32_986;
    /// The rate.
    pub const PERCENT: &str = "98.71";
    /// Non-members who attended.
    pub const NON_MEMBERS: i64 = 5_873;
}

/// The plan's number-symbol.
pub const PLAN_SYMBOL: &str = "31-KH/TU";

/// The province's period report the source document is: 30/6/2016 to
/// 31/3/2021, figures as of its last day, under a fixed request id (a
/// second run answers with the report the first issued).
pub fn period_report_request(
    province: &str,
) -> probity_proto::probity::reports::v1::IssueReportRequest {
    probity_proto::probity::reports::v1::IssueReportRequest {
        organization: province.to_string(),
        period_start: date(2016, 6, 30),
        period_end: date(2021, 3, 31),
        as_of: date(2021, 3, 31),
        request_id: "seed-period-report".into(),
        ..Default::default()
    }
}

const ABSENTEES: usize = 426;
const BATCH: usize = 500;
/// Calls in flight at once where the scenario sends many alike.
const IN_FLIGHT: usize = 8;

/// The province of the scenario: the default shape (9 districts, 108
/// grassroots organisations, 972 cells, 33,000 members), every member
/// admitted by 2014 and so official on the reference date.
pub fn province_spec() -> ProvinceSpec {
    ProvinceSpec {
        admission_years: (1980, 2014),
        ..ProvinceSpec::default()
    }
}

/// What the scenario recorded.
#[derive(Debug, Clone)]
pub struct SeedOutcome {
    /// The plan, `plans/{id}`.
    pub plan: String,
    /// The province organisation.
    pub province: String,
    /// Members created (generator and the 2017 admissions).
    pub members: usize,
    /// Classes created (including the cancelled one).
    pub classes: usize,
    /// Attendance entries sent.
    pub attendance_entries: usize,
    /// Learning reports submitted.
    pub reports: usize,
    /// Seconds to load the province (organisations and members).
    pub province_seconds: f64,
    /// Of those: organisations, then members (with the cell secretaries).
    pub province_phases: [f64; 2],
    /// Seconds for everything after: member events, documents, the plan,
    /// classes, attendance, non-members, reports, visits.
    pub study_seconds: f64,
    /// Of those: seconds per phase, in order.
    pub study_phases: Vec<(&'static str, f64)>,
}

/// Wall-clock time of consecutive phases.
struct Laps {
    clock: std::time::Instant,
    done: Vec<(&'static str, f64)>,
}

impl Laps {
    fn new() -> Self {
        Self {
            clock: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    /// Ends the phase `name` and starts the next.
    fn lap(&mut self, name: &'static str) {
        self.done.push((name, self.clock.elapsed().as_secs_f64()));
        self.clock = std::time::Instant::now();
    }
}

/// The date `days` after `(y, m, d)`.
fn plus(y: i32, m: u8, d: u8, days: i64) -> time::Date {
    let month = time::Month::try_from(m).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(y, month, d).unwrap_or(time::Date::MIN)
        + time::Duration::days(days)
}

fn wire(d: time::Date) -> Option<Date> {
    date(d.year(), d.month() as i32, i32::from(d.day()))
}

/// 08:00 in Vietnam (01:00 UTC) on `d`.
fn eight_am(d: time::Date) -> Option<prost_types::Timestamp> {
    let midnight = d.midnight().assume_utc().unix_timestamp();
    Some(prost_types::Timestamp {
        seconds: midnight + 3600,
        nanos: 0,
    })
}

/// One class of the scenario before it is created.
#[derive(Debug, Clone)]
struct ClassPlan {
    key: String,
    org: String,
    title: String,
    day: time::Date,
    excluded: bool,
    /// Key of the class it makes up for.
    make_up_for: Option<String>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Briefing,
    Session,
    MakeUp,
}

/// Loads the scenario: the province into members (through `members`), then
/// everything else; study calls go through `study` (the same channel when
/// both services share a server).
pub async fn seed_scenario(members: Authed, study: Authed) -> Result<SeedOutcome> {
    seed_scenario_tallied(members, study, &crate::Tally::default()).await
}

/// [`seed_scenario`], counting the province's organisations and members,
/// the classes and the classes' attendance in `tally` as they are sent.
pub async fn seed_scenario_tallied(
    members: Authed,
    study: Authed,
    tally: &crate::Tally,
) -> Result<SeedOutcome> {
    let spec = province_spec();
    let started = std::time::Instant::now();
    let province = generate_province_tallied(members.clone(), &spec, tally).await?;
    let province_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut laps = Laps::new();
    let mut member_client = MemberServiceClient::new(members.clone());
    let code = spec.code.clone();

    // Member events around the reference date.
    let non_heads: Vec<usize> = (0..province.members.len())
        .filter(|&i| !province.members[i].head)
        .collect();
    let m = |i: usize| province.members[non_heads[i]].name.clone();
    let cell_index: HashMap<&str, usize> = province
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let elsewhere = |i: usize| -> String {
        let cell = cell_index[province.members[non_heads[i]].cell.as_str()];
        province.cells[(cell + 9 * 7) % province.cells.len()].clone()
    };
    let mut events: Vec<(String, MemberEventKind, Option<Date>, String)> = Vec::new();
    for i in 100..109 {
        events.push((
            m(i),
            MemberEventKind::Exempted,
            date(2016, 6, 1),
            String::new(),
        ));
    }
    for i in 100..103 {
        events.push((
            m(i),
            MemberEventKind::ExemptionEnded,
            date(2017, 1, 2),
            String::new(),
        ));
    }
    for i in 200..205 {
        events.push((
            m(i),
            MemberEventKind::TransferredOut,
            date(2016, 9, 1),
            String::new(),
        ));
    }
    for k in 0..30 {
        let i = 300 + k * 37;
        events.push((
            m(i),
            MemberEventKind::Transferred,
            date(2016, 12, 1),
            elsewhere(i),
        ));
    }
    for k in 0..20 {
        let i = 2000 + k * 41;
        events.push((
            m(i),
            MemberEventKind::Transferred,
            date(2016, 10, 15),
            elsewhere(i),
        ));
    }
    for k in 0..7 {
        let kind = if k < 4 {
            MemberEventKind::Deceased
        } else {
            MemberEventKind::TransferredOut
        };
        events.push((m(5000 + k * 53), kind, date(2017, 4, 1), String::new()));
    }
    for (n, (member, kind, day, target)) in events.into_iter().enumerate() {
        member_client
            .record_member_event(RecordMemberEventRequest {
                member: member.clone(),
                kind: kind as i32,
                effective_date: day,
                target_organization: target,
                note: "Kịch bản mẫu".into(),
                etag: String::new(),
                request_id: format!("seed-{code}-event-{n}"),
            })
            .await
            .map_err(status(&format!("event {n} for {member}")))?;
    }
    // Admitted in January 2017: they attend, they are not eligible.
    let newcomers: Vec<CreateMemberRequest> = (0..25)
        .map(|k| CreateMemberRequest {
            member: Some(Member {
                party_card_number: format!("{}", spec.first_card + 40_000 + k as u64),
                full_name: format!("Đảng viên mới {k:02}"),
                date_of_birth: date(1995, 1 + (k % 12) as i32, 10),
                gender: Gender::Female as i32,
                organization: province.cells[(k * 37) % province.cells.len()].clone(),
                admission_date: date(2017, 1, 3),
                ..Default::default()
            }),
            official_date: None,
            request_id: String::new(),
        })
        .collect();
    member_client
        .batch_create_members(BatchCreateMembersRequest {
            requests: newcomers,
            request_id: format!("seed-{code}-newcomers"),
            validate_only: false,
        })
        .await
        .map_err(status("admitting the 2017 members"))?;

    laps.lap("member events");

    // Documents and the plan.
    let mut docs = DocumentServiceClient::new(study.clone());
    let mut documents = Vec::new();
    for (symbol, day, title, body) in [
        (
            "04-NQ/TW",
            date(2016, 10, 30),
            "Nghị quyết Hội nghị lần thứ tư Ban Chấp hành Trung ương Đảng khóa XII về tăng cường xây dựng, chỉnh đốn Đảng",
            "Ban Chấp hành Trung ương",
        ),
        (
            "05-CT/TW",
            date(2016, 5, 15),
            "Chỉ thị của Bộ Chính trị về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
            "Bộ Chính trị",
        ),
    ] {
        let created = docs
            .create_document(CreateDocumentRequest {
                document: Some(Document {
                    symbol: symbol.into(),
                    issue_date: day,
                    title: title.into(),
                    issuing_body: body.into(),
                    term: "XII".into(),
                    ..Default::default()
                }),
                request_id: format!("seed-{code}-doc-{symbol}"),
            })
            .await;
        let name = match created {
            Ok(d) => d.into_inner().name,
            Err(s) if s.code() == tonic::Code::AlreadyExists => docs
                .list_documents(ListDocumentsRequest {
                    symbol: symbol.into(),
                    ..Default::default()
                })
                .await
                .map_err(status("finding a document"))?
                .into_inner()
                .documents
                .first()
                .map(|d| d.name.clone())
                .context("document said to exist")?,
            Err(s) => return Err(status(&format!("document {symbol}"))(s)),
        };
        documents.push(name);
    }
    let mut plans = PlanServiceClient::new(study.clone());
    let plan = plans
        .create_plan(CreatePlanRequest {
            plan: Some(Plan {
                symbol: PLAN_SYMBOL.into(),
                issue_date: date(2016, 11, 30),
                title: "Kế hoạch học tập, quán triệt Nghị quyết Hội nghị lần thứ tư Ban Chấp hành Trung ương Đảng khóa XII"
                    .into(),
                documents: documents.clone(),
                scope: province.province.clone(),
                audience: "Cán bộ, đảng viên và quần chúng".into(),
                period_start: date(2016, 12, 1),
                period_end: date(2017, 2, 28),
                reference_date: date(2016, 11, 30),
                learning_report: Some(LearningReportRequirement {
                    required: true,
                    due_days: 15,
                    cutoff_date: date(2017, 3, 31),
                }),
                ..Default::default()
            }),
            request_id: format!("seed-{code}-plan"),
        })
        .await
        .map_err(status("creating the plan"))?
        .into_inner();
    if i64::from(plan.eligible_members) != figures::ELIGIBLE {
        bail!(
            "the plan's roster has {} eligible members, the scenario needs {}; was the province loaded into a database that already had members?",
            plan.eligible_members,
            figures::ELIGIBLE
        );
    }

    laps.lap("documents, plan and its roster");

    // The eligible members, and who never attends.
    let eligible = roster(&members, &province.province, date(2016, 11, 30), true).await?;
    let heads: HashSet<&str> = province
        .members
        .iter()
        .filter(|m| m.head)
        .map(|m| m.name.as_str())
        .collect();
    let mut candidates: Vec<&str> = eligible
        .iter()
        .map(|e| e.member.as_str())
        .filter(|m| !heads.contains(m))
        .collect();
    candidates.sort_unstable();
    let step = candidates.len() / ABSENTEES;
    let absent: Vec<String> = (0..ABSENTEES)
        .map(|k| candidates[k * step].to_string())
        .collect();
    let absent_set: HashSet<&str> = absent.iter().map(String::as_str).collect();
    let eligible_set: HashSet<&str> = eligible.iter().map(|e| e.member.as_str()).collect();

    laps.lap("eligible roster (client)");

    // The classes.
    let classes = class_plans(&province);
    let mut class_client = ClassServiceClient::new(study.clone());
    tally.start("classes", classes.len());
    let created: Vec<(ClassPlan, StudyClass)> = stream::iter(classes.clone())
        .map(|c| {
            let mut client = class_client.clone();
            let plan = plan.name.clone();
            let documents = documents.clone();
            let code = code.clone();
            async move {
                let created = client
                    .create_class(CreateClassRequest {
                        study_class: Some(class_request(&plan, &c, &documents, None)),
                        request_id: format!("seed-{code}-class-{}", c.key),
                    })
                    .await
                    .map_err(status(&format!("class {}", c.key)))?
                    .into_inner();
                tally.add(1);
                Ok::<_, anyhow::Error>((c, created))
            }
        })
        .buffered(IN_FLIGHT)
        .try_collect()
        .await?;
    laps.lap("classes");
    let names: HashMap<String, String> = created
        .iter()
        .map(|(c, s)| (c.key.clone(), s.name.clone()))
        .collect();
    let mut make_ups: Vec<(ClassPlan, StudyClass)> = Vec::new();
    for (g, day) in make_up_days(&province) {
        let original = format!("plenary-{g}");
        let c = ClassPlan {
            key: format!("makeup-{g}"),
            org: province.grassroots[g].clone(),
            title: "Lớp học bù Nghị quyết Trung ương 4 khóa XII".into(),
            day,
            excluded: false,
            make_up_for: Some(original),
            kind: Kind::MakeUp,
        };
        let made = class_client
            .create_class(CreateClassRequest {
                study_class: Some(class_request(
                    &plan.name,
                    &c,
                    &documents,
                    c.make_up_for.as_ref().and_then(|k| names.get(k)),
                )),
                request_id: format!("seed-{code}-class-{}", c.key),
            })
            .await
            .map_err(status(&format!("class {}", c.key)))?
            .into_inner();
        make_ups.push((c, made));
    }
    // One class called off by a storm.
    let off = ClassPlan {
        key: "cancelled".into(),
        org: province.grassroots[province.grassroots.len() - 1].clone(),
        title: "Hội nghị (hoãn do bão)".into(),
        day: plus(2016, 12, 8, 0),
        excluded: false,
        make_up_for: None,
        kind: Kind::Session,
    };
    let cancelled = class_client
        .create_class(CreateClassRequest {
            study_class: Some(class_request(&plan.name, &off, &documents, None)),
            request_id: format!("seed-{code}-class-cancelled"),
        })
        .await
        .map_err(status("the cancelled class"))?
        .into_inner();
    if cancelled.state != probity_proto::probity::study::v1::ClassState::Cancelled as i32 {
        class_client
            .cancel_class(CancelClassRequest {
                name: cancelled.name.clone(),
                reason: "Hoãn do bão số 8".into(),
                etag: String::new(),
                request_id: format!("seed-{code}-cancel"),
            })
            .await
            .map_err(status("cancelling"))?;
    }

    laps.lap("make-ups and the cancelled class");

    // Who misses the conference and comes to the make-up, who comes to
    // both: eligible, not absentees, not secretaries, of the grassroots
    // organisations holding a make-up.
    let mut make_up_only: HashMap<usize, Vec<String>> = HashMap::new();
    let mut both: HashMap<usize, Vec<String>> = HashMap::new();
    let make_up_grassroots: Vec<usize> = make_up_days(&province)
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    for &g in &make_up_grassroots {
        let (_, day) = plenary_day(g);
        let members_then = roster(&members, &province.grassroots[g], wire(day), false).await?;
        let mut picks = members_then.iter().map(|r| r.member.clone()).filter(|m| {
            eligible_set.contains(m.as_str())
                && !absent_set.contains(m.as_str())
                && !heads.contains(m.as_str())
        });
        make_up_only.insert(g, picks.by_ref().take(6).collect());
        both.insert(g, picks.take(3).collect());
    }

    // Attendance, non-members, closing.
    let sessions: Vec<&(ClassPlan, StudyClass)> = created
        .iter()
        .filter(|(c, _)| c.kind == Kind::Session)
        .collect();
    let session_index: HashMap<&str, usize> = sessions
        .iter()
        .enumerate()
        .map(|(i, (c, _))| (c.key.as_str(), i))
        .collect();
    let head_cells: HashMap<&str, &str> = province
        .members
        .iter()
        .filter(|m| m.head)
        .map(|m| (m.cell.as_str(), m.name.as_str()))
        .collect();
    let entries_for = |c: &ClassPlan, here: &[StreamRosterResponse]| -> Vec<AttendanceEntry> {
        match c.kind {
            Kind::Briefing => {
                let d = province
                    .districts
                    .iter()
                    .position(|x| *x == c.org)
                    .unwrap_or(0);
                let per = province.grassroots.len() / province.districts.len();
                let mut out: Vec<AttendanceEntry> = province.grassroots[d * per..(d + 1) * per]
                    .iter()
                    .flat_map(|g| cells_of(&province, g))
                    .filter_map(|cell| head_cells.get(cell.as_str()))
                    .map(|h| entry(h, "present", ""))
                    .collect();
                if d == 0 {
                    // Five absentees of the district come to the briefing
                    // only: it does not count.
                    let theirs: HashSet<&str> = here.iter().map(|r| r.member.as_str()).collect();
                    out.extend(
                        absent
                            .iter()
                            .filter(|a| theirs.contains(a.as_str()))
                            .take(5)
                            .map(|a| entry(a, "present", "")),
                    );
                }
                out
            }
            Kind::Session => {
                let g = c
                    .key
                    .strip_prefix("plenary-")
                    .and_then(|g| g.parse::<usize>().ok());
                let skip: HashSet<&str> = g
                    .and_then(|g| make_up_only.get(&g))
                    .map(|v| v.iter().map(String::as_str).collect())
                    .unwrap_or_default();
                let mut out = Vec::with_capacity(here.len());
                for (k, r) in here.iter().enumerate() {
                    let who = r.member.as_str();
                    if absent_set.contains(who) {
                        match k % 3 {
                            0 => out.push(entry(who, "excused", "Ốm, có đơn xin phép")),
                            1 => out.push(entry(who, "absent", "")),
                            _ => {} // left unmarked: absent when the class closes
                        }
                    } else if skip.contains(who) {
                        out.push(entry(who, "absent", "Đi công tác"));
                    } else if !eligible_set.contains(who) && r.status == 3 && k % 2 == 0 {
                        // Exempt members are not expected; some come.
                        out.push(entry(who, "present", "Đảng viên miễn sinh hoạt"));
                    } else if eligible_set.contains(who) || r.status != 3 {
                        let late = k % 37 == 0;
                        out.push(entry(who, if late { "late" } else { "present" }, ""));
                    }
                }
                out
            }
            Kind::MakeUp => {
                let g = c
                    .key
                    .strip_prefix("makeup-")
                    .and_then(|g| g.parse::<usize>().ok())
                    .unwrap_or(0);
                make_up_only
                    .get(&g)
                    .into_iter()
                    .flatten()
                    .chain(both.get(&g).into_iter().flatten())
                    .map(|m| entry(m, "present", ""))
                    .collect()
            }
        }
    };
    // Per class: its organiser's roster on the day (where the attendance
    // is drawn from it), then the attendance in one stream; a few classes
    // at a time.
    tally.start("attendance (classes)", created.len() + make_ups.len());
    let sent: Vec<usize> = stream::iter(created.iter().chain(make_ups.iter()))
        .map(|(c, made)| {
            let client = class_client.clone();
            let members = members.clone();
            let code = code.clone();
            let entries_for = &entries_for;
            async move {
                let here = if c.kind == Kind::Session || c.key == "briefing-0" {
                    roster(&members, &c.org, wire(c.day), false).await?
                } else {
                    Vec::new()
                };
                let entries = entries_for(c, &here);
                let batches: Vec<StreamAttendanceRequest> = entries
                    .chunks(BATCH)
                    .enumerate()
                    .map(|(b, chunk)| StreamAttendanceRequest {
                        study_class: made.name.clone(),
                        entries: chunk.to_vec(),
                        request_id: format!("seed-{code}-att-{}-{b}", c.key),
                    })
                    .collect();
                if !batches.is_empty() {
                    crate::province::retrying(|| {
                        let mut client = client.clone();
                        let batches = batches.clone();
                        async move { client.stream_attendance(stream::iter(batches)).await }
                    })
                    .await
                    .map_err(status(&format!("attendance of {}", c.key)))?;
                }
                tally.add(1);
                Ok::<_, anyhow::Error>(entries.len())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    let entries_sent: usize = sent.iter().sum();
    laps.lap("attendance (rosters and streams)");

    // Non-members at the 300 conferences and cell classes.
    let n = sessions.len();
    let mut named: Vec<Vec<NonMemberAttendee>> = vec![Vec::new(); n];
    for p in 0..300 {
        let person = NonMemberAttendee {
            full_name: format!("Quần chúng {p:03}"),
            identity_number: format!("0720{:08}", 16_000 + p),
            note: "Đoàn viên thanh niên".into(),
        };
        if p < 40 {
            named[(p + 150) % n].push(person.clone());
        }
        named[p % n].push(person);
    }
    for p in 0..73 {
        named[p % n].push(NonMemberAttendee {
            full_name: format!("Quần chúng không rõ số CCCD {p:02}"),
            identity_number: String::new(),
            note: String::new(),
        });
    }
    let non_member_jobs: Vec<(String, i32, Vec<NonMemberAttendee>)> = sessions
        .iter()
        .map(|(c, made)| {
            let i = session_index[c.key.as_str()];
            let heads = 18 + i32::from(i < 100);
            (made.name.clone(), heads, named[i].clone())
        })
        .collect();
    stream::iter(non_member_jobs.into_iter().enumerate())
        .map(|(i, (name, head_count, attendees))| {
            let mut client = class_client.clone();
            let code = code.clone();
            async move {
                client
                    .set_non_member_attendance(SetNonMemberAttendanceRequest {
                        study_class: name,
                        head_count,
                        attendees,
                        request_id: format!("seed-{code}-nonmembers-{i}"),
                    })
                    .await
                    .map_err(status("non-members"))?;
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect::<Vec<()>>()
        .await?;

    laps.lap("non-members");

    // Close every class but the briefings (they expect only presenters);
    // make-ups after the classes they make up for.
    for kind in [Kind::Session, Kind::MakeUp] {
        let to_close: Vec<(String, String)> = created
            .iter()
            .chain(make_ups.iter())
            .filter(|(c, _)| c.kind == kind)
            .map(|(c, made)| (c.key.clone(), made.name.clone()))
            .collect();
        stream::iter(to_close)
            .map(|(key, name)| {
                let mut client = class_client.clone();
                let code = code.clone();
                async move {
                    client
                        .close_class(CloseClassRequest {
                            name,
                            etag: String::new(),
                            request_id: format!("seed-{code}-close-{key}"),
                        })
                        .await
                        .map(|_| ())
                        .map_err(status(&format!("closing {key}")))
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
    }

    laps.lap("closing");
    let reports =
        learning_reports(&study, &members, &province, &created, &absent_set, &code).await?;
    laps.lap("learning reports");
    supervision(&study, &plan.name, &province, &code).await?;
    laps.lap("supervision visits");
    Ok(SeedOutcome {
        plan: plan.name,
        province: province.province.clone(),
        members: province.members.len() + 25,
        classes: created.len() + make_ups.len() + 1,
        attendance_entries: entries_sent,
        reports,
        province_seconds,
        province_phases: province.phase_seconds,
        study_seconds: started.elapsed().as_secs_f64(),
        study_phases: laps.done,
    })
}

fn entry(member: &str, status: &str, remark: &str) -> AttendanceEntry {
    AttendanceEntry {
        member: member.into(),
        status: status.into(),
        remark: remark.into(),
    }
}

/// The cells of grassroots organisation `g` (by name).
fn cells_of<'a>(province: &'a Province, g: &str) -> &'a [String] {
    let per = province.cells.len() / province.grassroots.len().max(1);
    let i = province.grassroots.iter().position(|x| x == g).unwrap_or(0);
    &province.cells[i * per..(i + 1) * per]
}

/// The grassroots organisations holding a conference (the first 84;
/// the other 24 hold one class per cell).
const CONFERENCES: usize = 84;

fn plenary_day(g: usize) -> (usize, time::Date) {
    (g, plus(2016, 12, 12, (g % 40) as i64))
}

fn make_up_days(province: &Province) -> Vec<(usize, time::Date)> {
    (0..8)
        .map(|k| k * 10)
        .filter(|&g| g < province.grassroots.len().min(CONFERENCES))
        .map(|g| (g, plenary_day(g).1 + time::Duration::days(21)))
        .collect()
}

fn class_plans(province: &Province) -> Vec<ClassPlan> {
    let mut out = Vec::new();
    for (d, district) in province.districts.iter().enumerate() {
        out.push(ClassPlan {
            key: format!("briefing-{d}"),
            org: district.clone(),
            title: "Hội nghị báo cáo viên".into(),
            day: plus(2016, 12, 5, 0),
            excluded: true,
            make_up_for: None,
            kind: Kind::Briefing,
        });
    }
    for (g, grassroots) in province.grassroots.iter().enumerate() {
        if g < CONFERENCES {
            out.push(ClassPlan {
                key: format!("plenary-{g}"),
                org: grassroots.clone(),
                title: "Hội nghị học tập, quán triệt Nghị quyết Trung ương 4 khóa XII".into(),
                day: plenary_day(g).1,
                excluded: false,
                make_up_for: None,
                kind: Kind::Session,
            });
        } else {
            for (c, cell) in cells_of(province, grassroots).iter().enumerate() {
                out.push(ClassPlan {
                    key: format!("cell-{g}-{c}"),
                    org: cell.clone(),
                    title: "Chi bộ học tập Nghị quyết Trung ương 4 khóa XII".into(),
                    day: plus(2016, 12, 15, (((g - CONFERENCES) * 9 + c) % 45) as i64),
                    excluded: false,
                    make_up_for: None,
                    kind: Kind::Session,
                });
            }
        }
    }
    out
}

fn class_request(
    plan: &str,
    c: &ClassPlan,
    documents: &[String],
    make_up_for: Option<&String>,
) -> StudyClass {
    let online = c.kind == Kind::Briefing;
    StudyClass {
        plan: plan.into(),
        organization: c.org.clone(),
        title: c.title.clone(),
        start_time: eight_am(c.day),
        format: if online {
            ClassFormat::Hybrid
        } else {
            ClassFormat::InPerson
        } as i32,
        venue: "Hội trường".into(),
        online_link: if online {
            "https://hop.tayninh.gov.vn/hoi-nghi".into()
        } else {
            String::new()
        },
        presenters: vec![Presenter {
            full_name: "Báo cáo viên Tỉnh ủy".into(),
            position: "Phó Trưởng ban Tuyên giáo".into(),
            member: String::new(),
        }],
        materials: documents
            .iter()
            .map(|d| Material {
                title: "Tài liệu học tập".into(),
                document: d.clone(),
                copies: 50,
            })
            .collect(),
        make_up_for: make_up_for.cloned().unwrap_or_default(),
        excluded_from_rate: c.excluded,
        ..Default::default()
    }
}

/// The roster of `org` on `day`, from members.
async fn roster(
    members: &Authed,
    org: &str,
    day: Option<Date>,
    exclude_exempt: bool,
) -> Result<Vec<StreamRosterResponse>> {
    let client = MemberServiceClient::new(members.clone());
    let mut s = crate::province::retrying(|| {
        let mut client = client.clone();
        async move {
            client
                .stream_roster(StreamRosterRequest {
                    organization: org.into(),
                    as_of: day,
                    exclude_exempt,
                })
                .await
        }
    })
    .await
    .map_err(status("roster"))?
    .into_inner();
    let mut out = Vec::new();
    while let Some(r) = s.message().await.map_err(status("roster"))? {
        out.push(r);
    }
    Ok(out)
}

/// Learning reports from the first cell of each district's first
/// conference; returns how many were submitted.
async fn learning_reports(
    study: &Authed,
    members: &Authed,
    province: &Province,
    created: &[(ClassPlan, StudyClass)],
    absent: &HashSet<&str>,
    code: &str,
) -> Result<usize> {
    let per = province.grassroots.len() / province.districts.len().max(1);
    let counts: Vec<usize> = stream::iter(0..province.districts.len())
        .map(|d| district_reports(study, members, province, created, absent, code, d * per, d))
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(counts.iter().sum())
}

/// The learning reports of district `d`, from the first cell of its
/// grassroots organisation `g`; returns how many were submitted.
#[allow(clippy::too_many_arguments)]
async fn district_reports(
    study: &Authed,
    members: &Authed,
    province: &Province,
    created: &[(ClassPlan, StudyClass)],
    absent: &HashSet<&str>,
    code: &str,
    g: usize,
    d: usize,
) -> Result<usize> {
    let mut client = LearningReportServiceClient::new(study.clone());
    let mut n = 0;
    let key = format!("plenary-{g}");
    let Some((c, made)) = created.iter().find(|(c, _)| c.key == key) else {
        return Ok(0);
    };
    let cell = &cells_of(province, &province.grassroots[g])[0];
    let writers = roster(members, cell, wire(c.day), true).await?;
    for (k, w) in writers.iter().enumerate() {
        if absent.contains(w.member.as_str()) {
            continue;
        }
        let late = k % 10 == 9;
        let day = c.day + time::Duration::days(if late { 20 } else { 3 + (k % 10) as i64 });
        let submitted = client
                .submit_learning_report(SubmitLearningReportRequest {
                    study_class: made.name.clone(),
                    member: w.member.clone(),
                    content: format!(
                        "Bản thu hoạch của {}: những nội dung cốt lõi của Nghị quyết Trung ương 4 khóa XII và liên hệ bản thân.",
                        w.full_name
                    ),
                    submitted_on: wire(day),
                    request_id: format!("seed-{code}-report-{g}-{k}"),
                })
                .await;
        let report = match submitted {
            Ok(r) => r.into_inner(),
            Err(s) if s.code() == tonic::Code::FailedPrecondition => continue, // not an attendee
            Err(s) => return Err(status("submitting a report")(s)),
        };
        n += 1;
        let grade = match k % 30 {
            29 => Some(ReportGrade::Fail),
            0..=3 => None,
            5 | 15 | 25 => Some(ReportGrade::Excellent),
            x if x % 2 == 0 => Some(ReportGrade::Good),
            _ => Some(ReportGrade::Pass),
        };
        if let Some(grade) = grade {
            client
                .evaluate_learning_report(EvaluateLearningReportRequest {
                    name: report.name.clone(),
                    grade: grade as i32,
                    comments: if grade == ReportGrade::Fail {
                        "Chưa liên hệ bản thân; viết lại.".into()
                    } else {
                        "Nắm được nội dung Nghị quyết.".into()
                    },
                    evaluated_on: wire(day + time::Duration::days(5)),
                    etag: String::new(),
                    request_id: format!("seed-{code}-eval-{g}-{k}"),
                })
                .await
                .or_else(|s| {
                    if s.code() == tonic::Code::FailedPrecondition {
                        Ok(tonic::Response::new(report.clone()))
                    } else {
                        Err(status("evaluating")(s))
                    }
                })?;
        }
        if d == 0 && k == 4 {
            client
                .reopen_learning_report(ReopenLearningReportRequest {
                    name: report.name.clone(),
                    reason: "Nộp nhầm bản nháp".into(),
                    etag: String::new(),
                    request_id: format!("seed-{code}-reopen"),
                })
                .await
                .map_err(status("reopening"))?;
        }
    }
    if d == 1
        && let Some(w) = writers.iter().find(|w| !absent.contains(w.member.as_str()))
    {
        client
            .grant_report_extension(GrantReportExtensionRequest {
                study_class: made.name.clone(),
                member: w.member.clone(),
                due_date: wire(c.day + time::Duration::days(40)),
                reason: "Điều trị dài ngày tại bệnh viện".into(),
                request_id: format!("seed-{code}-extension"),
            })
            .await
            .or_else(|s| {
                if s.code() == tonic::Code::InvalidArgument {
                    Ok(tonic::Response::new(Default::default())) // granted by an earlier run
                } else {
                    Err(status("extension")(s))
                }
            })?;
    }
    Ok(n)
}

/// Twelve visits by the province: every district, three grassroots
/// organisations.
async fn supervision(study: &Authed, plan: &str, province: &Province, code: &str) -> Result<()> {
    let mut client = SupervisionServiceClient::new(study.clone());
    let targets: Vec<&String> = province
        .districts
        .iter()
        .chain(province.grassroots.iter().step_by(40).take(3))
        .collect();
    for (i, target) in targets.into_iter().enumerate() {
        client
            .create_supervision_visit(CreateSupervisionVisitRequest {
                visit: Some(SupervisionVisit {
                    plan: plan.into(),
                    inspecting_organization: province.province.clone(),
                    inspected_organization: target.clone(),
                    visit_date: wire(plus(2017, 1, 16, i as i64 * 3)),
                    findings: "Tổ chức học tập nghiêm túc, đúng kế hoạch; một số đảng viên vắng chưa học bù."
                        .into(),
                    recommendations: "Tổ chức học bù, thu bản thu hoạch đúng hạn.".into(),
                    rating: if i % 4 == 3 {
                        SupervisionRating::Shortcomings
                    } else {
                        SupervisionRating::Good
                    } as i32,
                    ..Default::default()
                }),
                request_id: format!("seed-{code}-visit-{i}"),
            })
            .await
            .map_err(status("supervision visit"))?;
    }
    Ok(())
}
