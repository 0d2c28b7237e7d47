//! [`OversightPeer`]: members' [`DisciplineRecords`] over oversight's
//! public gRPC API (`DisciplineService.ListDisciplinaryDecisions`), each
//! call on behalf of the call being served. Oversight down, overloaded or
//! late is UNAVAILABLE — the review decision waiting on it fails, it is
//! never answered as "not disciplined".

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use probity_platform::{
    ApiError, Call,
    client::{ClientTls, on_behalf},
};
use probity_proto::probity::{
    members::v1::EvidenceFact,
    oversight::v1::{
        DisciplineForm, ListDisciplinaryDecisionsRequest,
        discipline_service_client::DisciplineServiceClient,
    },
};
use tonic::{Code, transport::Channel};

use super::DisciplineRecords;

/// The longest a call to oversight may take when the caller set no
/// deadline.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client of oversight's gRPC API.
#[derive(Debug, Clone, Default)]
pub struct OversightPeer {
    channel: Arc<OnceLock<Channel>>,
}

impl OversightPeer {
    /// Oversight at `url` (`http://host:port`, or `https://…` with `tls`);
    /// connected on first use, and again after a failure.
    pub fn connect_lazy(url: &str, tls: Option<&ClientTls>) -> Result<Self, String> {
        let peer = Self::default();
        peer.connect_to(url, tls)?;
        Ok(peer)
    }

    /// Oversight not known yet (its address is learnt after members
    /// starts); calls are UNAVAILABLE until [`connect_to`](Self::connect_to).
    pub fn deferred() -> Self {
        Self::default()
    }

    /// Points a deferred peer (and its clones) at oversight's `url`; a peer
    /// already pointed somewhere stays there.
    pub fn connect_to(&self, url: &str, tls: Option<&ClientTls>) -> Result<(), String> {
        let channel = probity_platform::client::endpoint(url, tls)
            .map_err(|e| format!("oversight: {e}"))?
            .connect_lazy();
        let _ = self.channel.set(channel);
        Ok(())
    }
}

/// The reader's word for a form.
fn form_summary(form: i32) -> &'static str {
    match DisciplineForm::try_from(form).unwrap_or_default() {
        DisciplineForm::Reprimand => "Khiển trách",
        DisciplineForm::Warning => "Cảnh cáo",
        DisciplineForm::RemovalFromPost => "Cách chức",
        DisciplineForm::Expulsion => "Khai trừ",
        DisciplineForm::Unspecified => "Kỷ luật",
    }
}

#[tonic::async_trait]
impl DisciplineRecords for OversightPeer {
    async fn decisions(
        &self,
        call: &Call,
        member: &str,
        year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError> {
        let unavailable = |why: String| {
            ApiError::Unavailable(format!(
                "the oversight service cannot be reached ({why}), so whether {member} was \
                 disciplined in {year} is unknown; nothing was recorded, retry when it is back"
            ))
        };
        let Some(channel) = self.channel.get() else {
            return Err(unavailable("its address is not configured".into()));
        };
        let mut client = DisciplineServiceClient::new(channel.clone());
        let mut facts = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_disciplinary_decisions(on_behalf(
                    call,
                    ListDisciplinaryDecisionsRequest {
                        member: member.to_string(),
                        year,
                        page_size: 1000,
                        page_token,
                        organization: String::new(),
                    },
                    TIMEOUT,
                ))
                .await
                .map_err(|s| match s.code() {
                    Code::PermissionDenied | Code::Unauthenticated => ApiError::PermissionDenied(
                        format!("the oversight service refused: {}", s.message()),
                    ),
                    Code::NotFound | Code::InvalidArgument => ApiError::not_found(member),
                    code => unavailable(format!("{code:?}: {}", s.message())),
                })?
                .into_inner();
            for d in page.decisions {
                facts.push(EvidenceFact {
                    source: "oversight".into(),
                    kind: "DISCIPLINE".into(),
                    summary: format!("{} ({})", form_summary(d.form), d.decision_number),
                    resource: d.name,
                    date: d.effective_date,
                });
            }
            if page.next_page_token.is_empty() {
                return Ok(facts);
            }
            page_token = page.next_page_token;
        }
    }
}
