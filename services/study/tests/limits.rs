//! Load shedding (issue 12): past its limit of calls in progress the server
//! refuses one more at once — `RESOURCE_EXHAUSTED` with reason
//! `OVERLOADED` and a `RetryInfo` — instead of queueing it, and serves
//! again as soon as a place frees. On every backend.

mod common;

use std::time::{Duration, Instant};

use common::{Study, backends, reason, scenario};
use probity_platform::testing::TestOptions;
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
