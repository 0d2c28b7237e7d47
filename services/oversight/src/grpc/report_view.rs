//! The wire form of a report and its messages, and the report a caller
//! may see. Nothing here reads the vault: a report view says whether an
//! identity is sealed, never whose it is.

use probity_platform::{
    ApiError, Call, dates,
    resource::{etag, parse_name},
};
use probity_proto::probity::oversight::v1::{
    AccusedPerson, ErrorReason, Report, ReportMessage, ReportStatus,
};
use sqlx::AnyConnection;

use super::access::authorize_org;
use crate::{
    error::{Error, Result},
    peers::ScopeView,
    rules::reports as rules,
    store::{
        cases,
        reports::{self as store, MessageRow, ReportRow},
        vault,
    },
};

fn optional_date(text: Option<&str>) -> Result<Option<probity_proto::google::r#type::Date>> {
    Ok(text.map(dates::sql_to_proto).transpose()?)
}

fn name_or_empty(collection: &str, id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("{collection}/{id}")
    }
}

/// The wire form of a report for a caller whose scope is `view`: the case
/// it links to only when the caller sees that case.
pub async fn report(
    conn: &mut AnyConnection,
    view: &ScopeView,
    row: &ReportRow,
    today: time::Date,
) -> Result<Report> {
    let accused = store::accused(conn, &row.id).await?;
    let sealed = vault::exists(conn, &row.id).await?;
    let case = if row.case_id.is_empty() {
        String::new()
    } else {
        match cases::load(conn, &row.case_id).await? {
            Some(c) if view.covers(&c.jurisdiction_id) => format!("cases/{}", c.id),
            _ => String::new(),
        }
    };
    let status = ReportStatus::try_from(row.status as i32).unwrap_or_default();
    let accept_due = row.accept_due.as_deref().map(dates::from_sql).transpose()?;
    let resolve_due = row
        .resolve_due
        .as_deref()
        .map(dates::from_sql)
        .transpose()?;
    Ok(Report {
        name: format!("reports/{}", row.id),
        organization: format!("organizations/{}", row.org_id),
        channel: row.channel as i32,
        category: row.category as i32,
        content: row.content.clone(),
        accused: accused
            .into_iter()
            .map(|a| AccusedPerson {
                member: name_or_empty("members", &a.member_id),
                display_name: a.name,
                position: a.position,
            })
            .collect(),
        sector: name_or_empty("sectors", &row.sector),
        received_date: Some(dates::sql_to_proto(&row.received_date)?),
        anonymous: row.anonymous == 1,
        identity_sealed: sealed,
        status: status as i32,
        accept_due_date: accept_due.map(dates::to_proto),
        resolve_due_date: resolve_due.map(dates::to_proto),
        limit_citations: [&row.accept_citation, &row.resolve_citation]
            .into_iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect(),
        overdue: row.expired == 0 && rules::overdue(status, accept_due, resolve_due, today),
        outcome: row.outcome as i32,
        decision_number: row.decision_number.clone(),
        decision_date: optional_date(row.decision_date.as_deref())?,
        decision_note: row.decision_note.clone(),
        transferred_to: name_or_empty("agencies", &row.transfer_agency_id),
        case,
        retention_class: row.retention_class.clone(),
        expire_date: optional_date(row.expire_date.as_deref())?,
        expired: row.expired == 1,
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// The wire form of a message.
pub fn message(row: &MessageRow) -> ReportMessage {
    ReportMessage {
        name: format!("reports/{}/messages/{}", row.report_id, row.seq),
        author: row.author as i32,
        internal: row.internal == 1,
        text: row.text.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
    }
}

/// `FAILED_PRECONDITION` (`ILLEGAL_TRANSITION`) for report `name` when its
/// retention ended: nothing more is recorded on it.
pub fn check_not_expired(row: &ReportRow, name: &str) -> Result<()> {
    if row.expired == 1 {
        return Err(Error::state(
            ErrorReason::IllegalTransition,
            format!("{name}: its retention ended; nothing more is recorded on it"),
        ));
    }
    Ok(())
}

/// Loads the report named `name` (field `field`) whose organisation the
/// caller's scope covers today: `NOT_FOUND` otherwise.
pub async fn visible_report(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    field: &str,
    name: &str,
) -> Result<ReportRow> {
    let id = parse_name(field, name, "reports")?;
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    authorize_org(call, view, &row.org_id, name)?;
    Ok(row)
}
