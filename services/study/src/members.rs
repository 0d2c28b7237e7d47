//! Study's view of the members service, through members' public gRPC API
//! only. Every call is made on behalf of the study call being served: it
//! carries the caller's token (members applies the caller's own scope) and
//! request id, and its timeout ends no later than the caller's deadline.
//!
//! Calls to members are made before a write transaction begins, never
//! inside one: a slow members service must not hold study's write lock.

use std::time::Duration;

use probity_platform::{ApiError, Call, client::on_behalf, dates};
use probity_proto::probity::members::v1::{
    GetOrganizationRequest, ListOrganizationsRequest, Organization, StreamRosterRequest,
    StreamRosterResponse, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::{Code, Status, transport::Channel};

use crate::error::{Error, Result};

/// The longest a call to members may take when the caller set no deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the members service.
#[derive(Debug, Clone)]
pub struct MembersPeer {
    channel: Channel,
}

/// An organisation as study needs it.
#[derive(Debug, Clone)]
pub struct OrgInfo {
    /// The organisation's id.
    pub id: String,
    /// Its parent's id, when it has one.
    pub parent_id: Option<String>,
    /// Ids from the root down to and including it.
    pub lineage: Vec<String>,
    /// Its name.
    pub display_name: String,
    /// The first day it exists.
    pub valid_from: Option<time::Date>,
    /// The day it stopped existing, if it did.
    pub valid_to: Option<time::Date>,
}

impl OrgInfo {
    fn of(org: &Organization) -> Result<Self> {
        let id = org.name.trim_start_matches("organizations/").to_string();
        let mut lineage: Vec<String> = org
            .ancestors
            .iter()
            .map(|a| a.trim_start_matches("organizations/").to_string())
            .collect();
        lineage.push(id.clone());
        let day = |d: Option<&probity_proto::google::r#type::Date>| {
            dates::from_proto("organization", d).map_err(|v| {
                Error::Api(ApiError::Internal(format!(
                    "members sent a bad date: {}",
                    v.description
                )))
            })
        };
        Ok(Self {
            parent_id: (!org.parent.is_empty())
                .then(|| org.parent.trim_start_matches("organizations/").to_string()),
            valid_from: day(org.valid_from.as_ref())?,
            valid_to: day(org.valid_to.as_ref())?,
            display_name: org.display_name.clone(),
            lineage,
            id,
        })
    }

    /// Whether it exists on `date`.
    pub fn exists_on(&self, date: time::Date) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date < t)
    }

    /// The lineage as stored: `/root/…/id/`.
    pub fn lineage_text(&self) -> String {
        format!("/{}/", self.lineage.join("/"))
    }
}

/// Splits a stored lineage (`/a/b/`) into ids.
pub fn lineage_ids(text: &str) -> impl Iterator<Item = &str> {
    text.split('/').filter(|s| !s.is_empty())
}

/// What members answered, as study's error. `field` names the request
/// field that referred to what members did not find.
fn from_status(status: Status, field: &str) -> Error {
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Aborted => Error::MembersUnavailable(format!(
            "{}: {}",
            code_name(status.code()),
            status.message()
        )),
        Code::NotFound | Code::InvalidArgument => {
            Error::Api(ApiError::invalid(field, status.message().to_string()))
        }
        Code::PermissionDenied | Code::Unauthenticated => {
            Error::MembersRefused(status.message().to_string())
        }
        _ => Error::Api(ApiError::Internal(format!(
            "members answered {:?}: {}",
            status.code(),
            status.message()
        ))),
    }
}

fn code_name(code: Code) -> &'static str {
    match code {
        Code::DeadlineExceeded => "deadline exceeded",
        Code::Cancelled => "cancelled",
        Code::ResourceExhausted => "overloaded",
        _ => "unavailable",
    }
}

impl MembersPeer {
    /// A client of the members service at `url` (`http://host:port`); the
    /// connection is made on first use, and again after a failure.
    pub fn connect_lazy(url: &str) -> std::result::Result<Self, String> {
        let channel = Channel::from_shared(url.to_string())
            .map_err(|e| format!("bad members URL {url:?}: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self { channel })
    }

    /// Reads one organisation. `field` names the request field that holds
    /// `name`, for the error when members does not know it.
    pub async fn organization(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo> {
        let mut client = OrganizationServiceClient::new(self.channel.clone());
        let org = client
            .get_organization(on_behalf(
                call,
                GetOrganizationRequest {
                    name: name.to_string(),
                },
                DEFAULT_TIMEOUT,
            ))
            .await
            .map_err(|s| from_status(s, field))?
            .into_inner();
        OrgInfo::of(&org)
    }

    /// The subtree under `root` (not `root` itself) as of `date`, parents
    /// before children.
    pub async fn subtree(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
    ) -> Result<Vec<OrgInfo>> {
        let mut client = OrganizationServiceClient::new(self.channel.clone());
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_organizations(on_behalf(
                    call,
                    ListOrganizationsRequest {
                        parent: root.to_string(),
                        include_subtree: true,
                        as_of: Some(dates::to_proto(date)),
                        page_size: 1000,
                        page_token,
                    },
                    DEFAULT_TIMEOUT,
                ))
                .await
                .map_err(|s| from_status(s, field))?
                .into_inner();
            for org in &page.organizations {
                out.push(OrgInfo::of(org)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            page_token = page.next_page_token;
        }
    }

    /// The roster of `root`'s subtree on `date`, from members' streaming
    /// roster; exempt members left out when `exclude_exempt`.
    pub async fn roster(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
        exclude_exempt: bool,
    ) -> Result<Vec<StreamRosterResponse>> {
        let mut client = MemberServiceClient::new(self.channel.clone())
            .max_decoding_message_size(16 * 1024 * 1024);
        let mut stream = client
            .stream_roster(on_behalf(
                call,
                StreamRosterRequest {
                    organization: root.to_string(),
                    as_of: Some(dates::to_proto(date)),
                    exclude_exempt,
                },
                DEFAULT_TIMEOUT,
            ))
            .await
            .map_err(|s| from_status(s, field))?
            .into_inner();
        let mut out = Vec::new();
        while let Some(entry) = stream.message().await.map_err(|s| from_status(s, field))? {
            out.push(entry);
        }
        Ok(out)
    }
}
