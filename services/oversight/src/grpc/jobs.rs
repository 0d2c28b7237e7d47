//! `probity.oversight.v1.JobService`: the service's background jobs, as
//! the platform's runner keeps them.

use probity_platform::{
    ApiError, Call, Database, dates,
    jobs::{self, Job as JobRow, JobState as RowState},
    pagination::PageRequest,
    resource::parse_name,
    unary,
};
use probity_proto::probity::oversight::v1::{
    ErrorReason, Job, JobState, ListJobsRequest, ListJobsResponse, RetryJobRequest,
    job_service_server::JobService,
};
use tonic::{Request, Response, Status};

use crate::error::{Error, Result};

/// The wire form of a job (its payload is not shown).
fn job(row: &JobRow) -> Job {
    Job {
        name: format!("jobs/{}", row.id),
        kind: row.kind.clone(),
        key: row.key.clone(),
        state: match row.state() {
            RowState::Pending => JobState::Pending,
            RowState::Done => JobState::Done,
            RowState::Failed => JobState::Failed,
        } as i32,
        attempts: row.attempts,
        run_time: Some(dates::timestamp(row.run_after_micros)),
        last_error: row.last_error.clone(),
        create_time: Some(dates::timestamp(row.created_micros)),
        update_time: Some(dates::timestamp(row.updated_micros)),
    }
}

/// The job's id in `jobs/{id}`.
fn job_id(name: &str) -> Result<i64> {
    let id = parse_name("name", name, "jobs")?;
    id.parse()
        .map_err(|_| ApiError::invalid("name", "must be `jobs/{number}`").into())
}

/// `JobService` over one database.
#[derive(Debug, Clone)]
pub struct JobApi {
    db: Database,
}

impl JobApi {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn list(&self, call: Call, req: ListJobsRequest) -> Result<ListJobsResponse> {
        let state = match JobState::try_from(req.state).unwrap_or(JobState::Unspecified) {
            JobState::Unspecified => None,
            JobState::Pending => Some(RowState::Pending),
            JobState::Done => Some(RowState::Done),
            JobState::Failed => Some(RowState::Failed),
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            state.map_or("", RowState::as_str),
        )?;
        let after = page
            .after
            .as_deref()
            .map_or(0, |a| a.parse::<i64>().unwrap_or(0));
        let mut rows = jobs::list(&self.db, state, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| r.id.to_string());
        Ok(ListJobsResponse {
            jobs: rows.iter().map(job).collect(),
            next_page_token,
        })
    }

    async fn retry(&self, call: Call, req: RetryJobRequest) -> Result<Job> {
        let id = job_id(&req.name)?;
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let found = w
            .job(id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        if !w.retry_job(id).await? {
            return Err(Error::state(
                ErrorReason::JobNotFailed,
                format!("{} is {}, not failed", req.name, found.state().as_str()),
            ));
        }
        let row = w
            .job(id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        let retried = job(&row);
        w.commit(&retried.name, &retried).await?;
        Ok(retried)
    }
}

#[tonic::async_trait]
impl JobService for JobApi {
    async fn list_jobs(
        &self,
        r: Request<ListJobsRequest>,
    ) -> Result<Response<ListJobsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn retry_job(&self, r: Request<RetryJobRequest>) -> Result<Response<Job>, Status> {
        unary(r, |c, m| self.retry(c, m)).await
    }
}
