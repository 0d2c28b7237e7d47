//! `probity.members.v1.MemberService`: members, their dated events and the
//! roster.

use std::{
    collections::{HashMap, HashSet},
    pin::Pin,
};

use futures::{Stream, StreamExt};
use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{check_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::members::v1::{
    BatchCreateMembersRequest, BatchCreateMembersResponse, CreateMemberRequest, GetMemberRequest,
    ListMemberEventsRequest, ListMemberEventsResponse, ListMembersRequest, ListMembersResponse,
    Member, MemberEvent, MemberEventKind, RecordMemberEventRequest, StreamRosterRequest,
    StreamRosterResponse, UpdateMemberRequest, member_service_server::MemberService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::access::{check_writable, visible, visible_member, writable, writable_member};
use crate::{
    error::{DOMAIN, Error, Result},
    rules::{
        lifecycle,
        members::{self as rules, ValidCreate, check_holds_members},
        names::{member_name, org_name},
    },
    store::{
        history::{self, Change},
        members::{self as store, BATCH_TABLES, MemberRow, Membership, NewMember, Personal},
        organizations::{self, DatedPlacement},
        roster::{self, RosterQuery},
    },
};

/// The member service over one database.
#[derive(Debug, Clone)]
pub struct Members {
    db: Database,
}

/// The wire form of a member.
pub fn member(row: &MemberRow) -> Result<Member, ApiError> {
    Ok(Member {
        name: member_name(&row.id),
        party_card_number: row.party_card_number.clone(),
        full_name: row.full_name.clone(),
        date_of_birth: Some(dates::sql_to_proto(&row.date_of_birth)?),
        gender: row.gender as i32,
        organization: org_name(&row.organization_id),
        admission_date: Some(dates::sql_to_proto(&row.admission_date)?),
        official_date: row
            .official_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        status: row.status as i32,
        head_position: row.head_position.clone(),
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        update_time: Some(dates::timestamp(row.update_micros)),
    })
}

/// The wire form of a member created at `now`.
fn created(m: &NewMember<'_>, now: i64) -> Member {
    Member {
        name: member_name(&m.id),
        party_card_number: m.valid.card.clone(),
        full_name: m.valid.full_name.clone(),
        date_of_birth: Some(dates::to_proto(m.valid.dob)),
        gender: m.valid.gender,
        organization: org_name(&m.org),
        admission_date: Some(dates::to_proto(m.valid.admitted)),
        official_date: m.valid.official.map(dates::to_proto),
        status: m.valid.status() as i32,
        head_position: m.valid.head_position.clone(),
        etag: etag(1),
        create_time: Some(dates::timestamp(now)),
        update_time: Some(dates::timestamp(now)),
    }
}

/// The member with id `id` as it is now, on the wire.
async fn reload(conn: &mut AnyConnection, id: &str, name: &str) -> Result<Member> {
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    Ok(member(&row)?)
}

/// A failure of the member at this index of the request.
type RowError = (usize, Error);

/// Every placement of each organisation new members go to, by id.
type Placements = HashMap<String, Vec<DatedPlacement>>;

/// The scope check of new members, before a retry is answered: each
/// row's organisation must be the caller's (`NOT_FOUND` otherwise, with the
/// first such row's index). The organisations are read once, with every
/// placement, for [`admit`] to check against as well.
async fn authorize_rows(
    conn: &mut AnyConnection,
    call: &Call,
    rows: &[ValidCreate],
    field: impl Fn(usize) -> String,
) -> std::result::Result<Placements, RowError> {
    let ids = rows
        .iter()
        .enumerate()
        .map(|(i, v)| {
            parse_name(
                &format!("{}.organization", field(i)),
                &v.organization,
                "organizations",
            )
            .map_err(|e| (i, e.into()))
        })
        .collect::<std::result::Result<Vec<&str>, RowError>>()?;
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let placements = organizations::placements(conn, &distinct)
        .await
        .map_err(|e| (0, e))?;
    let mut checked: HashSet<&str> = HashSet::with_capacity(distinct.len());
    for (i, (v, id)) in rows.iter().zip(&ids).enumerate() {
        if checked.insert(id) {
            let latest = placements.get(*id).and_then(|h| h.last()).map(|p| &p.org);
            check_writable(call, &v.organization, latest).map_err(|e| (i, e))?;
        }
    }
    Ok(placements)
}

/// Checks and writes `rows` inside a write, in order, after
/// [`authorize_rows`] gave their organisations' `placements`; `field(i)`
/// is the field path of row `i`'s member (`member`,
/// `requests[3].member`). Every row is checked before anything is
/// written: the organisation is in force today and existed, as a cell or
/// grassroots organisation, on the admission date; the party card number
/// is not taken (by a recorded member or an earlier row). The first
/// failing row is returned with its index.
async fn admit(
    conn: &mut AnyConnection,
    call: &Call,
    rows: &[ValidCreate],
    placements: &Placements,
    field: impl Fn(usize) -> String,
) -> std::result::Result<Vec<Member>, RowError> {
    let cards: Vec<&str> = rows.iter().map(|v| v.card.as_str()).collect();
    let taken = store::taken_cards(conn, &cards).await.map_err(|e| (0, e))?;
    let mut seen: HashSet<&str> = HashSet::with_capacity(rows.len());
    let mut checked = Vec::with_capacity(rows.len());
    for (i, v) in rows.iter().enumerate() {
        let admitted = dates::to_sql(v.admitted);
        let id = parse_name(
            &format!("{}.organization", field(i)),
            &v.organization,
            "organizations",
        )
        .map_err(|e| (i, e.into()))?;
        let history = placements.get(id).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(org) = history
            .last()
            .map(|p| &p.org)
            .filter(|org| org.valid_to.is_some())
        {
            return Err((
                i,
                Error::NotInForce {
                    what: org.name(),
                    date: "today".into(),
                },
            ));
        }
        let Some(placed) = history.iter().find(|p| p.in_force_on(&admitted)) else {
            return Err((
                i,
                Error::NotInForce {
                    what: org_name(id),
                    date: admitted,
                },
            ));
        };
        check_holds_members(placed.org.kind()).map_err(|e| (i, e))?;
        if taken.contains(&v.card) || !seen.insert(v.card.as_str()) {
            return Err((i, Error::CardNumberTaken(v.card.clone())));
        }
        checked.push(NewMember {
            id: new_id(),
            valid: v,
            org: placed.org.id.clone(),
        });
    }
    let now = call.now_micros();
    store::insert_new(conn, &checked, now)
        .await
        .map_err(|e| (0, e))?;
    Ok(checked.iter().map(|m| created(m, now)).collect())
}

impl Members {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn create(&self, call: Call, req: CreateMemberRequest) -> Result<Member> {
        let valid = rules::validate_create(&req, "", call.today())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let placements = authorize_rows(w.conn(), &call, std::slice::from_ref(&valid), |_| {
            "member".to_string()
        })
        .await
        .map_err(|(_, e)| e)?;
        if let Some(done) = w.replayed::<Member>()? {
            return Ok(done);
        }
        let created = admit(
            w.conn(),
            &call,
            std::slice::from_ref(&valid),
            &placements,
            |_| "member".to_string(),
        )
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
        let valid = rules::validate_batch(&req.requests, call.today())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let placements =
            authorize_rows(w.conn(), &call, &valid, |i| format!("requests[{i}].member"))
                .await
                .map_err(|(i, e)| rules::at_index(i, e))?;
        if let Some(done) = w.replayed::<BatchCreateMembersResponse>()? {
            return Ok(done);
        }
        let members = admit(w.conn(), &call, &valid, &placements, |i| {
            format!("requests[{i}].member")
        })
        .await
        .map_err(|(i, e)| rules::at_index(i, e))?;
        if req.validate_only {
            // Dropping the write rolls it back: nothing created, nothing
            // recorded for `request_id`.
            return Ok(BatchCreateMembersResponse { members });
        }
        for created in &members {
            w.record(&created.name, created);
        }
        let response = BatchCreateMembersResponse { members };
        w.commit_batch(&response).await?;
        self.db.refresh_statistics(BATCH_TABLES);
        Ok(response)
    }

    async fn get(&self, call: Call, req: GetMemberRequest) -> Result<Member> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(member(
            &visible_member(&mut conn, &call, "name", &req.name)
                .await?
                .member,
        )?)
    }

    async fn update(&self, call: Call, req: UpdateMemberRequest) -> Result<Member> {
        let m = req.member.clone().unwrap_or_default();
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &rules::UPDATABLE, |p| {
                rules::is_set(&m, p)
            })?;
        let update = rules::validate_update(&m, &paths)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let current = writable_member(w.conn(), &call, "member.name", &m.name)
            .await?
            .member;
        check_etag(&m.name, &m.etag, current.revision)?;
        let dob = update
            .dob
            .map(dates::to_sql)
            .unwrap_or_else(|| current.date_of_birth.clone());
        let personal = Personal {
            card: update.card.as_deref().unwrap_or(&current.party_card_number),
            full_name: update.full_name.as_deref().unwrap_or(&current.full_name),
            dob: &dob,
            gender: update.gender.unwrap_or(current.gender as i32),
            head_position: update
                .head_position
                .as_deref()
                .unwrap_or(&current.head_position),
        };
        store::update(w.conn(), &current.id, &personal, call.now_micros()).await?;
        let updated = reload(w.conn(), &current.id, &m.name).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn record_event(&self, call: Call, req: RecordMemberEventRequest) -> Result<Member> {
        let event = rules::validate_event(&req, call.today())?;
        let date = dates::to_sql(event.date);
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let current = writable_member(w.conn(), &call, "member", &req.member)
            .await?
            .member;
        if let Some(done) = w.replayed::<Member>()? {
            return Ok(done);
        }
        check_etag(&req.member, &req.etag, current.revision)?;
        let id = current.id;
        let period = history::open_period(w.conn(), &id).await?;
        let to_status = lifecycle::next_status(period.status, event.kind)?;
        let to_org = if event.kind == MemberEventKind::Transferred {
            let target = writable(
                w.conn(),
                &call,
                "target_organization",
                &req.target_organization,
            )
            .await?;
            let target = organizations::require_on_date(w.conn(), &target.id, &date).await?;
            check_holds_members(target.kind())?;
            if target.id == period.organization_id {
                return Err(Error::BadPlacement(format!(
                    "{} already belongs to {}",
                    req.member,
                    target.name()
                )));
            }
            target.id
        } else {
            period.organization_id.clone()
        };
        let change = Change {
            member_id: &id,
            kind: event.kind,
            date: &date,
            to_org: &to_org,
            to_status,
            note: &req.note,
        };
        history::apply(w.conn(), &period, &change, call.now_micros()).await?;
        let updated = reload(w.conn(), &id, &req.member).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn list(&self, call: Call, req: ListMembersRequest) -> Result<ListMembersResponse> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(|| call.today()),
        );
        let statuses = rules::list_statuses(&req.statuses)?;
        let (folded, pattern) = rules::name_pattern(&req.name_query)?;
        let query = format!(
            "org={};subtree={};statuses={};as_of={as_of};q={folded}",
            req.organization,
            req.include_subtree,
            store::status_list(&statuses)
        );
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &query)?;
        let mut conn = self.db.read_conn(&call).await.map_err(ApiError::from)?;
        let org = visible(&mut conn, &call, "organization", &req.organization).await?;
        let Some(org) = organizations::on_date(&mut conn, &org.id, &as_of).await? else {
            return Ok(ListMembersResponse::default());
        };
        let membership = if req.include_subtree {
            Membership::Subtree(&org.path)
        } else {
            Membership::Organization(&org.id)
        };
        let after = page.after.clone().unwrap_or_default();
        let rows = store::list(
            &mut conn,
            &as_of,
            membership,
            &statuses,
            &pattern,
            &after,
            page.limit(),
        )
        .await?;
        let mut members = rows
            .into_iter()
            .map(|(row, key)| member(&row).map(|m| (m, key)))
            .collect::<Result<Vec<_>, _>>()?;
        let next_page_token = page.finish(&mut members, |(_, key)| key.clone());
        Ok(ListMembersResponse {
            members: members.into_iter().map(|(m, _)| m).collect(),
            next_page_token,
        })
    }

    async fn list_events(
        &self,
        call: Call,
        req: ListMemberEventsRequest,
    ) -> Result<ListMemberEventsResponse> {
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &req.member)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let id = visible_member(&mut conn, &call, "member", &req.member)
            .await?
            .member
            .id;
        let after: i64 = page
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        let rows = store::events(&mut conn, &id, after, page.limit()).await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            events.push((
                row.seq,
                MemberEvent {
                    name: format!("{}/events/{}", req.member, row.id),
                    kind: row.kind as i32,
                    effective_date: Some(dates::sql_to_proto(&row.effective_date)?),
                    from_organization: row.from_org.as_deref().map(org_name).unwrap_or_default(),
                    to_organization: org_name(&row.to_org),
                    from_status: row.from_status as i32,
                    to_status: row.to_status as i32,
                    note: row.note,
                    create_time: Some(dates::timestamp(row.create_micros)),
                },
            ));
        }
        let next_page_token = page.finish(&mut events, |(seq, _)| seq.to_string());
        Ok(ListMemberEventsResponse {
            events: events.into_iter().map(|(_, e)| e).collect(),
            next_page_token,
        })
    }

    /// Resolves a roster request to the subtree and date and plans its
    /// read; `None` when the organisation did not exist that day.
    async fn roster_query(
        &self,
        call: &Call,
        req: &StreamRosterRequest,
    ) -> Result<Option<RosterQuery>> {
        let as_of = dates::to_sql(
            dates::from_proto("as_of", req.as_of.as_ref())?.unwrap_or_else(|| call.today()),
        );
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let org = visible(&mut conn, call, "organization", &req.organization).await?;
        let Some(org) = organizations::on_date(&mut conn, &org.id, &as_of).await? else {
            return Ok(None);
        };
        Ok(Some(
            RosterQuery::plan(&mut conn, &org.path, &as_of, req.exclude_exempt).await?,
        ))
    }
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
            Some(query) => Box::pin(roster::stream(self.db.clone(), query).map(|row| {
                row.map(|m| StreamRosterResponse {
                    member: member_name(&m.id),
                    full_name: m.full_name,
                    party_card_number: m.party_card_number,
                    organization: org_name(&m.organization_id),
                    status: m.status as i32,
                })
                .map_err(Status::from)
            })),
            None => Box::pin(futures::stream::empty()),
        };
        Ok(Response::new(stream))
    }
}
