//! `probity.members.v1.DeclarationService`, the obligation-list part: who
//! must declare, per organisation and year.

use probity_platform::{ApiError, Call, dates, resource::etag};
use probity_proto::probity::members::v1::{
    ApproveObligationListRequest, CreateObligationListRequest, ErrorReason,
    GetObligationListRequest, Obligation, ObligationList, ObligationListState,
};
use sqlx::AnyConnection;

use super::{
    access::{visible, writable},
    declarations::Declarations,
};
use crate::{
    error::{Error, Result},
    rules::{
        declarations as rules,
        names::{member_id, member_name, org_name},
        years::{reference_date, validate_year},
    },
    store::{history, obligations as store, organizations},
};

/// `(organisation id, year)` from `organizations/{org}/obligationLists/{year}`.
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

/// The list of `org_id` for `year` on the wire, if there is one.
async fn load(conn: &mut AnyConnection, org_id: &str, year: i32) -> Result<Option<ObligationList>> {
    let Some((list, members)) = store::load(conn, org_id, year).await? else {
        return Ok(None);
    };
    Ok(Some(ObligationList {
        name: format!("organizations/{org_id}/obligationLists/{year}"),
        organization: org_name(org_id),
        year,
        obligations: members
            .into_iter()
            .map(|o| Obligation {
                member: member_name(&o.member_id),
                leader: o.leader != 0,
                position: o.position,
            })
            .collect(),
        state: list.state as i32,
        approved_by: list.approved_by.unwrap_or_default(),
        approve_time: list.approve_micros.map(dates::timestamp),
        etag: etag(list.revision),
    }))
}

impl Declarations {
    pub(super) async fn create_list(
        &self,
        call: Call,
        req: CreateObligationListRequest,
    ) -> Result<ObligationList> {
        validate_year("year", req.year, call.today())?;
        rules::validate_obligations(&req.obligations)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let org = writable(w.conn(), &call, "organization", &req.organization).await?;
        if let Some(done) = w.replayed::<ObligationList>()? {
            return Ok(done);
        }
        let date = reference_date(req.year, call.today());
        let root = organizations::require_on_date(w.conn(), &org.id, &date).await?;
        if load(w.conn(), &org.id, req.year).await?.is_some() {
            return Err(Error::exists(
                ErrorReason::ObligationListExists,
                format!(
                    "{} already has an obligation list for {}",
                    req.organization, req.year
                ),
            ));
        }
        store::open(w.conn(), &org.id, req.year, call.now_micros()).await?;
        let mut outside = Vec::new();
        for (i, o) in req.obligations.iter().enumerate() {
            let member = member_id(&o.member);
            if !history::active_in_subtree(w.conn(), member, &date, &root.path).await? {
                outside.push((i, o.member.clone()));
                continue;
            }
            store::add(
                w.conn(),
                &org.id,
                req.year,
                member,
                o.leader,
                o.position.trim(),
            )
            .await?;
        }
        if !outside.is_empty() {
            return Err(rules::outside_list(&outside, &req.organization, &date));
        }
        let list = load(w.conn(), &org.id, req.year)
            .await?
            .ok_or_else(|| ApiError::Internal("list vanished".into()))?;
        w.commit(&list.name, &list).await?;
        Ok(list)
    }

    pub(super) async fn get_list(
        &self,
        call: Call,
        req: GetObligationListRequest,
    ) -> Result<ObligationList> {
        let (org_id, year) = parse_list_name(&req.name)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        visible(&mut conn, &call, "name", &org_name(&org_id))
            .await
            .map_err(|e| e.not_found_as(&req.name))?;
        load(&mut conn, &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name).into())
    }

    pub(super) async fn approve_list(
        &self,
        call: Call,
        req: ApproveObligationListRequest,
    ) -> Result<ObligationList> {
        let (org_id, year) = parse_list_name(&req.name)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        writable(w.conn(), &call, "name", &org_name(&org_id)).await?;
        let list = load(w.conn(), &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        probity_platform::resource::check_current_etag(&req.name, &req.etag, &list.etag)?;
        if list.state == ObligationListState::Approved as i32 {
            return Err(Error::refused(
                ErrorReason::AlreadyApproved,
                format!("{} is already approved", req.name),
            ));
        }
        store::approve(
            w.conn(),
            &org_id,
            year,
            &call.caller.subject,
            call.now_micros(),
        )
        .await?;
        let list = load(w.conn(), &org_id, year)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        w.commit(&list.name, &list).await?;
        Ok(list)
    }
}
