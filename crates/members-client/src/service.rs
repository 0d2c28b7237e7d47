//! What a service asks of members **on its own account**, not a caller's:
//! applying a disciplinary decision (an expulsion, a removal from post)
//! delivered later by the service's job runner. The calls carry the
//! service's own token ([`TokenSource`]: a file re-read at every call, so
//! it can be rotated, or one minted by `probity up`'s development issuer)
//! and a request id derived from what they deliver, so members answers a
//! retry from its first result.

use std::{path::PathBuf, sync::Arc, time::Duration};

use probity_platform::{
    client::{ClientTls, with_token},
    dates,
};
use probity_proto::probity::members::v1::{
    Member, MemberEventKind, RecordMemberEventRequest, UpdateMemberRequest,
    member_service_client::MemberServiceClient,
};
use tonic::{Code, Status, transport::Channel};

/// The longest one delivery may take.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the service's own token comes from.
pub trait TokenSource: Send + Sync + 'static {
    /// The token to send now.
    fn token(&self) -> Result<String, String>;
}

impl<F> TokenSource for F
where
    F: Fn() -> Result<String, String> + Send + Sync + 'static,
{
    fn token(&self) -> Result<String, String> {
        self()
    }
}

/// A token kept in a file, read again at every call (replace the file to
/// rotate it).
#[derive(Debug, Clone)]
pub struct TokenFile(pub PathBuf);

impl TokenSource for TokenFile {
    fn token(&self) -> Result<String, String> {
        std::fs::read_to_string(&self.0)
            .map(|t| t.trim().to_string())
            .map_err(|e| format!("service token file {}: {e}", self.0.display()))
    }
}

/// How a delivery to members ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Members could not answer (down, overloaded, timed out), or the
    /// service has no token now: worth retrying.
    #[error("{0}")]
    Unavailable(String),
    /// Members refused (the member's history forbids it, the member is
    /// unknown to the service's scope): retrying will not help.
    #[error("{0}")]
    Refused(String),
}

/// Members' answer, as a [`DeliveryError`].
fn delivery_error(status: Status) -> DeliveryError {
    let text = format!("{:?}: {}", status.code(), status.message());
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Aborted
        | Code::Unauthenticated
        | Code::Internal => DeliveryError::Unavailable(text),
        _ => DeliveryError::Refused(text),
    }
}

/// Members, called by a service on its own account.
#[derive(Clone)]
pub struct MembersAsService {
    channel: Channel,
    token: Arc<dyn TokenSource>,
}

impl std::fmt::Debug for MembersAsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MembersAsService")
    }
}

impl MembersAsService {
    /// Members at `url` (with `tls` as for [`crate::MembersPeer`]), called
    /// with the tokens of `token`.
    pub fn connect_lazy(
        url: &str,
        tls: Option<&ClientTls>,
        token: impl TokenSource,
    ) -> Result<Self, String> {
        let channel = probity_platform::client::endpoint(url, tls)
            .map_err(|e| format!("members: {e}"))?
            .connect_lazy();
        Ok(Self {
            channel,
            token: Arc::new(token),
        })
    }

    fn client(
        &self,
    ) -> Result<MemberServiceClient<probity_platform::client::Authed>, DeliveryError> {
        let token = self.token.token().map_err(DeliveryError::Unavailable)?;
        let authed = with_token(self.channel.clone(), &token)
            .ok_or_else(|| DeliveryError::Unavailable("the service token is not ASCII".into()))?;
        Ok(MemberServiceClient::new(authed))
    }

    /// Expels `member` (`members/{id}`) from `on`, with `note`; `request_id`
    /// makes a retry answered from the first call.
    pub async fn expel(
        &self,
        member: &str,
        on: time::Date,
        note: &str,
        request_id: &str,
    ) -> Result<(), DeliveryError> {
        let mut request = tonic::Request::new(RecordMemberEventRequest {
            member: member.to_string(),
            kind: MemberEventKind::Expelled as i32,
            effective_date: Some(dates::to_proto(on)),
            note: note.to_string(),
            request_id: request_id.to_string(),
            ..Default::default()
        });
        request.set_timeout(DELIVERY_TIMEOUT);
        self.client()?
            .record_member_event(request)
            .await
            .map(|_| ())
            .map_err(delivery_error)
    }

    /// Clears `member`'s head position (a removal from post). Setting it
    /// empty twice changes nothing, so a retry is harmless.
    pub async fn clear_head_position(&self, member: &str) -> Result<(), DeliveryError> {
        let mut request = tonic::Request::new(UpdateMemberRequest {
            member: Some(Member {
                name: member.to_string(),
                head_position: String::new(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["head_position".into()],
            }),
        });
        request.set_timeout(DELIVERY_TIMEOUT);
        self.client()?
            .update_member(request)
            .await
            .map(|_| ())
            .map_err(delivery_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_down_is_worth_a_retry_and_a_refusal_is_not() {
        assert!(matches!(
            delivery_error(Status::unavailable("down")),
            DeliveryError::Unavailable(_)
        ));
        assert!(matches!(
            delivery_error(Status::failed_precondition("a later event")),
            DeliveryError::Refused(_)
        ));
    }
}
