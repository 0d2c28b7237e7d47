//! `MonitoringService`'s directives and urgings: addressed to an agency
//! handling a designated case — or, for urgings, to the addressee of an
//! overdue recommendation (`recommendation_urgings`).

use probity_platform::{ApiError, Call, dates, pagination::PageRequest, resource::new_id};
use probity_proto::probity::oversight::v1::{
    CreateDirectiveRequest, CreateUrgingRequest, Directive, ErrorReason, ListDirectivesRequest,
    ListDirectivesResponse, ListUrgingsRequest, ListUrgingsResponse, RecordUrgingReplyRequest,
    Urging,
};

use super::{
    access::visible_case, monitoring::Monitoring, recommendations::visible_recommendation,
};
use crate::{
    error::{Error, Result},
    rules::urgings as rules,
    store::{
        case_parts,
        cases::CaseRow,
        monitoring,
        urgings::{self as store, DirectiveRow, Parent, UrgingRow},
    },
};

/// The wire form of a directive.
fn directive(row: &DirectiveRow) -> Result<Directive, ApiError> {
    Ok(Directive {
        name: format!("cases/{}/directives/{}", row.case_id, row.id),
        agency: format!("agencies/{}", row.agency_id),
        content: row.content.clone(),
        issue_date: Some(dates::sql_to_proto(&row.issue_date)?),
        due_date: Some(dates::sql_to_proto(&row.due_date)?),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// The wire form of an urging of a `parent`, as of `today`.
pub(super) fn urging(
    row: &UrgingRow,
    parent: Parent,
    today: time::Date,
) -> Result<Urging, ApiError> {
    let deadline = dates::from_sql(&row.requested_deadline)?;
    let parent_name = format!("{}/{}", parent.collection(), row.parent_id);
    Ok(Urging {
        name: format!("{parent_name}/urgings/{}", row.id),
        agency: if row.agency_id.is_empty() {
            String::new()
        } else {
            format!("agencies/{}", row.agency_id)
        },
        directive: if row.directive_id.is_empty() {
            String::new()
        } else {
            format!("{parent_name}/directives/{}", row.directive_id)
        },
        content: row.content.clone(),
        urge_date: Some(dates::sql_to_proto(&row.urge_date)?),
        requested_deadline: Some(dates::to_proto(deadline)),
        reply: row.reply.clone(),
        reply_date: row
            .reply_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        state: rules::state(row.reply_date.is_some(), deadline, today) as i32,
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// `CASE_NOT_DESIGNATED` unless case `case` (named `name`) is designated:
/// directives and urgings are for monitored cases.
async fn check_designated(
    conn: &mut sqlx::AnyConnection,
    case: &CaseRow,
    name: &str,
) -> Result<()> {
    if monitoring::load(conn, &case.id).await?.is_none() {
        return Err(Error::state(
            ErrorReason::CaseNotDesignated,
            format!("{name} is not designated for monitoring (DesignateCase)"),
        ));
    }
    Ok(())
}

impl Monitoring {
    pub(super) async fn direct(
        &self,
        call: Call,
        req: CreateDirectiveRequest,
    ) -> Result<Directive> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let case = visible_case(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<Directive>()? {
            return Ok(done);
        }
        check_designated(w.conn(), &case, &req.parent).await?;
        let handling = case_parts::load(w.conn(), &case.id).await?.agency_ids;
        let new = rules::directive(
            &req.directive.clone().unwrap_or_default(),
            &handling,
            call.today(),
        )?;
        let row = DirectiveRow {
            id: new_id(),
            case_id: case.id,
            agency_id: new.agency_id,
            content: new.content,
            issue_date: dates::to_sql(call.today()),
            due_date: dates::to_sql(new.due),
            create_micros: call.now_micros(),
        };
        store::insert_directive(w.conn(), &row).await?;
        let answered = directive(&row)?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    pub(super) async fn directives(
        &self,
        call: Call,
        req: ListDirectivesRequest,
    ) -> Result<ListDirectivesResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let case = visible_case(&mut conn, &call, &view, "parent", &req.parent).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &case.id)?;
        let after = page.after.clone().unwrap_or_default();
        let mut rows = store::directives(&mut conn, &case.id, &after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| r.id.clone());
        Ok(ListDirectivesResponse {
            directives: rows
                .iter()
                .map(directive)
                .collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }

    pub(super) async fn urge(&self, call: Call, req: CreateUrgingRequest) -> Result<Urging> {
        if req.parent.starts_with("recommendations/") {
            return self.urge_recommendation(call, req).await;
        }
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let case = visible_case(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<Urging>()? {
            return Ok(done);
        }
        check_designated(w.conn(), &case, &req.parent).await?;
        let handling = case_parts::load(w.conn(), &case.id).await?.agency_ids;
        let new = rules::urging(
            &req.urging.clone().unwrap_or_default(),
            &case.id,
            &handling,
            call.today(),
        )?;
        if !new.directive_id.is_empty()
            && !store::has_directive(w.conn(), &case.id, &new.directive_id).await?
        {
            return Err(
                ApiError::invalid("urging.directive", "no such directive of this case").into(),
            );
        }
        let row = UrgingRow {
            id: new_id(),
            parent_id: case.id,
            agency_id: new.agency_id,
            directive_id: new.directive_id,
            content: new.content,
            urge_date: dates::to_sql(call.today()),
            requested_deadline: dates::to_sql(new.due),
            reply: String::new(),
            reply_date: None,
            create_micros: call.now_micros(),
        };
        store::insert_urging(w.conn(), Parent::Case, &row).await?;
        let answered = urging(&row, Parent::Case, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    pub(super) async fn reply(&self, call: Call, req: RecordUrgingReplyRequest) -> Result<Urging> {
        let (parent_name, id) = req.name.split_once("/urgings/").ok_or_else(|| {
            ApiError::invalid(
                "name",
                "must be `cases/{case}/urgings/{id}` or `recommendations/{r}/urgings/{id}`",
            )
        })?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (parent, parent_id) = if parent_name.starts_with("recommendations/") {
            let r = visible_recommendation(w.conn(), &call, &view, parent_name).await?;
            (Parent::Recommendation, r.id)
        } else {
            let case = visible_case(w.conn(), &call, &view, "name", parent_name).await?;
            (Parent::Case, case.id)
        };
        if let Some(done) = w.replayed::<Urging>()? {
            return Ok(done);
        }
        let mut row = store::urging(w.conn(), parent, &parent_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        if row.reply_date.is_some() {
            return Err(Error::state(
                ErrorReason::UrgingAnswered,
                format!("{} was answered already", req.name),
            ));
        }
        let (reply, day) = rules::reply(
            &req.reply,
            req.reply_date.as_ref(),
            dates::from_sql(&row.urge_date)?,
            call.today(),
        )?;
        row.reply = reply;
        row.reply_date = Some(dates::to_sql(day));
        store::reply(w.conn(), parent, &row.id, &row.reply, &dates::to_sql(day)).await?;
        let answered = urging(&row, parent, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    pub(super) async fn urgings(
        &self,
        call: Call,
        req: ListUrgingsRequest,
    ) -> Result<ListUrgingsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let (parent, parent_id) = if req.parent.starts_with("recommendations/") {
            let r = visible_recommendation(&mut conn, &call, &view, &req.parent).await?;
            (Parent::Recommendation, r.id)
        } else {
            let case = visible_case(&mut conn, &call, &view, "parent", &req.parent).await?;
            (Parent::Case, case.id)
        };
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &parent_id)?;
        let after = page.after.clone().unwrap_or_default();
        let mut rows = store::urgings(&mut conn, parent, &parent_id, &after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| r.id.clone());
        let today = call.today();
        Ok(ListUrgingsResponse {
            urgings: rows
                .iter()
                .map(|r| urging(r, parent, today))
                .collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }
}
