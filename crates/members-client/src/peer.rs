//! What a service asks of members, as the [`Members`] trait, and
//! [`MembersPeer`], its implementation over members' public gRPC API. Every
//! call is made on behalf of the call being served: it carries the caller's
//! token (members applies the caller's own scope) and request id, and its
//! timeout ends no later than the caller's deadline.
//!
//! Calls to members are made before a write transaction begins, never
//! inside one: a slow members service must not hold the caller's write
//! lock.

use std::{sync::Arc, time::Duration};

use probity_platform::{
    ApiError, Call,
    client::{ClientTls, on_behalf},
    dates,
};
use probity_proto::probity::members::v1::{
    GetMemberRequest, GetOrganizationRequest, ListOrganizationsRequest, Organization,
    StreamRosterRequest, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::{Code, Status, transport::Channel};

use crate::{
    MemberInfo, MembersError as Error, OrgInfo, Result, RosterEntry, ScopeView,
    names::{member_id, org_id, org_name},
};

/// The longest a call to members may take when the caller set no deadline.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a service needs from members. Every method acts for `call`'s caller:
/// an organisation outside their scope is not found. `field` names the
/// request field that referred to what members did not find.
#[tonic::async_trait]
pub trait Members: Send + Sync + 'static {
    /// Reads one organisation.
    async fn organization(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo>;

    /// Reads one member (`members/{id}`).
    async fn member(&self, call: &Call, field: &str, name: &str) -> Result<MemberInfo>;

    /// The subtree under `root` (not `root` itself) as of `date`, parents
    /// before children.
    async fn subtree(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
    ) -> Result<Vec<OrgInfo>>;

    /// The roster of `root`'s subtree on `date`; exempt members left out
    /// when `exclude_exempt`.
    async fn roster(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
        exclude_exempt: bool,
    ) -> Result<Vec<RosterEntry>>;

    /// What the caller's scope covers on today's tree: each scope root
    /// with its subtree, read from members for the caller (a root members
    /// does not show them covers nothing). The whole tree needs no call.
    async fn scope_view(&self, call: &Call) -> Result<Arc<ScopeView>> {
        if call.caller.sees_everything() {
            return Ok(Arc::new(ScopeView::Everything));
        }
        let mut roots = Vec::new();
        for id in call.caller.scope_roots() {
            let name = org_name(id);
            let root = match self.organization(call, "scope", &name).await {
                Ok(root) => root,
                Err(Error::Api(ApiError::InvalidArgument(_))) => continue,
                Err(e) => return Err(e),
            };
            let below = self.subtree(call, "scope", &name, call.today()).await?;
            roots.push((root, below));
        }
        Ok(Arc::new(ScopeView::of_subtrees(roots)))
    }
}

/// Reads an organisation as members sends it.
pub fn org_info(org: &Organization) -> Result<OrgInfo> {
    let id = org_id(&org.name).to_string();
    let mut lineage: Vec<String> = org
        .ancestors
        .iter()
        .map(|a| org_id(a).to_string())
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
    Ok(OrgInfo {
        parent_id: (!org.parent.is_empty()).then(|| org_id(&org.parent).to_string()),
        valid_from: day(org.valid_from.as_ref())?,
        valid_to: day(org.valid_to.as_ref())?,
        display_name: org.display_name.clone(),
        lineage,
        id,
    })
}

/// What members answered, as a [`MembersError`]. `field` names the request
/// field that referred to what members did not find.
pub fn from_status(status: Status, field: &str) -> Error {
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Unknown
        | Code::ResourceExhausted
        | Code::Aborted => Error::Unavailable(format!(
            "{}: {}",
            code_name(status.code()),
            status.message()
        )),
        Code::NotFound | Code::InvalidArgument => {
            Error::Api(ApiError::invalid(field, status.message().to_string()))
        }
        Code::PermissionDenied | Code::Unauthenticated => {
            Error::Refused(status.message().to_string())
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

/// A client of the members service's gRPC API.
#[derive(Debug, Clone)]
pub struct MembersPeer {
    channel: Channel,
}

impl MembersPeer {
    /// A client of the members service at `url` (`http://host:port`, or
    /// `https://…` with `tls`: the CA of members' certificate and the
    /// calling service's own certificate for mutual TLS); the connection is made on first
    /// use, and again after a failure.
    pub fn connect_lazy(url: &str, tls: Option<&ClientTls>) -> std::result::Result<Self, String> {
        let channel = probity_platform::client::endpoint(url, tls)
            .map_err(|e| format!("members: {e}"))?
            .connect_lazy();
        Ok(Self { channel })
    }
}

#[tonic::async_trait]
impl Members for MembersPeer {
    async fn organization(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo> {
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
        org_info(&org)
    }

    async fn member(&self, call: &Call, field: &str, name: &str) -> Result<MemberInfo> {
        let mut client = MemberServiceClient::new(self.channel.clone());
        let member = client
            .get_member(on_behalf(
                call,
                GetMemberRequest {
                    name: name.to_string(),
                },
                DEFAULT_TIMEOUT,
            ))
            .await
            .map_err(|s| from_status(s, field))?
            .into_inner();
        Ok(MemberInfo {
            id: member_id(&member.name).to_string(),
            full_name: member.full_name,
            org_id: org_id(&member.organization).to_string(),
            status: member.status,
            head_position: member.head_position,
        })
    }

    async fn subtree(
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
                out.push(org_info(org)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            page_token = page.next_page_token;
        }
    }

    async fn roster(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
        exclude_exempt: bool,
    ) -> Result<Vec<RosterEntry>> {
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
            out.push(RosterEntry {
                member_id: member_id(&entry.member).to_string(),
                full_name: entry.full_name,
                party_card_number: entry.party_card_number,
                org_id: org_id(&entry.organization).to_string(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_down_is_unavailable() {
        let e = from_status(Status::unavailable("connection refused"), "plan.scope");
        assert!(matches!(e, Error::Unavailable(_)));
    }

    #[test]
    fn an_organisation_members_does_not_show_is_a_bad_field() {
        let e = from_status(Status::not_found("organizations/x not found"), "plan.scope");
        let Error::Api(ApiError::InvalidArgument(v)) = e else {
            panic!("a violation")
        };
        assert_eq!(v[0].field, "plan.scope");
    }

    #[test]
    fn a_refusal_by_members_is_passed_on() {
        let e = from_status(Status::permission_denied("needs writer"), "x");
        assert!(matches!(e, Error::Refused(_)));
    }
}
