//! Escalations: `MonitoringService.ListEscalations`, and [`Scan`], the job
//! that records them. The scan is an entry point like an RPC — the job
//! runner calls it — so it lives with the adapter: it opens a write as the
//! service itself (`Call::system`), so its entries are audited under the
//! service's name, and records each crossing of `rules::monitoring` once
//! (the table's key makes a second record of the same crossing a no-op,
//! whichever replica's runner scans).
//!
//! Scans run daily — each schedules the next day's — and at once for a case
//! just designated.

use probity_platform::{
    ApiError, Call, Clock, Database, dates,
    jobs::{self, Handler, Job, JobError},
    pagination::PageRequest,
};
use probity_proto::probity::oversight::v1::{
    Escalation, ListEscalationsRequest, ListEscalationsResponse,
};

use super::{access::visible_case, cases::stage_of, monitoring::Monitoring};
use crate::{
    error::Result,
    rules::monitoring::{SCAN_JOB as SCAN, crossings},
    store::{
        escalations::{self as store, EscalationRow},
        monitoring,
    },
};

/// The wire form of an escalation.
fn escalation(row: &EscalationRow) -> Result<Escalation, ApiError> {
    Ok(Escalation {
        r#case: format!("cases/{}", row.case_id),
        threshold: row.threshold as i32,
        due_date: row
            .due_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        found_date: Some(dates::sql_to_proto(&row.found_date)?),
        escalated_to: format!("organizations/{}", row.escalated_to),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// The organisation a case of jurisdiction lineage `lineage` (`/…/p/j/`) is
/// escalated to: `p`, or `j` at the root.
fn escalated_to(lineage: &str) -> String {
    let ids: Vec<&str> = lineage.split('/').filter(|s| !s.is_empty()).collect();
    let at = ids.len().saturating_sub(2);
    ids.get(at).copied().unwrap_or_default().to_string()
}

impl Monitoring {
    pub(super) async fn escalations(
        &self,
        call: Call,
        req: ListEscalationsRequest,
    ) -> Result<ListEscalationsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let case = visible_case(&mut conn, &call, &view, "parent", &req.parent).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &case.id)?;
        let after = page.after.clone().unwrap_or_default();
        let mut parts = after.splitn(3, '|');
        let micros = parts
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(i64::MIN);
        let threshold = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let crossing = parts.next().unwrap_or_default();
        let mut rows = store::list(
            &mut conn,
            &case.id,
            (micros, threshold, crossing),
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |r| {
            format!("{}|{}|{}", r.create_micros, r.threshold, r.crossing)
        });
        Ok(ListEscalationsResponse {
            escalations: rows
                .iter()
                .map(escalation)
                .collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }
}

/// The escalation scan, run by the service's job runner.
#[derive(Debug, Clone)]
pub struct Scan {
    clock: Clock,
}

impl Scan {
    /// The scan on `clock` (the server's).
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }

    /// Records every crossing of every open designated case today; returns
    /// how many were new.
    async fn scan(&self, db: &Database) -> Result<usize> {
        let call = Call::system(crate::SCHEMA, SCAN, self.clock.clone());
        let today = call.today();
        let mut w = db.begin_write(&call, "", &()).await?;
        let cases = monitoring::open_designated(w.conn()).await?;
        let mut recorded = 0;
        for case in &cases {
            let last_activity =
                dates::vietnam_date(&dates::timestamp(case.update_micros)).unwrap_or(today);
            for crossing in crossings(stage_of(case), &case.clock()?, last_activity, today) {
                let row = EscalationRow {
                    case_id: case.id.clone(),
                    threshold: crossing.threshold as i64,
                    crossing: crossing.key,
                    due_date: crossing.due.map(dates::to_sql),
                    found_date: dates::to_sql(today),
                    escalated_to: escalated_to(&case.jurisdiction_lineage),
                    create_micros: call.now_micros(),
                };
                if store::record(w.conn(), &row).await? {
                    let answered = escalation(&row)?;
                    w.record(&format!("cases/{}/escalations", case.id), &answered);
                    recorded += 1;
                }
            }
        }
        if recorded > 0 {
            w.commit_batch(&()).await?;
        }
        Ok(recorded)
    }
}

#[tonic::async_trait]
impl Handler for Scan {
    async fn run(&self, db: &Database, _job: &Job) -> std::result::Result<(), JobError> {
        let recorded = self
            .scan(db)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if recorded > 0 {
            tracing::info!(recorded, "escalations recorded");
        }
        // Tomorrow's scan, due at the start of the day.
        let tomorrow = dates::add_days(self.clock.today(), 1);
        jobs::schedule(
            db,
            SCAN,
            &dates::to_sql(tomorrow),
            probity_platform::clock::start_of_day(tomorrow),
            self.clock.now_micros(),
        )
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_escalated_to_the_committee_above_its_jurisdiction() {
        assert_eq!(escalated_to("/tu/hu/cs/"), "hu");
        assert_eq!(escalated_to("/tu/"), "tu");
    }
}
