//! [`Expire`], the job that ends a finished report's retention: on the day
//! its retention class gives (`rules::report_limits::retention`), the
//! report's content, accused, messages, protection file and sealed
//! identity are destroyed — the identity by deleting its wrapped record
//! key and ciphertext — and a tombstone stays: the report's dates,
//! category, status and outcome, and audit entries under the service's
//! name for the report and its identity. DecideReport enqueues the job
//! when a report finishes, to run at the start of its expiry day.

use probity_platform::{
    Call, Clock, Database, dates,
    jobs::{Handler, Job, JobError},
};
use probity_proto::probity::oversight::v1::Report;

use crate::{
    error::Result,
    store::{reports, vault},
};

/// The kind of the expiry job (key: the report's id).
pub const EXPIRE_JOB: &str = "reports.expire";

/// The expiry of one report, run by the service's job runner.
#[derive(Debug, Clone)]
pub struct Expire {
    clock: Clock,
}

impl Expire {
    /// The job on `clock` (the server's).
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }

    /// Expires report `id` when its day has come; returns whether it did.
    async fn expire(&self, db: &Database, id: &str) -> Result<bool> {
        let call = Call::system(crate::SCHEMA, EXPIRE_JOB, self.clock.clone());
        let today = dates::to_sql(call.today());
        let mut w = db.begin_write(&call, "", &()).await?;
        let Some(row) = reports::load(w.conn(), id).await? else {
            return Ok(false);
        };
        let due = row
            .expire_date
            .as_deref()
            .is_some_and(|d| d <= today.as_str());
        if row.expired == 1 || !due {
            return Ok(false);
        }
        let name = format!("reports/{id}");
        if vault::exists(w.conn(), id).await? {
            vault::destroy(w.conn(), id).await?;
            w.record(&format!("{name}/identity"), &Vec::<u8>::new());
        }
        reports::expire(w.conn(), id).await?;
        let tombstone = Report {
            name: name.clone(),
            status: row.status as i32,
            outcome: row.outcome as i32,
            retention_class: row.retention_class.clone(),
            expire_date: row
                .expire_date
                .as_deref()
                .map(dates::sql_to_proto)
                .transpose()?,
            expired: true,
            ..Default::default()
        };
        w.record(&name, &tombstone);
        w.commit_batch(&()).await?;
        Ok(true)
    }
}

#[tonic::async_trait]
impl Handler for Expire {
    async fn run(&self, db: &Database, job: &Job) -> std::result::Result<(), JobError> {
        let expired = self
            .expire(db, &job.key)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if expired {
            tracing::info!(report = %job.key, "a report's retention ended: content and identity destroyed");
        }
        Ok(())
    }
}
