//! Plan progress, absentees and warnings through the generated client,
//! after the whole scenario, study alone against a fake members service,
//! on every backend.

mod common;

use common::{Study, backends, date, scenario::Played};
use probity_proto::probity::study::v1::{
    GetPlanProgressRequest, ListPlanAbsenteesRequest, ListPlanRosterRequest,
    ListPlanWarningsRequest, OrganizationProgress, PlanProgress, ProgressBreakdown, StudyClass,
    UpdateClassRequest, WarningKind,
};

async fn progress(study: &Study, played: &Played, breakdown: ProgressBreakdown) -> PlanProgress {
    study
        .plans()
        .get_plan_progress(GetPlanProgressRequest {
            plan: played.plan.name.clone(),
            breakdown: breakdown as i32,
            as_of: date(2017, 3, 31),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

fn attended(o: &OrganizationProgress) -> (i64, i64) {
    let a = o.attendance.clone().unwrap();
    (a.numerator, a.denominator)
}

#[tokio::test]
async fn a_plans_total_counts_distinct_eligible_members_and_its_classes() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = Played::play(&study).await;
        let total = progress(&study, &played, ProgressBreakdown::None)
            .await
            .total
            .unwrap();
        // Eligible 9 (c1: 5 without the exempt one; c2: 4). Attended a
        // counted class: c1[1], c1[2], c1[3], c2[0], c2[2] = 5 (c1[4] only
        // at the briefing; the exempt member and the late joiner are not
        // eligible).
        assert_eq!(attended(&total), (5, 9), "{backend}");
        assert_eq!(total.attendance.as_ref().unwrap().percent, "55.56");
        assert_eq!(total.classes_held, 3, "cancelled class left out");
        assert_eq!(total.counted_classes, 2);
        assert_eq!(total.make_up_classes, 1);
        assert_eq!(
            total.non_members, 23,
            "the named one at two classes counted once"
        );
        assert_eq!(total.reports_submitted, 3);
        assert_eq!(total.reports_late, 1);
        assert_eq!(total.reports_accepted, 2);
        let completion = total.completion.unwrap();
        assert_eq!(completion.numerator, 2, "attended and report accepted");
        assert_eq!(total.supervision_visits, 1);
    }
}

#[tokio::test]
async fn each_parent_is_the_sum_of_its_children() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let played = Played::play(&study).await;
        let progress = progress(&study, &played, ProgressBreakdown::Subtree).await;
        let by_name = |name: &str| {
            progress
                .breakdown
                .iter()
                .find(|o| o.organization == name)
                .unwrap_or_else(|| panic!("{name} in breakdown"))
                .clone()
        };
        let (c1, c2, gr) = (by_name(&w.c1), by_name(&w.c2), by_name(&w.grassroots));
        assert_eq!(attended(&c1), (3, 5), "{backend}");
        assert_eq!(attended(&c2), (2, 4));
        assert_eq!(attended(&gr), (5, 9));
        assert_eq!(gr.classes_held, 2, "the grassroots' own classes");
        assert_eq!(by_name(&w.district).classes_held, 3);
        assert_eq!(c1.supervision_visits, 1);
    }
}

#[tokio::test]
async fn counting_a_briefing_after_all_brings_its_attendees_in_and_back_out() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = Played::play(&study).await;
        for (counted, want) in [(true, 6), (false, 5)] {
            study
                .classes()
                .update_class(UpdateClassRequest {
                    study_class: Some(StudyClass {
                        name: played.briefing.name.clone(),
                        excluded_from_rate: !counted,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["excluded_from_rate".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap();
            let total = progress(&study, &played, ProgressBreakdown::None)
                .await
                .total
                .unwrap();
            assert_eq!(attended(&total).0, want, "{backend}");
        }
    }
}

#[tokio::test]
async fn the_members_still_to_attend_are_listed_a_page_at_a_time() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let played = Played::play(&study).await;
        let mut plans = study.plans();
        let page = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: played.plan.name.clone(),
                page_size: 3,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.members.len(), 3, "{backend}");
        let rest = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: played.plan.name.clone(),
                page_size: 3,
                page_token: page.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut all: Vec<String> = page
            .members
            .into_iter()
            .chain(rest.members)
            .map(|m| m.member)
            .collect();
        all.sort();
        let mut want = vec![
            w.c1_members[4].clone(),
            w.c1_members[5].clone(),
            w.c2_members[1].clone(),
            w.c2_members[3].clone(),
        ];
        want.sort();
        assert_eq!(all, want, "{backend}");
        let only_c2 = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: played.plan.name.clone(),
                organization: w.c2.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(only_c2.members.len(), 2);

        // The whole roster: every eligible member of the subtree, each
        // with the organisation of the reference date.
        let roster = plans
            .list_plan_roster(ListPlanRosterRequest {
                plan: played.plan.name.clone(),
                organization: w.c2.clone(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let total = progress(&study, &played, ProgressBreakdown::Subtree)
            .await
            .breakdown
            .into_iter()
            .find(|o| o.organization == w.c2)
            .unwrap();
        assert_eq!(roster.members.len() as i64, attended(&total).1, "{backend}");
        assert!(roster.members.iter().all(|m| m.organization == w.c2));
        assert!(roster.next_page_token.is_empty());
    }
}

/// The warnings of the played plan, by kind: those who missed every
/// class, those whose report is overdue.
async fn warnings(
    study: &Study,
    played: &Played,
    as_of: Option<probity_proto::google::r#type::Date>,
) -> (usize, Vec<String>) {
    let warnings = study
        .plans()
        .list_plan_warnings(ListPlanWarningsRequest {
            plan: played.plan.name.clone(),
            as_of,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .warnings;
    let missed = warnings
        .iter()
        .filter(|x| x.kind == WarningKind::MissedAllClasses as i32)
        .count();
    let mut overdue: Vec<String> = warnings
        .iter()
        .filter(|x| x.kind == WarningKind::ReportOverdue as i32)
        .map(|x| x.member.clone().unwrap().member)
        .collect();
    overdue.sort();
    (missed, overdue)
}

#[tokio::test]
async fn warnings_name_who_missed_every_class_and_whose_report_is_overdue() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let played = Played::play(&study).await;
        // The four missed every class; reports overdue on 2017-03-31 for
        // c2[0] (class 2016-12-10) and c2[2] (make-up).
        let (missed, overdue) = warnings(&study, &played, date(2017, 3, 31)).await;
        assert_eq!(missed, 4, "{backend}");
        let mut want = vec![w.c2_members[0].clone(), w.c2_members[2].clone()];
        want.sort();
        assert_eq!(overdue, want, "{backend}");
    }
}

#[tokio::test]
async fn warnings_are_as_of_today_by_the_servers_clock() {
    for backend in backends() {
        let study = Study::start_on(&backend, common::day(2017, 3, 31)).await;
        let played = Played::play(&study).await;
        assert_eq!(
            warnings(&study, &played, None).await,
            warnings(&study, &played, date(2017, 3, 31)).await,
            "{backend}"
        );
        // On 2016-12-21 only c2[0]'s report (due 2016-12-20) is overdue.
        study.server.clock.set_today(common::day(2016, 12, 21));
        let (_, overdue) = warnings(&study, &played, None).await;
        assert_eq!(
            overdue,
            vec![study.world.c2_members[0].clone()],
            "{backend}"
        );
    }
}

/// On PostgreSQL, two writes that recount one member at once — a presence
/// at one class, an absence at another, the second waiting on the first's
/// lock — end with the member counted as attended: the count is taken
/// after the lock, not with the snapshot the waiting statement began with.
/// (SQLite has one writer at a time.)
#[tokio::test]
async fn concurrent_attendance_of_one_member_at_two_classes_keeps_the_count() {
    use common::scenario::{class, entry, plan, record, schedule};
    for backend in backends() {
        if matches!(backend, probity_platform::testing::TestBackend::Sqlite) {
            continue;
        }
        let study = Study::start(&backend).await;
        let w = &study.world;
        let plan = plan(&study).await;
        let mut classes = study.classes();
        let first = schedule(
            &mut classes,
            class(&plan.name, &w.grassroots, "Buổi 1", (2016, 12, 10)),
        )
        .await;
        let second = schedule(
            &mut classes,
            class(&plan.name, &w.grassroots, "Buổi 2", (2016, 12, 20)),
        )
        .await;
        let who = &w.c1_members[1..4];
        // Hold the plan's roster rows so that both writes queue behind.
        let plan_id = plan.name.rsplit('/').next().unwrap().to_string();
        let mut hold = study.server.db.pool().begin().await.unwrap();
        sqlx::query("SELECT member_id FROM plan_roster WHERE plan_id = $1 FOR UPDATE")
            .bind(&plan_id)
            .execute(&mut *hold)
            .await
            .unwrap();
        let present: Vec<_> = who.iter().map(|m| entry(m, "present")).collect();
        let excused: Vec<_> = who.iter().map(|m| entry(m, "excused")).collect();
        let presence = {
            let (study_class, entries) = (second.name.clone(), present);
            let study = &study;
            async move { record(study, &study_class, entries).await }
        };
        let absence = {
            let (study_class, entries) = (first.name.clone(), excused);
            let study = &study;
            async move {
                // Queued after the presence.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                record(study, &study_class, entries).await
            }
        };
        let release = async {
            tokio::time::sleep(std::time::Duration::from_millis(800)).await;
            hold.commit().await.unwrap();
        };
        tokio::join!(presence, absence, release);
        let total = study
            .plans()
            .get_plan_progress(GetPlanProgressRequest {
                plan: plan.name.clone(),
                as_of: date(2017, 3, 31),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .total
            .unwrap();
        assert_eq!(attended(&total).0, 3, "{backend}: every presence counted");
    }
}
