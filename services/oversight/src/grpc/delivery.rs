//! [`Apply`]: the job that applies a disciplinary decision in members — an
//! expulsion as an EXPELLED event from the effective date, a removal from
//! post as the head position cleared — on oversight's own account
//! ([`MembersAsService`]), with a request id derived from the decision so a
//! retry is answered from the first result. Members down: retried with
//! backoff, the decision PENDING; members refusing: the decision REFUSED
//! with members' answer, the job failed (retry it with JobService.RetryJob
//! once the cause is fixed). The outcome is written as the service itself
//! (`Call::system`), audited under its name.

use probity_members_client::{DeliveryError, MembersAsService};
use probity_platform::{
    Call, Clock, Database, dates,
    jobs::{Handler, Job, JobError},
};
use probity_proto::probity::oversight::v1::{DisciplineForm, MembersEffect};

use super::discipline::decision;
use crate::{
    error::Result,
    rules::discipline::{APPLY_JOB, note, request_id},
    store::discipline as store,
};

/// The delivery job of disciplinary decisions.
#[derive(Debug, Clone)]
pub struct Apply {
    members: Option<MembersAsService>,
    clock: Clock,
}

impl Apply {
    /// Deliveries through `members` (`None`: the service has no identity
    /// for members, and decisions stay PENDING with the reason), on
    /// `clock`.
    pub fn new(members: Option<MembersAsService>, clock: Clock) -> Self {
        Self { members, clock }
    }

    /// Records where decision `id`'s change stands.
    async fn record(
        &self,
        db: &Database,
        id: &str,
        effect: MembersEffect,
        detail: &str,
    ) -> Result<()> {
        let call = Call::system(crate::SCHEMA, APPLY_JOB, self.clock.clone());
        let mut w = db.begin_write(&call, "", &()).await?;
        store::set_effect(w.conn(), id, effect as i64, detail, call.now_micros()).await?;
        let row = store::load(w.conn(), id).await?.ok_or_else(|| {
            probity_platform::ApiError::Internal(format!("decision {id} vanished"))
        })?;
        let answered = decision(&row)?;
        w.commit(&answered.name, &answered).await?;
        Ok(())
    }
}

#[tonic::async_trait]
impl Handler for Apply {
    async fn run(&self, db: &Database, job: &Job) -> std::result::Result<(), JobError> {
        let id = job.key.as_str();
        let row = {
            let mut conn = db
                .pool()
                .acquire()
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            store::load(&mut conn, id)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?
        }
        .ok_or_else(|| JobError::Fail(format!("no disciplinary decision {id}")))?;
        let Some(members) = &self.members else {
            return Err(JobError::Retry(
                "oversight has no identity to call members with (--service-token-file)".into(),
            ));
        };
        let member = format!("members/{}", row.member_id);
        let form = DisciplineForm::try_from(row.form as i32).unwrap_or_default();
        let outcome = match form {
            DisciplineForm::Expulsion => {
                let on = dates::from_sql(&row.effective_date)
                    .map_err(|e| JobError::Fail(e.to_string()))?;
                members
                    .expel(
                        &member,
                        on,
                        &note(&row.decision_number, form),
                        &request_id(id),
                    )
                    .await
            }
            DisciplineForm::RemovalFromPost => members.clear_head_position(&member).await,
            _ => Ok(()),
        };
        match outcome {
            Ok(()) => self
                .record(db, id, MembersEffect::Applied, "")
                .await
                .map_err(|e| JobError::Retry(e.to_string())),
            Err(DeliveryError::Unavailable(why)) => Err(JobError::Retry(why)),
            Err(DeliveryError::Refused(why)) => {
                self.record(db, id, MembersEffect::Refused, &why)
                    .await
                    .map_err(|e| JobError::Retry(e.to_string()))?;
                Err(JobError::Fail(why))
            }
        }
    }
}
