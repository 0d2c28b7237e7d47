//! `probity.members.v1.DeclarationService`: asset and income declarations.

use std::collections::{BTreeMap, HashSet};

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::members::v1::{
    ApproveObligationListRequest, AssetCategory, AssetChange, CreateObligationListRequest,
    Deadline, Declaration, DeclarationItem, DeclarationKind, DeclarationRule,
    DeclarationRuleKind as RuleKind, DeclarationStatus, DeclarationStep, DrawCandidate,
    DrawVerificationRequest, GetAssetChangeRequest, GetDeclarationRequest,
    GetObligationListRequest, GetVerificationDrawRequest, HandOverDeclarationRequest,
    ListAssetChangeFlagsRequest, ListAssetChangeFlagsResponse, ListDeclarationRulesRequest,
    ListDeclarationRulesResponse, ListDeclarationsRequest, ListDeclarationsResponse, Obligation,
    ObligationList, ObligationListState, PublishDeclarationRequest,
    RecordVerificationConclusionRequest, ResubmitDeclarationRequest, ReturnDeclarationRequest,
    SubmitDeclarationRequest, Timeliness, VerificationDraw, VerificationOutcome,
    declaration_service_server::DeclarationService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use time::Date;
use tonic::{Request, Response, Status};

use crate::{
    books::{reference_date, validate_year},
    declaration_rules::{self as rules, Candidate},
    error::Result,
    members::{member_name, visible_member, writable_member},
    organizations::{subtree_on, visible, writable},
    roster::active_list,
    tree::{self, in_force, org_name},
};

/// The role that sees declaration contents and records their control.
pub const ROLE_CONTROL: &str = "declaration-control";
const MAX_TEXT: usize = 4000;
const MAX_ITEMS: usize = 500;

/// `DeclarationService` over one database.
#[derive(Debug, Clone)]
pub struct Declarations {
    db: Database,
}

fn require_control(call: &Call) -> Result<(), ApiError> {
    call.caller.require_role(ROLE_CONTROL)
}

/// The version of a rule in force on `date`: its value and citation.
async fn rule(conn: &mut AnyConnection, kind: RuleKind, date: &str) -> Result<(i64, String)> {
    let row = sqlx::query(
        "SELECT value, citation FROM declaration_rules WHERE kind = $1 AND valid_from <= $2 ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(kind as i64)
    .bind(date)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ApiError::Internal(format!("no {kind:?} rule in force on {date}")))?;
    Ok((row.try_get("value")?, row.try_get("citation")?))
}

fn vnd(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}{out} VND", if n < 0 { "-" } else { "" })
}

// ---------------------------------------------------------------- obligation lists

fn parse_list_name(name: &str) -> Result<(String, i32), ApiError> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["organizations", o, "obligationLists", y] if probity_platform::resource::is_id(o) => {
            let year = y
                .parse()
                .map_err(|_| ApiError::invalid("name", "the year must be a number"))?;
            Ok((o.to_string(), year))
        }
        _ => Err(ApiError::invalid(
            "name",
            "must be organizations/{org}/obligationLists/{year}",
        )),
    }
}

async fn load_list(
    conn: &mut AnyConnection,
    org_id: &str,
    year: i32,
) -> Result<Option<ObligationList>> {
    let Some(row) = sqlx::query(
        "SELECT state, approved_by, approve_micros, revision FROM obligation_lists WHERE org_id = $1 AND year = $2",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let obligations = sqlx::query(
        "SELECT member_id, leader, position FROM obligations WHERE org_id = $1 AND year = $2 ORDER BY member_id",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(Obligation {
            member: member_name(&r.try_get::<String, _>("member_id")?),
            leader: r.try_get::<i64, _>("leader")? != 0,
            position: r.try_get("position")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(ObligationList {
        name: format!("organizations/{org_id}/obligationLists/{year}"),
        organization: org_name(org_id),
        year,
        obligations,
        state: row.try_get::<i64, _>("state")? as i32,
        approved_by: row
            .try_get::<Option<String>, _>("approved_by")?
            .unwrap_or_default(),
        approve_time: row
            .try_get::<Option<i64>, _>("approve_micros")?
            .map(dates::timestamp),
        etag: etag(row.try_get("revision")?),
    }))
}

// ---------------------------------------------------------------- declarations

const DECLARATION_COLUMNS: &str = "d.id, d.member_id, d.organization_id, d.year, d.kind, d.declared_as_of, d.event_date, \
    d.increase_origin, d.total_assets, d.status, d.received_date, d.returned_date, d.return_reason, d.resubmitted_date, \
    d.handed_over_date, d.published_date, d.publication_place, d.verification, d.findings, d.concluded_date, \
    d.revision, d.create_micros";

fn opt_date(row: &AnyRow, column: &str) -> Result<Option<probity_proto::google::r#type::Date>> {
    let text: Option<String> = row.try_get(column)?;
    Ok(text.as_deref().map(dates::sql_to_proto).transpose()?)
}

fn declaration_from_row(row: &AnyRow) -> Result<Declaration> {
    let id: String = row.try_get("id")?;
    Ok(Declaration {
        name: format!("declarations/{id}"),
        declarant: member_name(&row.try_get::<String, _>("member_id")?),
        organization: org_name(&row.try_get::<String, _>("organization_id")?),
        year: row.try_get::<i64, _>("year")? as i32,
        kind: row.try_get::<i64, _>("kind")? as i32,
        declared_as_of: opt_date(row, "declared_as_of")?,
        event_date: opt_date(row, "event_date")?,
        items: Vec::new(),
        increase_origin: row.try_get("increase_origin")?,
        total_assets_vnd: row.try_get("total_assets")?,
        contents_redacted: false,
        status: row.try_get::<i64, _>("status")? as i32,
        received_date: opt_date(row, "received_date")?,
        returned_date: opt_date(row, "returned_date")?,
        return_reason: row
            .try_get::<Option<String>, _>("return_reason")?
            .unwrap_or_default(),
        resubmitted_date: opt_date(row, "resubmitted_date")?,
        handed_over_date: opt_date(row, "handed_over_date")?,
        published_date: opt_date(row, "published_date")?,
        publication_place: row
            .try_get::<Option<String>, _>("publication_place")?
            .unwrap_or_default(),
        deadlines: Vec::new(),
        verification: row.try_get::<i64, _>("verification")? as i32,
        verification_findings: row
            .try_get::<Option<String>, _>("findings")?
            .unwrap_or_default(),
        concluded_date: opt_date(row, "concluded_date")?,
        etag: etag(row.try_get("revision")?),
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
    })
}

fn sql_date(d: &Option<probity_proto::google::r#type::Date>) -> Option<Date> {
    d.as_ref()
        .and_then(|d| dates::from_proto("", Some(d)).ok().flatten())
}

/// Fills in items (for the control role, else redacts) and deadlines.
async fn complete(
    conn: &mut AnyConnection,
    call: &Call,
    mut d: Declaration,
) -> Result<Declaration> {
    if call.caller.has_role(ROLE_CONTROL) {
        let id = d.name.trim_start_matches("declarations/").to_string();
        d.items = sqlx::query(
            "SELECT category, description, value_vnd FROM declaration_items WHERE declaration_id = $1 ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(DeclarationItem {
                category: r.try_get::<i64, _>("category")? as i32,
                description: r.try_get("description")?,
                value_vnd: r.try_get("value_vnd")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    } else {
        d.items.clear();
        d.total_assets_vnd = 0;
        d.increase_origin.clear();
        d.verification_findings.clear();
        d.contents_redacted = true;
    }
    d.deadlines = deadlines(conn, &d).await?;
    Ok(d)
}

fn timeliness(due: Date, done: Option<Date>) -> Timeliness {
    match done {
        Some(done) if done <= due => Timeliness::OnTime,
        Some(_) => Timeliness::Late,
        None if dates::today() > due => Timeliness::Overdue,
        None => Timeliness::Pending,
    }
}

/// The tracked deadlines of a declaration, from its dates and the rules in
/// force when each clock started.
async fn deadlines(conn: &mut AnyConnection, d: &Declaration) -> Result<Vec<Deadline>> {
    let mut out = Vec::new();
    let received = sql_date(&d.received_date);
    let kind = DeclarationKind::try_from(d.kind).unwrap_or(DeclarationKind::Unspecified);
    let event = sql_date(&d.event_date);
    let mut push = |step: DeclarationStep, due: Date, done: Option<Date>, citation: String| {
        out.push(Deadline {
            step: step as i32,
            due_date: Some(dates::to_proto(due)),
            done_date: done.map(dates::to_proto),
            timeliness: timeliness(due, done) as i32,
            citation,
        });
    };
    // Filing.
    match (kind, event) {
        (DeclarationKind::First, Some(event)) => {
            let (days, citation) =
                rule(conn, RuleKind::FirstFilingDays, &dates::to_sql(event)).await?;
            push(
                DeclarationStep::Filing,
                rules::add_days(event, days),
                received,
                citation,
            );
        }
        (DeclarationKind::Appointment, Some(event)) => {
            let (days, citation) =
                rule(conn, RuleKind::AppointmentFilingDays, &dates::to_sql(event)).await?;
            push(
                DeclarationStep::Filing,
                rules::add_days(event, -days),
                received,
                citation,
            );
        }
        _ => {
            let due = Date::from_calendar_date(d.year, time::Month::December, 31)
                .map_err(|_| ApiError::Internal("bad year".into()))?;
            push(
                DeclarationStep::Filing,
                due,
                received,
                "Luật Phòng, chống tham nhũng 36/2018/QH14: hoàn thành trước 31/12".into(),
            );
        }
    }
    let Some(received) = received else {
        return Ok(out);
    };
    // Return for correction.
    if let Some(returned) = sql_date(&d.returned_date) {
        let (days, citation) = rule(conn, RuleKind::ReturnDays, &dates::to_sql(received)).await?;
        push(
            DeclarationStep::Return,
            rules::add_days(received, days),
            Some(returned),
            citation,
        );
    }
    // Hand-over and publication count from the final receipt.
    let awaiting_correction = d.status == DeclarationStatus::Returned as i32;
    if !awaiting_correction {
        let final_receipt = sql_date(&d.resubmitted_date).unwrap_or(received);
        let start = dates::to_sql(final_receipt);
        let (days, citation) = rule(conn, RuleKind::HandOverDays, &start).await?;
        push(
            DeclarationStep::HandOver,
            rules::add_days(final_receipt, days),
            sql_date(&d.handed_over_date),
            citation,
        );
        let (days, citation) = rule(conn, RuleKind::PublicationWorkingDays, &start).await?;
        push(
            DeclarationStep::Publication,
            rules::add_working_days(final_receipt, days),
            sql_date(&d.published_date),
            citation,
        );
    }
    Ok(out)
}

async fn load_declaration(conn: &mut AnyConnection, id: &str) -> Result<Option<Declaration>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {DECLARATION_COLUMNS} FROM declarations d WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(declaration_from_row).transpose()
}

/// Validates items against the valuables threshold in force on `as_of`.
async fn validate_items(
    conn: &mut AnyConnection,
    v: &mut Violations,
    field: &str,
    items: &[DeclarationItem],
    as_of: &str,
) -> Result<i64> {
    if items.len() > MAX_ITEMS {
        v.add(field, format!("at most {MAX_ITEMS} items"));
    }
    let (threshold, citation) = rule(conn, RuleKind::ValuablesThreshold, as_of).await?;
    let mut total = 0_i64;
    for (i, item) in items.iter().enumerate() {
        let f = |name: &str| format!("{field}[{i}].{name}");
        let category = AssetCategory::try_from(item.category).unwrap_or(AssetCategory::Unspecified);
        v.check(
            category == AssetCategory::Unspecified,
            &f("category"),
            "required",
        );
        let description = item.description.trim();
        v.check(
            description.is_empty() || description.chars().count() > MAX_TEXT,
            &f("description"),
            "required, at most 4000 characters",
        );
        if item.value_vnd < 0 {
            v.add(f("value_vnd"), "must not be negative");
        } else if category == AssetCategory::VehiclesValuables && item.value_vnd < threshold {
            v.add(
                f("value_vnd"),
                format!(
                    "{} is below the {} from which vehicles and other valuables are declared on {as_of} ({citation})",
                    vnd(item.value_vnd),
                    vnd(threshold)
                ),
            );
        }
        if category != AssetCategory::Income {
            total = total.saturating_add(item.value_vnd.max(0));
        }
    }
    Ok(total)
}

async fn replace_items(
    conn: &mut AnyConnection,
    id: &str,
    items: &[DeclarationItem],
) -> Result<()> {
    sqlx::query("DELETE FROM declaration_items WHERE declaration_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (seq, item) in items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO declaration_items (declaration_id, seq, category, description, value_vnd) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(seq as i64)
        .bind(i64::from(item.category))
        .bind(item.description.trim())
        .bind(item.value_vnd)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A date that must be present and not in the future.
fn step_date(
    v: &mut Violations,
    field: &str,
    date: Option<&probity_proto::google::r#type::Date>,
) -> Option<Date> {
    match dates::required(field, date) {
        Err(e) => {
            v.add(e.field, e.description);
            None
        }
        Ok(d) if d > dates::today() => {
            v.add(field, "must not be in the future");
            None
        }
        Ok(d) => Some(d),
    }
}

// ---------------------------------------------------------------- asset change

struct Filed {
    id: String,
    as_of: String,
    total: i64,
    origin: String,
}

/// The latest valid declaration of `member` in `year`, and the latest one
/// before that year.
async fn filed_pair(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
) -> Result<(Option<Filed>, Option<Filed>)> {
    let rows = sqlx::query(
        "SELECT id, year, declared_as_of, total_assets, increase_origin FROM declarations \
         WHERE member_id = $1 AND year <= $2 AND status <> $3 ORDER BY declared_as_of DESC, id DESC",
    )
    .bind(member_id)
    .bind(i64::from(year))
    .bind(DeclarationStatus::Returned as i64)
    .fetch_all(conn)
    .await?;
    let mut current = None;
    let mut previous = None;
    for row in rows {
        let y = row.try_get::<i64, _>("year")? as i32;
        let filed = Filed {
            id: row.try_get("id")?,
            as_of: row.try_get("declared_as_of")?,
            total: row.try_get("total_assets")?,
            origin: row.try_get("increase_origin")?,
        };
        if y == year && current.is_none() {
            current = Some(filed);
        } else if y < year && previous.is_none() {
            previous = Some(filed);
        }
    }
    Ok((current, previous))
}

async fn asset_change(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
) -> Result<Option<AssetChange>> {
    let (Some(now), before) = filed_pair(conn, member_id, year).await? else {
        return Ok(None);
    };
    let (threshold, citation) = rule(conn, RuleKind::SupplementaryTrigger, &now.as_of).await?;
    let previous_total = before.as_ref().map_or(0, |b| b.total);
    let change = now.total - previous_total;
    let flagged = before.is_some() && change > threshold && now.origin.trim().is_empty();
    let reason = if flagged {
        format!(
            "assets rose by {} (from {} to {}), above the {} threshold in force on {} ({citation}), and no origin is explained",
            vnd(change),
            vnd(previous_total),
            vnd(now.total),
            vnd(threshold),
            now.as_of
        )
    } else {
        String::new()
    };
    Ok(Some(AssetChange {
        declarant: member_name(member_id),
        year,
        declaration: format!("declarations/{}", now.id),
        previous_declaration: before
            .map(|b| format!("declarations/{}", b.id))
            .unwrap_or_default(),
        previous_total_vnd: previous_total,
        total_vnd: now.total,
        change_vnd: change,
        threshold_vnd: threshold,
        threshold_citation: citation,
        flagged,
        reason,
    }))
}

// ---------------------------------------------------------------- the service

impl Declarations {
    /// The service.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn create_list(
        &self,
        call: Call,
        req: CreateObligationListRequest,
    ) -> Result<ObligationList> {
        validate_year("year", req.year)?;
        let mut v = Violations::new();
        v.check(
            req.obligations.is_empty(),
            "obligations",
            "at least one member",
        );
        let mut seen = HashSet::new();
        for (i, o) in req.obligations.iter().enumerate() {
            if parse_name("", &o.member, "members").is_err() {
                v.add(format!("obligations[{i}].member"), "must be members/{id}");
            } else if !seen.insert(o.member.clone()) {
                v.add(format!("obligations[{i}].member"), "listed twice");
            }
            v.check(
                o.position.chars().count() > 200,
                &format!("obligations[{i}].position"),
                "at most 200 characters",
            );
        }
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<ObligationList>()? {
            return Ok(done);
        }
        let org = writable(w.conn(), &call, "organization", &req.organization).await?;
        let date = reference_date(req.year);
        let root = tree::require_on_date(w.conn(), &org.id, &date).await?;
        if load_list(w.conn(), &org.id, req.year).await?.is_some() {
            return Err(ApiError::AlreadyExists {
                reason: "OBLIGATION_LIST_EXISTS",
                message: format!(
                    "{} already has an obligation list for {}",
                    req.organization, req.year
                ),
            }
            .into());
        }
        sqlx::query(
            "INSERT INTO obligation_lists (org_id, year, state, approved_by, approve_micros, revision, create_micros) \
             VALUES ($1, $2, $3, NULL, NULL, 1, $4)",
        )
        .bind(&org.id)
        .bind(i64::from(req.year))
        .bind(ObligationListState::Draft as i64)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        let mut outside = Vec::new();
        for (i, o) in req.obligations.iter().enumerate() {
            let member_id = o.member.trim_start_matches("members/");
            let inside = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT 1 FROM member_periods mp JOIN organization_placements p ON p.org_id = mp.organization_id AND {} \
                 WHERE mp.member_id = $2 AND {} AND mp.status IN ({}) AND p.path >= $3 AND p.path < $4",
                in_force("p", 1),
                in_force("mp", 1),
                active_list()
            )))
            .bind(&date)
            .bind(member_id)
            .bind(&root.path)
            .bind(tree::upper(&root.path))
            .fetch_optional(w.conn())
            .await?;
            if inside.is_none() {
                outside.push((i, o.member.clone()));
                continue;
            }
            sqlx::query("INSERT INTO obligations (org_id, year, member_id, leader, position) VALUES ($1, $2, $3, $4, $5)")
                .bind(&org.id)
                .bind(i64::from(req.year))
                .bind(member_id)
                .bind(i64::from(o.leader))
                .bind(o.position.trim())
                .execute(w.conn())
                .await?;
        }
        if !outside.is_empty() {
            return Err(ApiError::InvalidArgument(
                outside
                    .into_iter()
                    .map(|(i, m)| {
                        probity_platform::error::Violation::new(
                            format!("obligations[{i}].member"),
                            format!(
                                "{m} is not an active member of {} on {date}",
                                req.organization
                            ),
                        )
                    })
                    .collect(),
            )
            .into());
        }
        let list = load_list(w.conn(), &org.id, req.year)
            .await?
            .ok_or_else(|| ApiError::Internal("list vanished".into()))?;
        w.commit(&list.name, &list).await?;
        Ok(list)
    }

    async fn get_list(&self, call: Call, req: GetObligationListRequest) -> Result<ObligationList> {
        let (org_id, year) = parse_list_name(&req.name)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        visible(&mut conn, &call, "name", &org_name(&org_id))
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        Ok(load_list(&mut conn, &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?)
    }

    async fn approve_list(
        &self,
        call: Call,
        req: ApproveObligationListRequest,
    ) -> Result<ObligationList> {
        let (org_id, year) = parse_list_name(&req.name)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        writable(w.conn(), &call, "name", &org_name(&org_id)).await?;
        let list = load_list(w.conn(), &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        check_current_etag(&req.name, &req.etag, &list.etag)?;
        if list.state == ObligationListState::Approved as i32 {
            return Err(ApiError::precondition(
                "ALREADY_APPROVED",
                format!("{} is already approved", req.name),
            )
            .into());
        }
        sqlx::query(
            "UPDATE obligation_lists SET state = $1, approved_by = $2, approve_micros = $3, revision = revision + 1 \
             WHERE org_id = $4 AND year = $5",
        )
        .bind(ObligationListState::Approved as i64)
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .bind(&org_id)
        .bind(i64::from(year))
        .execute(w.conn())
        .await?;
        let list = load_list(w.conn(), &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&list.name, &list).await?;
        Ok(list)
    }

    async fn submit(&self, call: Call, req: SubmitDeclarationRequest) -> Result<Declaration> {
        require_control(&call)?;
        let d = req.declaration.clone().unwrap_or_default();
        let mut v = Violations::new();
        if let Err(ApiError::InvalidArgument(x)) = validate_year("declaration.year", d.year) {
            x.into_iter().for_each(|x| v.add(x.field, x.description));
        }
        let kind = DeclarationKind::try_from(d.kind).unwrap_or(DeclarationKind::Unspecified);
        v.check(
            kind == DeclarationKind::Unspecified,
            "declaration.kind",
            "required",
        );
        let as_of = step_date(
            &mut v,
            "declaration.declared_as_of",
            d.declared_as_of.as_ref(),
        );
        if let Some(a) = as_of
            && a.year() != d.year
        {
            v.add(
                "declaration.declared_as_of",
                "must fall in the declaration's year",
            );
        }
        let event = dates::from_proto("declaration.event_date", d.event_date.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok()
            .flatten();
        let needs_event = matches!(kind, DeclarationKind::First | DeclarationKind::Appointment);
        v.check(
            needs_event && event.is_none(),
            "declaration.event_date",
            "required for first and appointment declarations",
        );
        v.check(
            !needs_event && event.is_some(),
            "declaration.event_date",
            "only first and appointment declarations have one",
        );
        let received = step_date(
            &mut v,
            "declaration.received_date",
            d.received_date.as_ref(),
        );
        v.check(
            d.increase_origin.chars().count() > MAX_TEXT,
            "declaration.increase_origin",
            "at most 4000 characters",
        );
        v.check(d.declarant.is_empty(), "declaration.declarant", "required");
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Declaration>()? {
            return Ok(done);
        }
        let as_of_sql = dates::to_sql(as_of.unwrap_or_else(dates::today));
        let total =
            validate_items(w.conn(), &mut v, "declaration.items", &d.items, &as_of_sql).await?;
        v.into_result()?;
        let (member, _, org) =
            writable_member(w.conn(), &call, "declaration.declarant", &d.declarant).await?;
        let id = new_id();
        sqlx::query(
            "INSERT INTO declarations (id, member_id, organization_id, year, kind, declared_as_of, event_date, increase_origin, \
             total_assets, status, received_date, verification, revision, create_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 1, $12)",
        )
        .bind(&id)
        .bind(member.name.trim_start_matches("members/"))
        .bind(&org.id)
        .bind(i64::from(d.year))
        .bind(kind as i64)
        .bind(&as_of_sql)
        .bind(event.map(dates::to_sql))
        .bind(d.increase_origin.trim())
        .bind(total)
        .bind(DeclarationStatus::Received as i64)
        .bind(received.map(dates::to_sql))
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        replace_items(w.conn(), &id, &d.items).await?;
        let created = load_declaration(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("declaration vanished".into()))?;
        let created = complete(w.conn(), &call, created).await?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    /// Loads a declaration the caller may see; `write` also checks write
    /// scope on the declarant's organisation.
    async fn for_caller(
        &self,
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
        write: bool,
    ) -> Result<Declaration> {
        let id = parse_name("name", name, "declarations")?;
        let d = load_declaration(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(name))?;
        let org = visible(conn, call, "name", &d.organization)
            .await
            .map_err(|e| e.not_found_as(name))?;
        if write {
            call.caller.check_write(org.lineage(), name)?;
        }
        Ok(d)
    }

    async fn get(&self, call: Call, req: GetDeclarationRequest) -> Result<Declaration> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let d = self.for_caller(&mut conn, &call, &req.name, false).await?;
        complete(&mut conn, &call, d).await
    }

    async fn list(
        &self,
        call: Call,
        req: ListDeclarationsRequest,
    ) -> Result<ListDeclarationsResponse> {
        validate_year("year", req.year)?;
        let kind = DeclarationKind::try_from(req.kind)
            .map_err(|_| ApiError::invalid("kind", "unknown kind"))?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{};{}", req.organization, req.year, req.kind),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let Some(root) =
            subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?
        else {
            return Ok(ListDeclarationsResponse::default());
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations d \
             JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
             WHERE p.path >= $2 AND p.path < $3 AND d.year = $4 AND ($5 = 0 OR d.kind = $5) AND d.id > $6 \
             ORDER BY d.id LIMIT $7",
            in_force("p", 1)
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(req.year))
        .bind(kind as i64)
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(declaration_from_row(row)?);
        }
        let next_page_token = page.finish(&mut out, |d| {
            d.name.trim_start_matches("declarations/").to_string()
        });
        let mut declarations = Vec::with_capacity(out.len());
        for d in out {
            declarations.push(complete(&mut conn, &call, d).await?);
        }
        Ok(ListDeclarationsResponse {
            declarations,
            next_page_token,
        })
    }

    /// Opens a write for a process step on a declaration the caller may
    /// change; the declaration is returned as stored.
    async fn begin_step<M: prost::Message>(
        &self,
        call: &Call,
        request: &M,
        request_id: &str,
        name: &str,
    ) -> Result<(probity_platform::write::Write, Declaration)> {
        let mut w = self.db.begin_write(call, request_id, request).await?;
        let d = self.for_caller(w.conn(), call, name, true).await?;
        Ok((w, d))
    }

    /// Reloads the declaration after a step, audits and commits.
    async fn finish_step(
        call: &Call,
        mut w: probity_platform::write::Write,
        id: &str,
    ) -> Result<Declaration> {
        let d = load_declaration(w.conn(), id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("declarations/{id}")))?;
        let d = complete(w.conn(), call, d).await?;
        w.commit(&d.name, &d).await?;
        Ok(d)
    }

    async fn return_for_correction(
        &self,
        call: Call,
        req: ReturnDeclarationRequest,
    ) -> Result<Declaration> {
        let reason = req.reason.trim().to_string();
        let mut v = Violations::new();
        v.check(
            reason.is_empty() || reason.chars().count() > MAX_TEXT,
            "reason",
            "required, at most 4000 characters",
        );
        let when = step_date(&mut v, "returned_date", req.returned_date.as_ref());
        v.into_result()?;
        let when = when.unwrap_or_else(dates::today);
        let (mut w, d) = self.begin_step(&call, &req, "", &req.name).await?;
        check_current_etag(&d.name, &req.etag, &d.etag)?;
        if d.status != DeclarationStatus::Received as i32 {
            return Err(ApiError::precondition(
                "NOT_RETURNABLE",
                format!("{} can be returned only once, right after receipt", d.name),
            )
            .into());
        }
        after(when, &d.received_date, "returned_date", "received date")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        sqlx::query("UPDATE declarations SET status = $1, returned_date = $2, return_reason = $3, revision = revision + 1 WHERE id = $4")
            .bind(DeclarationStatus::Returned as i64)
            .bind(dates::to_sql(when))
            .bind(&reason)
            .bind(&id)
            .execute(w.conn())
            .await?;
        Self::finish_step(&call, w, &id).await
    }

    async fn resubmit(&self, call: Call, req: ResubmitDeclarationRequest) -> Result<Declaration> {
        require_control(&call)?;
        let mut v = Violations::new();
        let when = step_date(&mut v, "resubmitted_date", req.resubmitted_date.as_ref());
        v.check(
            req.increase_origin.chars().count() > MAX_TEXT,
            "increase_origin",
            "at most 4000 characters",
        );
        let (mut w, d) = self.begin_step(&call, &req, "", &req.name).await?;
        let as_of = sql_date(&d.declared_as_of)
            .map(dates::to_sql)
            .unwrap_or_default();
        let total = validate_items(w.conn(), &mut v, "items", &req.items, &as_of).await?;
        v.into_result()?;
        check_current_etag(&req.name, &req.etag, &d.etag)?;
        if d.status != DeclarationStatus::Returned as i32 {
            return Err(ApiError::precondition(
                "NOT_RETURNED",
                format!("{} was not returned for correction", req.name),
            )
            .into());
        }
        let when = when.unwrap_or_else(dates::today);
        after(when, &d.returned_date, "resubmitted_date", "returned date")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        sqlx::query(
            "UPDATE declarations SET status = $1, resubmitted_date = $2, increase_origin = $3, total_assets = $4, \
             revision = revision + 1 WHERE id = $5",
        )
        .bind(DeclarationStatus::Resubmitted as i64)
        .bind(dates::to_sql(when))
        .bind(req.increase_origin.trim())
        .bind(total)
        .bind(&id)
        .execute(w.conn())
        .await?;
        replace_items(w.conn(), &id, &req.items).await?;
        Self::finish_step(&call, w, &id).await
    }

    async fn hand_over(&self, call: Call, req: HandOverDeclarationRequest) -> Result<Declaration> {
        let mut v = Violations::new();
        let when = step_date(&mut v, "handed_over_date", req.handed_over_date.as_ref());
        v.into_result()?;
        let when = when.unwrap_or_else(dates::today);
        let (mut w, d) = self.begin_step(&call, &req, "", &req.name).await?;
        if !matches!(
            DeclarationStatus::try_from(d.status),
            Ok(DeclarationStatus::Received | DeclarationStatus::Resubmitted)
        ) {
            return Err(ApiError::precondition(
                "NOT_READY_FOR_HAND_OVER",
                format!(
                    "{} is returned for correction or already handed over",
                    d.name
                ),
            )
            .into());
        }
        after(when, final_receipt(&d), "handed_over_date", "final receipt")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        sqlx::query("UPDATE declarations SET status = $1, handed_over_date = $2, revision = revision + 1 WHERE id = $3")
            .bind(DeclarationStatus::HandedOver as i64)
            .bind(dates::to_sql(when))
            .bind(&id)
            .execute(w.conn())
            .await?;
        Self::finish_step(&call, w, &id).await
    }

    async fn publish(&self, call: Call, req: PublishDeclarationRequest) -> Result<Declaration> {
        let place = req.place.trim().to_string();
        let mut v = Violations::new();
        v.check(
            place.is_empty() || place.chars().count() > 300,
            "place",
            "required, at most 300 characters",
        );
        let when = step_date(&mut v, "published_date", req.published_date.as_ref());
        v.into_result()?;
        let when = when.unwrap_or_else(dates::today);
        let (mut w, d) = self.begin_step(&call, &req, "", &req.name).await?;
        if d.status == DeclarationStatus::Returned as i32 || d.published_date.is_some() {
            return Err(ApiError::precondition(
                "NOT_PUBLISHABLE",
                format!("{} is returned for correction or already published", d.name),
            )
            .into());
        }
        after(when, final_receipt(&d), "published_date", "final receipt")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        sqlx::query("UPDATE declarations SET published_date = $1, publication_place = $2, revision = revision + 1 WHERE id = $3")
            .bind(dates::to_sql(when))
            .bind(&place)
            .bind(&id)
            .execute(w.conn())
            .await?;
        Self::finish_step(&call, w, &id).await
    }

    async fn conclude(
        &self,
        call: Call,
        req: RecordVerificationConclusionRequest,
    ) -> Result<Declaration> {
        require_control(&call)?;
        let outcome =
            VerificationOutcome::try_from(req.outcome).unwrap_or(VerificationOutcome::Unspecified);
        let findings = req.findings.trim().to_string();
        let mut v = Violations::new();
        v.check(
            outcome == VerificationOutcome::Unspecified,
            "outcome",
            "required",
        );
        v.check(
            findings.is_empty() || findings.chars().count() > MAX_TEXT,
            "findings",
            "required, at most 4000 characters",
        );
        let when = step_date(&mut v, "concluded_date", req.concluded_date.as_ref());
        v.into_result()?;
        let when = when.unwrap_or_else(dates::today);
        let (mut w, d) = self
            .begin_step(&call, &req, &req.request_id, &req.name)
            .await?;
        if let Some(done) = w.replayed::<Declaration>()? {
            return Ok(done);
        }
        if d.verification != VerificationOutcome::Unspecified as i32 {
            return Err(ApiError::precondition(
                "ALREADY_CONCLUDED",
                format!("{} already has a verification conclusion", req.name),
            )
            .into());
        }
        after(when, &d.received_date, "concluded_date", "received date")?;
        let id = d.name.trim_start_matches("declarations/").to_string();
        sqlx::query(
            "UPDATE declarations SET verification = $1, findings = $2, concluded_date = $3, revision = revision + 1 WHERE id = $4",
        )
        .bind(outcome as i64)
        .bind(&findings)
        .bind(dates::to_sql(when))
        .bind(&id)
        .execute(w.conn())
        .await?;
        Self::finish_step(&call, w, &id).await
    }

    async fn change(&self, call: Call, req: GetAssetChangeRequest) -> Result<AssetChange> {
        require_control(&call)?;
        validate_year("year", req.year)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let (member, _, _) = visible_member(&mut conn, &call, "declarant", &req.declarant).await?;
        let member_id = member.name.trim_start_matches("members/");
        Ok(asset_change(&mut conn, member_id, req.year)
            .await?
            .ok_or_else(|| {
                ApiError::precondition(
                    "NO_DECLARATION",
                    format!("{} filed no declaration for {}", req.declarant, req.year),
                )
            })?)
    }

    async fn flags(
        &self,
        call: Call,
        req: ListAssetChangeFlagsRequest,
    ) -> Result<ListAssetChangeFlagsResponse> {
        require_control(&call)?;
        validate_year("year", req.year)?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{}", req.organization, req.year),
        )?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let date = reference_date(req.year);
        let Some(root) =
            subtree_on(&mut conn, &call, "organization", &req.organization, &date).await?
        else {
            return Ok(ListAssetChangeFlagsResponse::default());
        };
        let mut changes = Vec::new();
        let mut after = page.after.clone().unwrap_or_default();
        // Scan declarants in id order until a page of flags is full.
        loop {
            let batch: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT d.member_id FROM declarations d \
                 JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
                 WHERE p.path >= $2 AND p.path < $3 AND d.year = $4 AND d.member_id > $5 ORDER BY d.member_id LIMIT 500",
                in_force("p", 1)
            )))
            .bind(&date)
            .bind(&root.path)
            .bind(tree::upper(&root.path))
            .bind(i64::from(req.year))
            .bind(&after)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("member_id"))
            .collect::<Result<_, _>>()?;
            let exhausted = batch.len() < 500;
            for member_id in batch {
                after = member_id.clone();
                if let Some(c) = asset_change(&mut conn, &member_id, req.year).await?
                    && c.flagged
                {
                    changes.push(c);
                    if changes.len() as i64 == page.limit() {
                        break;
                    }
                }
            }
            if exhausted || changes.len() as i64 == page.limit() {
                break;
            }
        }
        let next_page_token = page.finish(&mut changes, |c| {
            c.declarant.trim_start_matches("members/").to_string()
        });
        Ok(ListAssetChangeFlagsResponse {
            changes,
            next_page_token,
        })
    }

    async fn draw(&self, call: Call, req: DrawVerificationRequest) -> Result<VerificationDraw> {
        require_control(&call)?;
        validate_year("year", req.year)?;
        let percent = if req.percent == 0 { 10 } else { req.percent };
        let mut v = Violations::new();
        v.check(!(10..=100).contains(&percent), "percent", "10 to 100");
        v.check(
            req.seed.chars().count() > 128,
            "seed",
            "at most 128 characters",
        );
        v.into_result()?;
        let seed = if req.seed.is_empty() {
            new_id()
        } else {
            req.seed.clone()
        };
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<VerificationDraw>()? {
            return Ok(done);
        }
        let org = visible(w.conn(), &call, "organization", &req.organization).await?;
        let date = reference_date(req.year);
        let root = tree::require_on_date(w.conn(), &org.id, &date).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT d.member_id, \
             (SELECT MAX(o.leader) FROM obligations o JOIN obligation_lists l ON l.org_id = o.org_id AND l.year = o.year \
              WHERE o.member_id = d.member_id AND o.year = $4 AND l.state = {}) AS leader \
             FROM declarations d JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
             WHERE p.path >= $2 AND p.path < $3 AND d.year = $4 AND d.kind = {}",
            ObligationListState::Approved as i32,
            in_force("p", 1),
            DeclarationKind::Annual as i32
        )))
        .bind(&date)
        .bind(&root.path)
        .bind(tree::upper(&root.path))
        .bind(i64::from(req.year))
        .fetch_all(w.conn())
        .await?;
        let mut by_member = BTreeMap::new();
        for row in &rows {
            let id: String = row.try_get("member_id")?;
            let leader: Option<i64> = row.try_get("leader")?;
            by_member.insert(member_name(&id), leader.unwrap_or(0) != 0);
        }
        let input: Vec<Candidate> = by_member
            .into_iter()
            .map(|(member, leader)| Candidate { member, leader })
            .collect();
        let selected = rules::draw(&seed, percent as u32, &input);
        let digest = rules::input_digest(&input);
        let id = new_id();
        let encode = |c: &Candidate| format!("{},{}", c.member, u8::from(c.leader));
        sqlx::query(
            "INSERT INTO verification_draws (id, org_id, year, seed, percent, input, selected, input_digest, drawn_by, create_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&root.id)
        .bind(i64::from(req.year))
        .bind(&seed)
        .bind(i64::from(percent))
        .bind(input.iter().map(encode).collect::<Vec<_>>().join("\n"))
        .bind(selected.join("\n"))
        .bind(&digest)
        .bind(&call.caller.subject)
        .bind(dates::now_micros())
        .execute(w.conn())
        .await?;
        let drawn = load_draw(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("draw vanished".into()))?;
        w.commit(&drawn.name, &drawn).await?;
        Ok(drawn)
    }

    async fn get_draw(
        &self,
        call: Call,
        req: GetVerificationDrawRequest,
    ) -> Result<VerificationDraw> {
        let id = parse_name("name", &req.name, "verificationDraws")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let drawn = load_draw(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        visible(&mut conn, &call, "name", &drawn.organization)
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        Ok(drawn)
    }

    async fn rules(
        &self,
        _call: Call,
        _req: ListDeclarationRulesRequest,
    ) -> Result<ListDeclarationRulesResponse> {
        let rows = sqlx::query("SELECT kind, value, valid_from, citation FROM declaration_rules ORDER BY kind, valid_from")
            .fetch_all(self.db.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(DeclarationRule {
                kind: r.try_get::<i64, _>("kind")? as i32,
                value: r.try_get("value")?,
                valid_from: Some(dates::sql_to_proto(&r.try_get::<String, _>("valid_from")?)?),
                citation: r.try_get("citation")?,
            });
        }
        Ok(ListDeclarationRulesResponse { rules: out })
    }
}

/// The date of the final receipt: the corrected one, or the first.
fn final_receipt(d: &Declaration) -> &Option<probity_proto::google::r#type::Date> {
    if d.resubmitted_date.is_some() {
        &d.resubmitted_date
    } else {
        &d.received_date
    }
}

/// `INVALID_ARGUMENT` on `field` when `when` is before the recorded
/// `earlier` date.
fn after(
    when: Date,
    earlier: &Option<probity_proto::google::r#type::Date>,
    field: &str,
    what: &str,
) -> Result<()> {
    match sql_date(earlier) {
        Some(e) if when < e => Err(ApiError::invalid(
            field,
            format!("must not be before the {what} ({})", dates::to_sql(e)),
        )
        .into()),
        _ => Ok(()),
    }
}

async fn load_draw(conn: &mut AnyConnection, id: &str) -> Result<Option<VerificationDraw>> {
    let Some(row) = sqlx::query(
        "SELECT id, org_id, year, seed, percent, input, selected, input_digest, drawn_by, create_micros \
         FROM verification_draws WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    let seed: String = row.try_get("seed")?;
    let input: String = row.try_get("input")?;
    let selected: String = row.try_get("selected")?;
    let candidates = input
        .lines()
        .filter_map(|l| l.rsplit_once(','))
        .map(|(member, leader)| DrawCandidate {
            score: rules::score(&seed, member),
            member: member.to_string(),
            leader: leader == "1",
        })
        .collect();
    Ok(Some(VerificationDraw {
        name: format!("verificationDraws/{}", row.try_get::<String, _>("id")?),
        organization: org_name(&row.try_get::<String, _>("org_id")?),
        year: row.try_get::<i64, _>("year")? as i32,
        seed,
        percent: row.try_get::<i64, _>("percent")? as i32,
        candidates,
        selected: selected.lines().map(str::to_string).collect(),
        input_digest: row.try_get("input_digest")?,
        drawn_by: row.try_get("drawn_by")?,
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
    }))
}

#[tonic::async_trait]
impl DeclarationService for Declarations {
    async fn create_obligation_list(
        &self,
        r: Request<CreateObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.create_list(c, m)).await
    }
    async fn get_obligation_list(
        &self,
        r: Request<GetObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.get_list(c, m)).await
    }
    async fn approve_obligation_list(
        &self,
        r: Request<ApproveObligationListRequest>,
    ) -> Result<Response<ObligationList>, Status> {
        unary(r, |c, m| self.approve_list(c, m)).await
    }
    async fn submit_declaration(
        &self,
        r: Request<SubmitDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.submit(c, m)).await
    }
    async fn get_declaration(
        &self,
        r: Request<GetDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_declarations(
        &self,
        r: Request<ListDeclarationsRequest>,
    ) -> Result<Response<ListDeclarationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn return_declaration(
        &self,
        r: Request<ReturnDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.return_for_correction(c, m)).await
    }
    async fn resubmit_declaration(
        &self,
        r: Request<ResubmitDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.resubmit(c, m)).await
    }
    async fn hand_over_declaration(
        &self,
        r: Request<HandOverDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.hand_over(c, m)).await
    }
    async fn publish_declaration(
        &self,
        r: Request<PublishDeclarationRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.publish(c, m)).await
    }
    async fn get_asset_change(
        &self,
        r: Request<GetAssetChangeRequest>,
    ) -> Result<Response<AssetChange>, Status> {
        unary(r, |c, m| self.change(c, m)).await
    }
    async fn list_asset_change_flags(
        &self,
        r: Request<ListAssetChangeFlagsRequest>,
    ) -> Result<Response<ListAssetChangeFlagsResponse>, Status> {
        unary(r, |c, m| self.flags(c, m)).await
    }
    async fn draw_verification(
        &self,
        r: Request<DrawVerificationRequest>,
    ) -> Result<Response<VerificationDraw>, Status> {
        unary(r, |c, m| self.draw(c, m)).await
    }
    async fn get_verification_draw(
        &self,
        r: Request<GetVerificationDrawRequest>,
    ) -> Result<Response<VerificationDraw>, Status> {
        unary(r, |c, m| self.get_draw(c, m)).await
    }
    async fn record_verification_conclusion(
        &self,
        r: Request<RecordVerificationConclusionRequest>,
    ) -> Result<Response<Declaration>, Status> {
        unary(r, |c, m| self.conclude(c, m)).await
    }
    async fn list_declaration_rules(
        &self,
        r: Request<ListDeclarationRulesRequest>,
    ) -> Result<Response<ListDeclarationRulesResponse>, Status> {
        unary(r, |c, m| self.rules(c, m)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_vietnamese_format() {
        assert_eq!(vnd(300_000_000), "300.000.000 VND");
        assert_eq!(vnd(-1_500), "-1.500 VND");
        assert_eq!(vnd(0), "0 VND");
    }
}
