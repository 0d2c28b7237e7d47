//! Urging an overdue recommendation through `MonitoringService.CreateUrging`
//! (parent `recommendations/{id}`): as a designated case's agencies are
//! urged, the recommendation's addressee is, with a requested deadline for
//! the reply that `RecordUrgingReply` records. Only an open recommendation
//! past its due date is urged.

use probity_platform::{Call, dates, resource::new_id};
use probity_proto::probity::oversight::v1::{CreateUrgingRequest, Urging};

use super::{monitoring::Monitoring, recommendations::visible_recommendation, urgings::urging};
use crate::{
    error::Result,
    rules::{recommendations::is_closed, urgings as rules},
    store::urgings::{self as store, Parent, UrgingRow},
};

impl Monitoring {
    pub(super) async fn urge_recommendation(
        &self,
        call: Call,
        req: CreateUrgingRequest,
    ) -> Result<Urging> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let recommendation = visible_recommendation(w.conn(), &call, &view, &req.parent).await?;
        if let Some(done) = w.replayed::<Urging>()? {
            return Ok(done);
        }
        let status = probity_proto::probity::oversight::v1::RecommendationStatus::try_from(
            recommendation.status as i32,
        )
        .unwrap_or_default();
        let new = rules::recommendation_urging(
            &req.urging.clone().unwrap_or_default(),
            &req.parent,
            &recommendation.agency_id,
            (
                dates::from_sql(&recommendation.due_date)?,
                is_closed(status),
            ),
            call.today(),
        )?;
        let row = UrgingRow {
            id: new_id(),
            parent_id: recommendation.id,
            agency_id: new.agency_id,
            directive_id: String::new(),
            content: new.content,
            urge_date: dates::to_sql(call.today()),
            requested_deadline: dates::to_sql(new.due),
            reply: String::new(),
            reply_date: None,
            create_micros: call.now_micros(),
        };
        store::insert_urging(w.conn(), Parent::Recommendation, &row).await?;
        let answered = urging(&row, Parent::Recommendation, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }
}
