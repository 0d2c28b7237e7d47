//! [`StudyPeer`]: members' [`StudyRecords`] over study's public gRPC API
//! (`StudyRecordService.GetMemberStudyRecord`), on behalf of the call being
//! served. Study facts are evidence shown beside a review, never a
//! condition of it; study unreachable is still `UNAVAILABLE`, not "studied
//! nothing".

use std::sync::{Arc, OnceLock};

use probity_platform::{
    ApiError, Call,
    client::{ClientTls, on_behalf},
};
use probity_proto::probity::{
    members::v1::EvidenceFact,
    study::v1::{
        GetMemberStudyRecordRequest, LearningReportState,
        study_record_service_client::StudyRecordServiceClient,
    },
};
use tonic::{Code, transport::Channel};

use super::{StudyRecords, oversight::TIMEOUT};

/// A client of study's gRPC API.
#[derive(Debug, Clone, Default)]
pub struct StudyPeer {
    channel: Arc<OnceLock<Channel>>,
}

impl StudyPeer {
    /// Study at `url` (`http://host:port`, or `https://…` with `tls`).
    pub fn connect_lazy(url: &str, tls: Option<&ClientTls>) -> Result<Self, String> {
        let peer = Self::default();
        peer.connect_to(url, tls)?;
        Ok(peer)
    }

    /// Study not known yet; calls are UNAVAILABLE until
    /// [`connect_to`](Self::connect_to).
    pub fn deferred() -> Self {
        Self::default()
    }

    /// Points a deferred peer (and its clones) at study's `url`.
    pub fn connect_to(&self, url: &str, tls: Option<&ClientTls>) -> Result<(), String> {
        let channel = probity_platform::client::endpoint(url, tls)
            .map_err(|e| format!("study: {e}"))?
            .connect_lazy();
        let _ = self.channel.set(channel);
        Ok(())
    }
}

/// The reader's word for a report's state.
fn report_summary(state: i32, late: bool) -> String {
    let state = match LearningReportState::try_from(state).unwrap_or_default() {
        LearningReportState::Submitted => "nộp",
        LearningReportState::Accepted => "đạt",
        LearningReportState::Rejected => "không đạt",
        LearningReportState::Reopened => "mở lại",
        LearningReportState::Unspecified => "—",
    };
    if late {
        format!("Bản thu hoạch: {state} (nộp muộn)")
    } else {
        format!("Bản thu hoạch: {state}")
    }
}

#[tonic::async_trait]
impl StudyRecords for StudyPeer {
    async fn facts(
        &self,
        call: &Call,
        member: &str,
        year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError> {
        let unavailable = |why: String| {
            ApiError::Unavailable(format!(
                "the study service cannot be reached ({why}); retry when it is back"
            ))
        };
        let Some(channel) = self.channel.get() else {
            return Err(unavailable("its address is not configured".into()));
        };
        let record = StudyRecordServiceClient::new(channel.clone())
            .get_member_study_record(on_behalf(
                call,
                GetMemberStudyRecordRequest {
                    member: member.to_string(),
                    year,
                },
                TIMEOUT,
            ))
            .await
            .map_err(|s| match s.code() {
                Code::PermissionDenied | Code::Unauthenticated => ApiError::PermissionDenied(
                    format!("the study service refused: {}", s.message()),
                ),
                Code::NotFound | Code::InvalidArgument => ApiError::not_found(member),
                code => unavailable(format!("{code:?}: {}", s.message())),
            })?
            .into_inner();
        let attended = record.attendances.into_iter().map(|a| EvidenceFact {
            source: "study".into(),
            kind: "ATTENDANCE".into(),
            summary: format!("{}: {}", a.title, a.status),
            resource: a.study_class,
            date: a.class_date,
        });
        let reports = record.reports.into_iter().map(|r| EvidenceFact {
            source: "study".into(),
            kind: "REPORT".into(),
            summary: report_summary(r.state, r.late),
            resource: r.report,
            date: r.submitted_date,
        });
        Ok(attended.chain(reports).collect())
    }
}
