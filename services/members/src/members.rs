//! `probity.members.v1.MemberService`: members, their dated events and the
//! roster.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_etag, etag, parse_name},
    text, unary,
};
use probity_proto::probity::members::v1::{
    BatchCreateMembersRequest, BatchCreateMembersResponse, CreateMemberRequest, Gender,
    GetMemberRequest, ListMemberEventsRequest, ListMemberEventsResponse, ListMembersRequest,
    ListMembersResponse, Member, MemberEvent, MemberEventKind, MemberStatus, OrganizationKind,
    RecordMemberEventRequest, StreamRosterRequest, StreamRosterResponse, UpdateMemberRequest,
    member_service_server::MemberService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use tonic::{Request, Response, Status};

use crate::{
    admission,
    error::{DOMAIN, Error, Result},
    lifecycle::{self, ACTIVE},
    organizations::{visible, writable},
    roster::{self, Change, status_list},
    tree::{self, OrgRow, in_force, org_name},
};

/// The member service over one database.
#[derive(Debug, Clone)]
pub struct Members {
    db: Database,
}

impl Members {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const MEMBER_COLUMNS: &str = "m.id, m.party_card_number, m.full_name, m.date_of_birth, m.gender, m.organization_id, \
    m.status, m.admission_date, m.official_date, m.head_position, m.revision, m.create_micros, m.update_micros";
const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 2000;
const MIN_ADMISSION_AGE: i32 = 18;

/// `members/{id}`.
pub fn member_name(id: &str) -> String {
    format!("members/{id}")
}

fn member_from_row(row: &AnyRow) -> Result<Member> {
    let official: Option<String> = row.try_get("official_date")?;
    let gender: i64 = row.try_get("gender")?;
    let status: i64 = row.try_get("status")?;
    let org: String = row.try_get("organization_id")?;
    let id: String = row.try_get("id")?;
    Ok(Member {
        name: member_name(&id),
        party_card_number: row.try_get("party_card_number")?,
        full_name: row.try_get("full_name")?,
        date_of_birth: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("date_of_birth")?,
        )?),
        gender: gender as i32,
        organization: org_name(&org),
        admission_date: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("admission_date")?,
        )?),
        official_date: official.as_deref().map(dates::sql_to_proto).transpose()?,
        status: status as i32,
        head_position: row.try_get("head_position")?,
        etag: etag(row.try_get("revision")?),
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
        update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
    })
}

/// Party card numbers: 6 to 12 digits once dots and spaces are removed.
pub fn normalize_card(card: &str) -> Option<String> {
    let digits: String = card.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
    ((6..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<(Member, i64)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Some((member_from_row(&row)?, row.try_get("revision")?))),
        None => Ok(None),
    }
}

/// Loads a member the caller may see (its current organisation is in
/// scope); `NOT_FOUND` otherwise. Returns the member, its revision and its
/// organisation.
pub(crate) async fn visible_member(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<(Member, i64, OrgRow)> {
    let id = parse_name(field, name, "members")?;
    let (member, revision) = load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    let org = visible(conn, call, field, &member.organization)
        .await
        .map_err(|e| e.not_found_as(name))?;
    Ok((member, revision, org))
}

/// Like [`visible_member`], and checks the caller may change the member.
pub(crate) async fn writable_member(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<(Member, i64, OrgRow)> {
    let (member, revision, org) = visible_member(conn, call, field, name).await?;
    call.caller.check_write(org.lineage(), name)?;
    Ok((member, revision, org))
}

fn card_taken(err: sqlx::Error, card: &str) -> Error {
    if probity_platform::error::is_unique_violation(&err) {
        Error::CardNumberTaken(card.to_string())
    } else {
        err.into()
    }
}

pub(crate) fn member_org_kind_ok(kind: OrganizationKind) -> bool {
    matches!(
        kind,
        OrganizationKind::Cell | OrganizationKind::Grassroots | OrganizationKind::Partial
    )
}

/// Largest batch of BatchCreateMembers.
const MAX_BATCH: usize = 1000;

/// Names the failing request of a batch in an error.
fn at_index(i: usize, e: Error) -> Error {
    match ApiError::from(e) {
        ApiError::FailedPrecondition { reason, message } => ApiError::FailedPrecondition {
            reason,
            message: format!("requests[{i}]: {message}"),
        }
        .into(),
        ApiError::AlreadyExists { reason, message } => ApiError::AlreadyExists {
            reason,
            message: format!("requests[{i}]: {message}"),
        }
        .into(),
        ApiError::NotFound { resource } => ApiError::invalid(
            format!("requests[{i}].member.organization"),
            format!("{resource} not found"),
        )
        .into(),
        other => other.into(),
    }
}

/// A create request that passed validation.
pub(crate) struct ValidCreate {
    /// Normalised party card number.
    pub(crate) card: String,
    /// Tidied full name.
    pub(crate) full_name: String,
    /// Date of birth.
    pub(crate) dob: time::Date,
    /// Gender.
    pub(crate) gender: i32,
    /// `organizations/{id}`.
    pub(crate) organization: String,
    /// Admission date.
    pub(crate) admitted: time::Date,
    /// Made official on, when given.
    pub(crate) official: Option<time::Date>,
    /// Tidied head position.
    pub(crate) head_position: String,
}

/// Checks a create request; field paths are prefixed with `prefix`.
fn validate_create(req: &CreateMemberRequest, prefix: &str) -> Result<ValidCreate> {
    let m = req.member.clone().unwrap_or_default();
    let f = |name: &str| format!("{prefix}{name}");
    let mut v = Violations::new();
    let card = normalize_card(&m.party_card_number);
    if m.party_card_number.is_empty() {
        v.add(f("member.party_card_number"), "required");
    } else if card.is_none() {
        v.add(
            f("member.party_card_number"),
            "must be 6 to 12 digits (dots and spaces allowed)",
        );
    }
    let full_name = text::tidy(&m.full_name);
    if full_name.is_empty() {
        v.add(f("member.full_name"), "required");
    } else if full_name.chars().count() > MAX_NAME {
        v.add(
            f("member.full_name"),
            format!("at most {MAX_NAME} characters"),
        );
    }
    let dob = dates::required(&f("member.date_of_birth"), m.date_of_birth.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    let admitted = dates::required(&f("member.admission_date"), m.admission_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    let official = dates::from_proto(&f("official_date"), req.official_date.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok()
        .flatten();
    if Gender::try_from(m.gender).is_err() {
        v.add(f("member.gender"), "unknown value");
    }
    if m.organization.is_empty() {
        v.add(f("member.organization"), "required");
    }
    v.check(
        m.head_position.chars().count() > MAX_NAME,
        &f("member.head_position"),
        "at most 200 characters",
    );
    let today = dates::today();
    if let (Some(dob), Some(admitted)) = (dob, admitted) {
        if admitted > today {
            v.add(f("member.admission_date"), "must not be in the future");
        }
        let eighteen = dob
            .replace_year(dob.year() + MIN_ADMISSION_AGE)
            .unwrap_or(dob);
        if admitted < eighteen {
            v.add(
                f("member.admission_date"),
                format!("a member must be at least {MIN_ADMISSION_AGE} when admitted"),
            );
        }
        if let Some(official) = official {
            if official <= admitted {
                v.add(f("official_date"), "must be after the admission date");
            } else if official > today {
                v.add(f("official_date"), "must not be in the future");
            }
        }
    }
    v.into_result()?;
    Ok(ValidCreate {
        card: card.unwrap_or_default(),
        full_name,
        dob: dob.unwrap_or(today),
        gender: m.gender,
        organization: m.organization,
        admitted: admitted.unwrap_or(today),
        official,
        head_position: text::tidy(&m.head_position),
    })
}

impl Members {
    async fn create(&self, call: Call, req: CreateMemberRequest) -> Result<Member> {
        let valid = validate_create(&req, "")?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Member>()? {
            return Ok(done);
        }
        let created =
            admission::insert_members(w.conn(), &call, std::slice::from_ref(&valid), |_| {
                "member".to_string()
            })
            .await
            .map_err(|(_, e)| e)?
            .pop()
            .ok_or_else(|| ApiError::Internal("no member created".into()))?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn batch_create(
        &self,
        call: Call,
        req: BatchCreateMembersRequest,
    ) -> Result<BatchCreateMembersResponse> {
        if req.requests.is_empty() || req.requests.len() > MAX_BATCH {
            return Err(ApiError::invalid(
                "requests",
                format!("1 to {MAX_BATCH} members per batch"),
            )
            .into());
        }
        let mut valid = Vec::with_capacity(req.requests.len());
        let mut violations = Vec::new();
        for (i, r) in req.requests.iter().enumerate() {
            match validate_create(r, &format!("requests[{i}].")) {
                Ok(v) => valid.push(v),
                Err(Error::Api(ApiError::InvalidArgument(v))) => violations.extend(v),
                Err(e) => return Err(e),
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<BatchCreateMembersResponse>()? {
            return Ok(done);
        }
        let members =
            admission::insert_members(w.conn(), &call, &valid, |i| format!("requests[{i}].member"))
                .await
                .map_err(|(i, e)| at_index(i, e))?;
        for created in &members {
            w.record(&created.name)?;
        }
        let response = BatchCreateMembersResponse { members };
        w.commit_batch(&response).await?;
        self.db
            .refresh_statistics(&["members", "member_periods", "member_events"]);
        Ok(response)
    }

    async fn get(&self, call: Call, req: GetMemberRequest) -> Result<Member> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(visible_member(&mut conn, &call, "name", &req.name).await?.0)
    }

    async fn update(&self, call: Call, req: UpdateMemberRequest) -> Result<Member> {
        let m = req.member.clone().unwrap_or_default();
        let allowed = [
            "full_name",
            "date_of_birth",
            "gender",
            "party_card_number",
            "head_position",
        ];
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &allowed, |p| match p {
                "full_name" => !m.full_name.is_empty(),
                "date_of_birth" => m.date_of_birth.is_some(),
                "gender" => m.gender != 0,
                "party_card_number" => !m.party_card_number.is_empty(),
                "head_position" => !m.head_position.is_empty(),
                _ => false,
            })?;
        let has = |p: &str| paths.contains(&p);
        let mut v = Violations::new();
        let card = normalize_card(&m.party_card_number);
        if has("party_card_number") && card.is_none() {
            v.add(
                "member.party_card_number",
                "must be 6 to 12 digits (dots and spaces allowed)",
            );
        }
        let full_name = text::tidy(&m.full_name);
        if has("full_name") && (full_name.is_empty() || full_name.chars().count() > MAX_NAME) {
            v.add(
                "member.full_name",
                format!("required, at most {MAX_NAME} characters"),
            );
        }
        let dob = if has("date_of_birth") {
            dates::required("member.date_of_birth", m.date_of_birth.as_ref())
                .map_err(|e| v.add(e.field, e.description))
                .ok()
        } else {
            None
        };
        if has("gender") && Gender::try_from(m.gender).is_err() {
            v.add("member.gender", "unknown value");
        }
        v.check(
            m.head_position.chars().count() > MAX_NAME,
            "member.head_position",
            "at most 200 characters",
        );
        v.into_result()?;

        let mut w = self.db.begin_write(&call, "", &req).await?;
        let (current, revision, _) =
            writable_member(w.conn(), &call, "member.name", &m.name).await?;
        check_etag(&m.name, &m.etag, revision)?;
        let id = parse_name("member.name", &m.name, "members")?;
        let card = if has("party_card_number") {
            card.unwrap_or_default()
        } else {
            current.party_card_number.clone()
        };
        let full_name = if has("full_name") {
            full_name
        } else {
            current.full_name.clone()
        };
        let dob = match dob {
            Some(d) => dates::to_sql(d),
            None => dates::to_sql(dates::required("dob", current.date_of_birth.as_ref())?),
        };
        let gender = if has("gender") {
            m.gender
        } else {
            current.gender
        };
        let head = if has("head_position") {
            text::tidy(&m.head_position)
        } else {
            current.head_position.clone()
        };
        sqlx::query(
            "UPDATE members SET party_card_number = $1, full_name = $2, name_folded = $3, date_of_birth = $4, \
             gender = $5, head_position = $6, revision = revision + 1, update_micros = $7 WHERE id = $8",
        )
        .bind(&card)
        .bind(&full_name)
        .bind(text::fold(&full_name))
        .bind(&dob)
        .bind(i64::from(gender))
        .bind(&head)
        .bind(dates::now_micros())
        .bind(id)
        .execute(w.conn())
        .await
        .map_err(|e| card_taken(e, &card))?;
        let (updated, _) = load(w.conn(), id)
            .await?
            .ok_or_else(|| ApiError::not_found(&m.name))?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn record_event(&self, call: Call, req: RecordMemberEventRequest) -> Result<Member> {
        let mut v = Violations::new();
        let kind = MemberEventKind::try_from(req.kind).unwrap_or(MemberEventKind::Unspecified);
        match kind {
            MemberEventKind::Unspecified => v.add("kind", "required"),
            MemberEventKind::Admitted => v.add("kind", "admission is recorded by CreateMember"),
            MemberEventKind::Transferred if req.target_organization.is_empty() => {
                v.add("target_organization", "required for a transfer")
            }
            _ => {}
        }
        if kind != MemberEventKind::Transferred && !req.target_organization.is_empty() {
            v.add("target_organization", "only for transfers");
        }
        let date = dates::required("effective_date", req.effective_date.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        if date.is_some_and(|d| d > dates::today()) {
            v.add("effective_date", "must not be in the future");
        }
        v.check(
            req.note.chars().count() > MAX_NOTE,
            "note",
            "at most 2000 characters",
        );
        v.into_result()?;
        let date = dates::to_sql(date.unwrap_or_else(dates::today));

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Member>()? {
            return Ok(done);
        }
        let (_, revision, _) = writable_member(w.conn(), &call, "member", &req.member).await?;
        check_etag(&req.member, &req.etag, revision)?;
        let id = parse_name("member", &req.member, "members")?.to_string();
        let current = roster::open_period(w.conn(), &id).await?;
        let to_status = lifecycle::next_status(current.status, kind)?;
        let to_org = if kind == MemberEventKind::Transferred {
            let target = writable(
                w.conn(),
                &call,
                "target_organization",
                &req.target_organization,
            )
            .await?;
            let target = tree::require_on_date(w.conn(), &target.id, &date).await?;
            if !member_org_kind_ok(target.kind) {
                return Err(Error::BadPlacement(format!(
                    "members are recorded in cells or grassroots organisations, not in a {:?} one",
                    target.kind
                )));
            }
            if target.id == current.organization_id {
                return Err(Error::BadPlacement(format!(
                    "{} already belongs to {}",
                    req.member,
                    target.name()
                )));
            }
            target.id
        } else {
            current.organization_id.clone()
        };
        let change = Change {
            member_id: &id,
            kind,
            date: &date,
            to_org: &to_org,
            to_status,
            note: &req.note,
        };
        roster::apply(w.conn(), &current, &change).await?;
        let (updated, _) = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.member))?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn list(&self, call: Call, req: ListMembersRequest) -> Result<ListMembersResponse> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(dates::today),
        );
        let mut statuses = Vec::new();
        for (i, s) in req.statuses.iter().enumerate() {
            match MemberStatus::try_from(*s) {
                Ok(MemberStatus::Unspecified) | Err(_) => {
                    return Err(
                        ApiError::invalid(format!("statuses[{i}]"), "unknown status").into(),
                    );
                }
                Ok(s) => statuses.push(s),
            }
        }
        if statuses.is_empty() {
            statuses.extend(ACTIVE);
        }
        let folded = text::fold(&req.name_query);
        if folded.chars().count() > MAX_NAME {
            return Err(ApiError::invalid("name_query", "at most 200 characters").into());
        }
        let query = format!(
            "org={};subtree={};statuses={};as_of={as_of};q={folded}",
            req.organization,
            req.include_subtree,
            status_list(&statuses)
        );
        let page = PageRequest::parse(req.page_size, &req.page_token, &query)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let org = visible(&mut conn, &call, "organization", &req.organization).await?;
        let Some(org) = tree::on_date(&mut conn, &org.id, &as_of).await? else {
            return Ok(ListMembersResponse::default());
        };
        let pattern = format!(
            "%{}%",
            folded
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // $2/$3: the subtree's path range, or the organisation id twice.
        let (membership, second, third) = if req.include_subtree {
            let join = format!(
                "JOIN organization_placements p ON p.org_id = mp.organization_id AND {} AND p.path >= $2 AND p.path < $3",
                in_force("p", 1)
            );
            (join, org.path.clone(), tree::upper(&org.path))
        } else {
            (
                "AND mp.organization_id = $2 AND mp.organization_id = $3".to_string(),
                org.id.clone(),
                org.id.clone(),
            )
        };
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM member_periods mp JOIN members m ON m.id = mp.member_id {membership} \
             WHERE {} AND mp.status IN ({}) AND m.name_folded LIKE $4 ESCAPE '\\' AND m.id > $5 \
             ORDER BY m.id LIMIT $6",
            in_force("mp", 1),
            status_list(&statuses)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&as_of)
            .bind(&second)
            .bind(&third)
            .bind(&pattern)
            .bind(page.after.clone().unwrap_or_default())
            .bind(page.limit())
            .fetch_all(&mut *conn)
            .await?;
        let mut members = rows
            .iter()
            .map(member_from_row)
            .collect::<Result<Vec<_>>>()?;
        let next_page_token = page.finish(&mut members, |m| {
            m.name.trim_start_matches("members/").to_string()
        });
        Ok(ListMembersResponse {
            members,
            next_page_token,
        })
    }

    async fn list_events(
        &self,
        call: Call,
        req: ListMemberEventsRequest,
    ) -> Result<ListMemberEventsResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token, &req.member)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        visible_member(&mut conn, &call, "member", &req.member).await?;
        let id = parse_name("member", &req.member, "members")?;
        let after: i64 = page
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        let rows = sqlx::query(
            "SELECT id, seq, kind, effective_date, from_org, to_org, from_status, to_status, note, create_micros \
             FROM member_events WHERE member_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let event_id: String = row.try_get("id")?;
            let from_org: Option<String> = row.try_get("from_org")?;
            let to_org: String = row.try_get("to_org")?;
            events.push((
                row.try_get::<i64, _>("seq")?,
                MemberEvent {
                    name: format!("{}/events/{event_id}", req.member),
                    kind: row.try_get::<i64, _>("kind")? as i32,
                    effective_date: Some(dates::sql_to_proto(
                        &row.try_get::<String, _>("effective_date")?,
                    )?),
                    from_organization: from_org.as_deref().map(org_name).unwrap_or_default(),
                    to_organization: org_name(&to_org),
                    from_status: row.try_get::<i64, _>("from_status")? as i32,
                    to_status: row.try_get::<i64, _>("to_status")? as i32,
                    note: row.try_get("note")?,
                    create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
                },
            ));
        }
        let next_page_token = page.finish(&mut events, |(seq, _)| seq.to_string());
        Ok(ListMemberEventsResponse {
            events: events.into_iter().map(|(_, e)| e).collect(),
            next_page_token,
        })
    }

    /// Resolves a roster request to the subtree and date, and chooses how
    /// to read it; the rows are then streamed by [`stream_roster`].
    async fn roster_query(&self, call: &Call, req: &StreamRosterRequest) -> Result<Option<Roster>> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(dates::today),
        );
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let org = visible(&mut conn, call, "organization", &req.organization).await?;
        let Some(org) = tree::on_date(&mut conn, &org.id, &as_of).await? else {
            return Ok(None);
        };
        let upper = tree::upper(&org.path);
        let (inside, all): (Option<i64>, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT SUM(CASE WHEN p.path >= $2 AND p.path < $3 THEN 1 ELSE 0 END), COUNT(*) \
             FROM organization_placements p WHERE {}",
            in_force("p", 1)
        )))
        .bind(&as_of)
        .bind(&org.path)
        .bind(&upper)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Some(Roster {
            as_of,
            prefix: org.path,
            upper,
            members_first: inside.unwrap_or(0) * 4 >= all,
            exclude_exempt: req.exclude_exempt,
        }))
    }
}

/// A roster to stream: the subtree on a date, and how to read it.
struct Roster {
    as_of: String,
    prefix: String,
    upper: String,
    /// Walk all members in id order, a window of ids at a time, keeping
    /// those in the subtree (for a subtree with a large share of the
    /// organisations), rather than gather the subtree's members and sort
    /// them for every batch (for a small one). Either way a batch costs
    /// about its own size, where the other way round the province's
    /// roster re-sorted all 33,000 members for each of its 34 batches.
    members_first: bool,
    exclude_exempt: bool,
}

/// Rows fetched from the database per round trip while streaming a roster.
const ROSTER_BATCH: i64 = 1000;

/// Streams the roster in member-id order, one batch query at a time, through
/// a bounded channel: memory stays constant whatever the roster's size, and
/// a client that goes away stops the queries.
fn stream_roster(
    db: Database,
    roster: Roster,
) -> tokio_stream::wrappers::ReceiverStream<Result<StreamRosterResponse, Status>> {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let statuses: Vec<MemberStatus> = ACTIVE
        .into_iter()
        .filter(|s| !(roster.exclude_exempt && *s == MemberStatus::Exempt))
        .collect();
    // The same rows either way; `CROSS JOIN` makes SQLite keep the written
    // order of tables (PostgreSQL plans it as an inner join).
    let conditions = format!(
        "mp.member_id = m.id AND {} AND mp.status IN ({}) \
         AND p.org_id = mp.organization_id AND {} AND p.path >= $2 AND p.path < $3 AND m.id > $4",
        in_force("mp", 1),
        status_list(&statuses),
        in_force("p", 1),
    );
    let columns = "m.id, m.full_name, m.party_card_number, mp.organization_id, mp.status";
    // Walking members: each query takes the next window of ROSTER_BATCH
    // member ids (`$5`, the window's last id, found first on the members'
    // key) and keeps those in the subtree, so no plan sorts more than a
    // window; the last window has no upper bound. Gathering: the next
    // ROSTER_BATCH of the subtree's members.
    let (sql, tail_sql) = if roster.members_first {
        let tables = "members m CROSS JOIN member_periods mp CROSS JOIN organization_placements p";
        (
            // The window's bounds on the periods' key too: PostgreSQL then
            // reads the window's periods by that key, where it otherwise
            // read every period of the subtree for each window.
            format!(
                "SELECT {columns} FROM {tables} WHERE {conditions} AND m.id <= $5 \
                 AND mp.member_id > $4 AND mp.member_id <= $5 ORDER BY m.id"
            ),
            format!(
                "SELECT {columns} FROM {tables} WHERE {conditions} AND mp.member_id > $4 ORDER BY m.id"
            ),
        )
    } else {
        let tables = "organization_placements p CROSS JOIN member_periods mp CROSS JOIN members m";
        let sql =
            format!("SELECT {columns} FROM {tables} WHERE {conditions} ORDER BY m.id LIMIT $5");
        (sql.clone(), sql)
    };
    let members_first = roster.members_first;
    let Roster {
        as_of,
        prefix,
        upper,
        ..
    } = roster;
    tokio::spawn(async move {
        let mut after = String::new();
        loop {
            let window = if members_first {
                let last: Result<Option<(String,)>, sqlx::Error> = sqlx::query_as(
                    "SELECT id FROM members WHERE id > $1 ORDER BY id LIMIT 1 OFFSET $2",
                )
                .bind(&after)
                .bind(ROSTER_BATCH - 1)
                .fetch_optional(db.pool())
                .await;
                match last {
                    Ok(last) => last.map(|(id,)| id),
                    Err(e) => {
                        let _ = tx.send(Err(Error::from(e).into())).await;
                        return;
                    }
                }
            } else {
                None
            };
            let query = match &window {
                Some(_) => sql.as_str(),
                None => tail_sql.as_str(),
            };
            let query = sqlx::query(sqlx::AssertSqlSafe(query.to_string()))
                .bind(&as_of)
                .bind(&prefix)
                .bind(&upper)
                .bind(&after);
            let query = match (&window, members_first) {
                (Some(last), _) => query.bind(last.clone()),
                (None, true) => query,
                (None, false) => query.bind(ROSTER_BATCH),
            };
            let rows = match query.fetch_all(db.pool()).await {
                Ok(rows) => rows,
                Err(e) => {
                    let _ = tx.send(Err(Error::from(e).into())).await;
                    return;
                }
            };
            let done = if members_first {
                window.is_none()
            } else {
                (rows.len() as i64) < ROSTER_BATCH
            };
            for row in rows {
                let entry = (|| -> Result<(String, StreamRosterResponse), sqlx::Error> {
                    let id: String = row.try_get("id")?;
                    let org: String = row.try_get("organization_id")?;
                    Ok((
                        id.clone(),
                        StreamRosterResponse {
                            member: member_name(&id),
                            full_name: row.try_get("full_name")?,
                            party_card_number: row.try_get("party_card_number")?,
                            organization: org_name(&org),
                            status: row.try_get::<i64, _>("status")? as i32,
                        },
                    ))
                })();
                match entry {
                    Ok((id, entry)) => {
                        after = id;
                        if tx.send(Ok(entry)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Error::from(e).into())).await;
                        return;
                    }
                }
            }
            if done {
                return;
            }
            if let Some(last) = window {
                after = last;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// The roster stream type.
pub type RosterStream = Pin<Box<dyn Stream<Item = Result<StreamRosterResponse, Status>> + Send>>;

#[tonic::async_trait]
impl MemberService for Members {
    async fn create_member(
        &self,
        r: Request<CreateMemberRequest>,
    ) -> Result<Response<Member>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn batch_create_members(
        &self,
        r: Request<BatchCreateMembersRequest>,
    ) -> Result<Response<BatchCreateMembersResponse>, Status> {
        unary(r, |c, m| self.batch_create(c, m)).await
    }
    async fn get_member(&self, r: Request<GetMemberRequest>) -> Result<Response<Member>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_members(
        &self,
        r: Request<ListMembersRequest>,
    ) -> Result<Response<ListMembersResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_member(
        &self,
        r: Request<UpdateMemberRequest>,
    ) -> Result<Response<Member>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn record_member_event(
        &self,
        r: Request<RecordMemberEventRequest>,
    ) -> Result<Response<Member>, Status> {
        unary(r, |c, m| self.record_event(c, m)).await
    }
    async fn list_member_events(
        &self,
        r: Request<ListMemberEventsRequest>,
    ) -> Result<Response<ListMemberEventsResponse>, Status> {
        unary(r, |c, m| self.list_events(c, m)).await
    }

    type StreamRosterStream = RosterStream;

    async fn stream_roster(
        &self,
        r: Request<StreamRosterRequest>,
    ) -> Result<Response<Self::StreamRosterStream>, Status> {
        let call = Call::of(&r).map_err(|e| e.into_status(DOMAIN))?;
        let req = r.into_inner();
        let stream: RosterStream = match self.roster_query(&call, &req).await? {
            Some(roster) => Box::pin(stream_roster(self.db.clone(), roster)),
            None => Box::pin(futures::stream::empty()),
        };
        Ok(Response::new(stream.boxed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers() {
        assert_eq!(normalize_card("12.345.678").as_deref(), Some("12345678"));
        assert_eq!(normalize_card("12 345"), None);
        assert_eq!(normalize_card("1234567890123"), None);
        assert_eq!(normalize_card("12a45678"), None);
    }
}
