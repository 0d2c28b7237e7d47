//! Load shedding and admission (issue 12): past its limit of calls in
//! progress the server refuses one more at once — `RESOURCE_EXHAUSTED`
//! with reason `OVERLOADED` and a `RetryInfo` — instead of queueing it,
//! and serves again as soon as a place frees. An agency past its rate is
//! refused (`RATE_LIMITED`) while others are served; one connection takes
//! no more than its share of places; idle or over-long client streams and
//! calls past their class's deadline are ended. On every backend.

mod common;

use std::time::{Duration, Instant};

use common::{Study, backends, reason, scenario};
use probity_platform::{admission::Admission, testing::TestOptions};
use probity_proto::probity::study::v1::{GetPlanRequest, StreamAttendanceRequest};
use tonic::Code;
use tonic_types::StatusExt;

#[tokio::test]
async fn past_its_limit_the_server_refuses_at_once_and_recovers() {
    for backend in backends() {
        let mut options = TestOptions::new(probity_study::SCHEMA);
        options.max_calls_in_progress = Some(1);
        let study = Study::start_with(&backend, options).await;
        let plan = scenario::plan(&study).await;
        let get = || GetPlanRequest {
            name: plan.name.clone(),
        };
        // A client stream that sends nothing holds the one place (started
        // again until it is the one holding it, not a refused one).
        let held = loop {
            let mut holder = study.classes();
            let held = tokio::spawn(async move {
                holder
                    .stream_attendance(futures::stream::pending::<StreamAttendanceRequest>())
                    .await
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
            if !held.is_finished() {
                break held;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let refused = loop {
            match study.plans().get_plan(get()).await {
                Err(e) if e.code() == Code::ResourceExhausted => break e,
                _ if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                other => panic!("{backend}: never refused: {other:?}"),
            }
        };
        assert_eq!(reason(&refused), "OVERLOADED", "{backend}");
        let retry = refused.get_details_retry_info().expect("RetryInfo");
        assert!(retry.retry_delay.is_some(), "{backend}");
        // Health stays answerable while the server is full.
        study.server.wait_serving().await;
        held.abort();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match study.plans().get_plan(get()).await {
                Ok(_) => break,
                Err(e) if Instant::now() < deadline => {
                    assert_eq!(e.code(), Code::ResourceExhausted, "{backend}: {e:?}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("{backend}: did not recover: {e:?}"),
            }
        }
    }
}

/// Study with `admission`; the plan of the scenario.
async fn study_with(
    backend: &probity_platform::testing::TestBackend,
    admission: Admission,
    calls: Option<usize>,
) -> (Study, String) {
    let mut options = TestOptions::new(probity_study::SCHEMA);
    options.admission = Some(admission);
    options.max_calls_in_progress = calls;
    let study = Study::start_with(backend, options).await;
    let plan = scenario::plan(&study).await.name;
    (study, plan)
}

/// A client stream that never sends, held open on `study`.
fn pending_stream(
    mut client: probity_proto::probity::study::v1::class_service_client::ClassServiceClient<
        probity_platform::testing::Authed,
    >,
) -> tokio::task::JoinHandle<Result<(), tonic::Status>> {
    tokio::spawn(async move {
        client
            .stream_attendance(futures::stream::pending::<StreamAttendanceRequest>())
            .await
            .map(|_| ())
    })
}

#[tokio::test]
async fn an_agency_past_its_rate_is_refused_while_another_is_served() {
    for backend in backends() {
        let mut admission = Admission::default();
        admission.read.per_second = 2;
        admission.read.burst = 2;
        let (study, plan) = study_with(&backend, admission, None).await;
        // Let the bucket fill after the set-up's reads.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let get = || GetPlanRequest { name: plan.clone() };
        let mut plans = study.plans();
        plans.get_plan(get()).await.expect("first of the burst");
        plans.get_plan(get()).await.expect("second of the burst");
        let refused = plans.get_plan(get()).await.unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted, "{backend}");
        assert_eq!(reason(&refused), "RATE_LIMITED", "{backend}");
        let retry = refused.get_details_retry_info().expect("RetryInfo");
        assert!(
            retry.retry_delay.unwrap() <= Duration::from_millis(500),
            "{backend}"
        );
        // Another agency has its own bucket.
        let token = study
            .server
            .token_of_agency("other-agency", "r", &["reader"], &["*"]);
        let mut theirs =
            probity_proto::probity::study::v1::plan_service_client::PlanServiceClient::new(
                study.server.with_token(&token),
            );
        theirs
            .get_plan(get())
            .await
            .expect("another agency is served");
        // After the wait, the first agency is served again.
        tokio::time::sleep(Duration::from_millis(600)).await;
        plans.get_plan(get()).await.expect("served after the wait");
    }
}

#[tokio::test]
async fn one_connection_takes_no_more_than_its_share_of_places() {
    for backend in backends() {
        let admission = Admission {
            streams_per_connection: 2,
            ..Default::default()
        };
        let (study, plan) = study_with(&backend, admission, Some(3)).await;
        // Three idle streams on one connection: two are open, the third
        // waits on the client's side for the connection to allow it.
        let classes = study.classes();
        let held: Vec<_> = (0..3).map(|_| pending_stream(classes.clone())).collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Another connection still finds the third place.
        study
            .plans()
            .get_plan(GetPlanRequest { name: plan.clone() })
            .await
            .unwrap_or_else(|e| panic!("{backend}: another connection refused: {e:?}"));
        for h in held {
            h.abort();
        }
    }
}

#[tokio::test]
async fn an_idle_client_stream_is_ended_and_frees_its_place() {
    for backend in backends() {
        let admission = Admission {
            stream_idle: Duration::from_millis(300),
            ..Default::default()
        };
        let (study, plan) = study_with(&backend, admission, Some(1)).await;
        let started = Instant::now();
        let ended = pending_stream(study.classes()).await.unwrap().unwrap_err();
        assert_eq!(ended.code(), Code::DeadlineExceeded, "{backend}: {ended:?}");
        assert_eq!(reason(&ended), "DEADLINE_PASSED", "{backend}");
        assert!(started.elapsed() < Duration::from_secs(10), "{backend}");
        study
            .plans()
            .get_plan(GetPlanRequest { name: plan })
            .await
            .expect("the place was freed");
    }
}

#[tokio::test]
async fn a_client_stream_past_its_limits_or_deadline_is_refused() {
    for backend in backends() {
        // Bytes: the first message is already too long.
        let admission = Admission {
            stream_bytes: 8,
            ..Default::default()
        };
        let (study, plan) = study_with(&backend, admission, None).await;
        let mut classes = study.classes();
        let one = StreamAttendanceRequest {
            study_class: format!("{plan}/classes/none"),
            ..Default::default()
        };
        let refused = classes
            .stream_attendance(futures::stream::iter(vec![one.clone()]))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::ResourceExhausted,
            "{backend}: {refused:?}"
        );
        assert_eq!(reason(&refused), "STREAM_LIMIT", "{backend}");

        // Messages: none allowed.
        let admission = Admission {
            stream_messages: 0,
            ..Default::default()
        };
        let (study, _) = study_with(&backend, admission, None).await;
        let refused = study
            .classes()
            .stream_attendance(futures::stream::iter(vec![one.clone()]))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), "STREAM_LIMIT", "{backend}: {refused:?}");

        // The class's deadline when the client sets none.
        let mut admission = Admission::default();
        admission.bulk.deadline = Duration::from_millis(300);
        let (study, _) = study_with(&backend, admission, None).await;
        let ended = pending_stream(study.classes()).await.unwrap().unwrap_err();
        assert_eq!(ended.code(), Code::DeadlineExceeded, "{backend}: {ended:?}");
        assert_eq!(reason(&ended), "DEADLINE_PASSED", "{backend}");
    }
}
