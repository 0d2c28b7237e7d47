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
