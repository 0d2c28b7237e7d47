//! Calling Probity services: a channel that sends a bearer token on every
//! call, for the CLI, the load generators and the tests.

use tonic::{
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Bearer {
    /// The interceptor for `token`; `None` when the token is not ASCII.
    pub fn new(token: &str) -> Option<Self> {
        format!("Bearer {}", token.trim()).parse().ok().map(Self)
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel that sends a token; give it to any generated client's `new`.
pub type Authed = InterceptedService<Channel, Bearer>;

/// Wraps `channel` so that every call carries `token`.
pub fn with_token(channel: Channel, token: &str) -> Option<Authed> {
    Bearer::new(token).map(|b| InterceptedService::new(channel, b))
}

/// A request to another service made on behalf of `call`: it carries the
/// caller's token and request id, and a timeout that ends no later than
/// the caller's own deadline (at most `cap`).
pub fn on_behalf<T>(call: &crate::Call, message: T, cap: std::time::Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = call.authorization.as_deref().and_then(|a| a.parse().ok()) {
        request.metadata_mut().insert("authorization", value);
    }
    if let Ok(value) = call.request_id.parse() {
        request.metadata_mut().insert("x-request-id", value);
    }
    let timeout = call
        .deadline
        .map(|d| {
            d.saturating_duration_since(std::time::Instant::now())
                .min(cap)
        })
        .unwrap_or(cap);
    request.set_timeout(timeout);
    request
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::auth::{Caller, Claims};

    fn call(deadline: Option<Instant>) -> crate::Call {
        let caller = Caller::try_from(Claims::new("s", "a", &[], &[], 0, 60)).unwrap();
        crate::Call::from_parts(
            caller,
            crate::call::CallInfo {
                method: "/x.Y/Z".into(),
                request_id: "req-1".into(),
                authorization: Some("Bearer abc".into()),
                deadline,
                clock: crate::Clock::system(),
                rule: None,
                page_key: crate::pagination::PageKey::generate(),
                idempotency_retention: crate::write::DEFAULT_IDEMPOTENCY_RETENTION,
            },
        )
    }

    fn timeout_of<T>(r: &tonic::Request<T>) -> Duration {
        let v = r.metadata().get("grpc-timeout").unwrap().to_str().unwrap();
        crate::call::parse_grpc_timeout(v).unwrap()
    }

    #[test]
    fn forwards_token_request_id_and_deadline() {
        let r = on_behalf(
            &call(Some(Instant::now() + Duration::from_secs(2))),
            (),
            Duration::from_secs(30),
        );
        assert_eq!(r.metadata().get("authorization").unwrap(), "Bearer abc");
        assert_eq!(r.metadata().get("x-request-id").unwrap(), "req-1");
        let t = timeout_of(&r);
        assert!(
            t <= Duration::from_secs(2) && t > Duration::from_secs(1),
            "{t:?}"
        );
        let r = on_behalf(&call(None), (), Duration::from_secs(30));
        assert_eq!(
            timeout_of(&r),
            Duration::from_secs(30),
            "no deadline: the cap"
        );
        let r = on_behalf(
            &call(Some(Instant::now() + Duration::from_secs(300))),
            (),
            Duration::from_secs(30),
        );
        assert_eq!(
            timeout_of(&r),
            Duration::from_secs(30),
            "the cap wins over a far deadline"
        );
    }
}
