//! `probity.study.v1.StudyRecordService`: one member's study in a year, for
//! the members service's review evidence (and any caller who may read the
//! member).

use std::sync::Arc;

use probity_members_client::MembersError;
use probity_platform::{ApiError, Call, Database, dates, unary};
use probity_proto::probity::study::v1::{
    ClassAttendance, GetMemberStudyRecordRequest, LearningReportSummary, MemberStudyRecord,
    study_record_service_server::StudyRecordService,
};
use tonic::{Request, Response, Status};

use crate::{error::Result, peers::Members, rules::records as rules, store::records as store};

/// `StudyRecordService` over one database and the members service.
#[derive(Clone)]
pub struct StudyRecords {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for StudyRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StudyRecords")
    }
}

impl StudyRecords {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn get(&self, call: Call, req: GetMemberStudyRecordRequest) -> Result<MemberStudyRecord> {
        let (member_id, year) = rules::validate(&req.member, req.year, call.today())?;
        // Whoever may read the member in members reads their study; a
        // member they may not read is not found.
        match self.members.member(&call, "member", &req.member).await {
            Err(MembersError::Api(ApiError::InvalidArgument(_))) => {
                return Err(ApiError::not_found(&req.member).into());
            }
            other => other?,
        };
        call.scoped();
        let (from, to) = rules::year_bounds(year);
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let attendance = store::attendance(&mut conn, &member_id, (&from, &to)).await?;
        let reports = store::reports(&mut conn, &member_id, (&from, &to)).await?;
        Ok(MemberStudyRecord {
            member: req.member.clone(),
            year,
            classes_attended: rules::classes_attended(attendance.iter().map(|a| a.attended != 0)),
            attendances: attendance
                .iter()
                .map(|a| {
                    Ok(ClassAttendance {
                        study_class: format!("classes/{}", a.class_id),
                        plan: format!("plans/{}", a.plan_id),
                        title: a.title.clone(),
                        class_date: Some(dates::sql_to_proto(&a.class_date)?),
                        status: a.status.clone(),
                        attended: a.attended != 0,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            reports: reports
                .iter()
                .map(|r| {
                    Ok(LearningReportSummary {
                        report: format!("learningReports/{}", r.id),
                        study_class: format!("classes/{}", r.class_id),
                        submitted_date: Some(dates::sql_to_proto(&r.submitted_on)?),
                        late: r.late != 0,
                        state: r.state as i32,
                        grade: r.grade as i32,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
        })
    }
}

#[tonic::async_trait]
impl StudyRecordService for StudyRecords {
    async fn get_member_study_record(
        &self,
        r: Request<GetMemberStudyRecordRequest>,
    ) -> Result<Response<MemberStudyRecord>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
}
