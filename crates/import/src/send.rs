//! The import's calls to the members service: what the caller may see of
//! the tree and of its members (to resolve codes and skip what is
//! recorded), and sending the rows — members in batches through
//! `BatchCreateMembers` (`validate_only` for a dry run), organisations one
//! by one, parents first. A row the server refuses becomes that row's
//! error and the rest are sent again; a busy or unreachable server is
//! retried with the same idempotency key, so a retry never creates twice.

use std::collections::HashMap;
use std::time::Duration;

use probity_platform::client::Authed;
use probity_proto::probity::members::v1::{
    BatchCreateMembersRequest, CreateMemberRequest, GetOrganizationRequest, ListMembersRequest,
    ListOrganizationsRequest, MemberStatus, Organization,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use sha2::{Digest, Sha256};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::columns::Columns;
use crate::members::{MemberRow, Recorded};
use crate::organizations::OrganizationRow;
use crate::report::RowError;

/// The largest page the lists answer.
const PAGE: i32 = 1000;
/// Attempts at a call the server could not take (busy, unreachable).
const ATTEMPTS: u32 = 6;

/// A call failed for the whole import, not for a row.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {} {}", .status.code(), .status.message())]
pub struct CallError {
    /// What was being done.
    pub what: String,
    /// The server's answer.
    pub status: Status,
}

fn failed(what: impl Into<String>) -> impl FnOnce(Status) -> CallError {
    let what = what.into();
    move |status| CallError { what, status }
}

/// Calls `f` again while the server is busy or unreachable, waiting longer
/// each time.
async fn retried<T, F, Fut>(mut f: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Status>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(s)
                if attempt + 1 < ATTEMPTS
                    && matches!(
                        s.code(),
                        Code::Unavailable
                            | Code::ResourceExhausted
                            | Code::DeadlineExceeded
                            | Code::Aborted
                    ) =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            other => return other,
        }
    }
}

/// The organisations the caller may see — under `under`
/// (`organizations/{id}`, itself included), or under every root — by code,
/// with their parent's code when the parent is among them.
pub async fn visible_organizations(
    channel: &Authed,
    under: Option<&str>,
) -> Result<HashMap<String, (Organization, Option<String>)>, CallError> {
    let mut client = OrganizationServiceClient::new(channel.clone());
    let mut all: Vec<Organization> = Vec::new();
    let tops = match under {
        Some(name) => {
            let org = retried(|| {
                let mut client = client.clone();
                let request = GetOrganizationRequest { name: name.into() };
                async move { client.get_organization(request).await }
            })
            .await
            .map_err(failed(format!("reading {name}")))?
            .into_inner();
            vec![org]
        }
        None => list_organizations(&mut client, "").await?,
    };
    for top in tops {
        let below = list_organizations(&mut client, &top.name).await?;
        all.push(top);
        all.extend(below);
    }
    let codes: HashMap<String, String> = all
        .iter()
        .map(|o| (o.name.clone(), o.code.clone()))
        .collect();
    Ok(all
        .into_iter()
        .map(|o| {
            let parent = if o.parent.is_empty() {
                Some(String::new())
            } else {
                codes.get(&o.parent).cloned()
            };
            (o.code.clone(), (o, parent))
        })
        .collect())
}

/// Every page of the roots (`parent` empty) or of `parent`'s subtree.
async fn list_organizations(
    client: &mut OrganizationServiceClient<Authed>,
    parent: &str,
) -> Result<Vec<Organization>, CallError> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListOrganizationsRequest {
            parent: parent.to_string(),
            include_subtree: !parent.is_empty(),
            page_size: PAGE,
            page_token: page_token.clone(),
            ..Default::default()
        };
        let page = retried(|| {
            let mut client = client.clone();
            let request = request.clone();
            async move { client.list_organizations(request).await }
        })
        .await
        .map_err(failed("listing organisations"))?
        .into_inner();
        all.extend(page.organizations);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        page_token = page.next_page_token;
    }
}

/// The members recorded in `organizations` (of any status), by card.
pub async fn recorded_members(
    channel: &Authed,
    organizations: impl IntoIterator<Item = &str>,
) -> Result<HashMap<String, Recorded>, CallError> {
    let client = MemberServiceClient::new(channel.clone());
    let statuses: Vec<i32> = (1..=7)
        .filter(|s| MemberStatus::try_from(*s).is_ok())
        .collect();
    let mut recorded = HashMap::new();
    for organization in organizations {
        let mut page_token = String::new();
        loop {
            let request = ListMembersRequest {
                organization: organization.to_string(),
                statuses: statuses.clone(),
                page_size: PAGE,
                page_token: page_token.clone(),
                ..Default::default()
            };
            let page = retried(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.list_members(request).await }
            })
            .await
            .map_err(failed(format!("listing the members of {organization}")))?
            .into_inner();
            for m in page.members {
                recorded.insert(
                    m.party_card_number.clone(),
                    Recorded {
                        name: m.name,
                        full_name: m.full_name,
                        date_of_birth: m.date_of_birth,
                    },
                );
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(recorded)
}

/// An idempotency key for `parts`: the same rows give the same key, so a
/// re-sent batch is answered from the first.
fn request_id(parts: &[Vec<u8>]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update((p.len() as u64).to_be_bytes());
        hash.update(p);
    }
    let digest: String = hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("import-{digest}")
}

/// A refusal that names rows of a batch: each violation's `requests[i].`
/// field, or a message starting `requests[i]:`.
fn refused_rows(status: &Status, columns: &Columns) -> Vec<(usize, String, String)> {
    let mut rows = Vec::new();
    if let Some(bad) = status.get_details_bad_request() {
        for v in &bad.field_violations {
            if let Some((i, field)) = index_prefix(&v.field, '.') {
                rows.push((i, columns.heading_of_field(field), v.description.clone()));
            }
        }
    }
    if rows.is_empty()
        && let Some((i, message)) = index_prefix(status.message(), ':')
    {
        rows.push((i, String::new(), message.trim().to_string()));
    }
    rows
}

/// `requests[3].member.x` → (3, `member.x`).
fn index_prefix(text: &str, after: char) -> Option<(usize, &str)> {
    let rest = text.strip_prefix("requests[")?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.strip_prefix(after)?))
}

/// Sends `rows` (their organisation resolved) in batches of `batch`:
/// answers the rows created (or, with `dry_run`, found valid) and the
/// rows refused; `progress` is told each row as it is done.
pub async fn send_members(
    channel: &Authed,
    rows: Vec<MemberRow>,
    columns: &Columns,
    batch: usize,
    dry_run: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<(usize, Vec<RowError>), CallError> {
    let client = MemberServiceClient::new(channel.clone());
    let mut created = 0;
    let mut errors = Vec::new();
    for chunk in rows.chunks(batch.clamp(1, 1000)) {
        let mut pending: Vec<&MemberRow> = chunk.iter().collect();
        while !pending.is_empty() {
            let requests: Vec<CreateMemberRequest> =
                pending.iter().map(|r| r.request.clone()).collect();
            let encoded: Vec<Vec<u8>> =
                requests.iter().map(prost::Message::encode_to_vec).collect();
            let request = BatchCreateMembersRequest {
                requests,
                request_id: if dry_run {
                    String::new()
                } else {
                    request_id(&encoded)
                },
                validate_only: dry_run,
            };
            match retried(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.batch_create_members(request).await }
            })
            .await
            {
                Ok(answer) => {
                    let n = answer.into_inner().members.len();
                    created += n;
                    progress(n);
                    break;
                }
                Err(status) => {
                    // Only refusals naming rows still pending: anything
                    // else fails the import rather than resending forever.
                    let refused: Vec<_> = refused_rows(&status, columns)
                        .into_iter()
                        .filter(|(i, _, _)| *i < pending.len())
                        .collect();
                    if refused.is_empty() {
                        return Err(CallError {
                            what: format!(
                                "importing rows {} to {}",
                                chunk[0].line,
                                chunk[chunk.len() - 1].line
                            ),
                            status,
                        });
                    }
                    let mut out: Vec<usize> = Vec::new();
                    for (i, column, reason) in refused {
                        let row = pending[i];
                        errors.push(RowError {
                            line: row.line,
                            column,
                            reason,
                        });
                        out.push(i);
                    }
                    out.sort_unstable();
                    out.dedup();
                    progress(out.len());
                    for i in out.into_iter().rev() {
                        pending.remove(i);
                    }
                }
            }
        }
    }
    Ok((created, errors))
}

/// Creates `rows` one by one, in order (parents first), under the
/// organisations `known` by code; a row whose parent failed fails too.
/// With `dry_run` nothing is sent. Answers the rows created and refused.
pub async fn send_organizations(
    channel: &Authed,
    rows: Vec<OrganizationRow>,
    known: &HashMap<String, String>,
    columns: &Columns,
    dry_run: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<(usize, Vec<RowError>), CallError> {
    let client = OrganizationServiceClient::new(channel.clone());
    let mut names = known.clone();
    let mut failed_codes: HashMap<String, usize> = HashMap::new();
    let mut created = 0;
    let mut errors = Vec::new();
    for mut row in rows {
        progress(1);
        if let Some(line) = failed_codes.get(&row.parent_code) {
            errors.push(RowError {
                line: row.line,
                column: columns.heading("parent_code"),
                reason: format!("its parent (row {line}) was not imported"),
            });
            failed_codes.insert(row.code().to_string(), row.line);
            continue;
        }
        if dry_run {
            created += 1;
            names.insert(row.code().to_string(), String::new());
            continue;
        }
        let parent = names.get(&row.parent_code).cloned().unwrap_or_default();
        if let Some(org) = row.request.organization.as_mut() {
            org.parent = parent;
        }
        row.request.request_id = request_id(&[prost::Message::encode_to_vec(&row.request)]);
        match retried(|| {
            let mut client = client.clone();
            let request = row.request.clone();
            async move { client.create_organization(request).await }
        })
        .await
        {
            Ok(org) => {
                names.insert(row.code().to_string(), org.into_inner().name);
                created += 1;
            }
            Err(status)
                if matches!(
                    status.code(),
                    Code::InvalidArgument
                        | Code::AlreadyExists
                        | Code::FailedPrecondition
                        | Code::NotFound
                ) =>
            {
                let violations = status
                    .get_details_bad_request()
                    .map(|b| b.field_violations)
                    .unwrap_or_default();
                if violations.is_empty() {
                    errors.push(RowError {
                        line: row.line,
                        column: String::new(),
                        reason: status.message().to_string(),
                    });
                }
                for v in violations {
                    errors.push(RowError {
                        line: row.line,
                        column: columns.heading_of_field(&v.field),
                        reason: v.description,
                    });
                }
                failed_codes.insert(row.code().to_string(), row.line);
            }
            Err(status) => {
                return Err(CallError {
                    what: format!("importing row {}", row.line),
                    status,
                });
            }
        }
    }
    Ok((created, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_their_rows() {
        assert_eq!(
            index_prefix("requests[12].member.full_name", '.'),
            Some((12, "member.full_name"))
        );
        assert_eq!(
            index_prefix("requests[3]: card taken", ':'),
            Some((3, " card taken"))
        );
        assert_eq!(index_prefix("request_id", '.'), None);
    }

    #[test]
    fn the_same_rows_give_the_same_key() {
        let a = request_id(&[vec![1, 2], vec![3]]);
        assert_eq!(a, request_id(&[vec![1, 2], vec![3]]));
        assert_ne!(a, request_id(&[vec![1], vec![2, 3]]));
        assert!(a.len() <= 64);
    }
}
