//! The gRPC trait implementations of `PlanService` and `ClassService`,
//! whose methods live in several modules: each method hands its request to
//! the module that holds it through the shared [`unary`] adapter.

use probity_platform::{Call, unary};
use probity_proto::probity::study::v1::{
    CancelClassRequest, CloseClassRequest, CreateClassRequest, CreatePlanRequest, GetClassRequest,
    GetPlanProgressRequest, GetPlanRequest, ListAttendanceRequest, ListAttendanceResponse,
    ListClassesRequest, ListClassesResponse, ListNonMemberAttendeesRequest,
    ListNonMemberAttendeesResponse, ListPlanAbsenteesRequest, ListPlanAbsenteesResponse,
    ListPlanWarningsRequest, ListPlanWarningsResponse, ListPlansRequest, ListPlansResponse, Plan,
    PlanProgress, RecordAttendanceRequest, RecordAttendanceResponse, RefreshPlanRosterRequest,
    SetNonMemberAttendanceRequest, StreamAttendanceRequest, StreamAttendanceResponse, StudyClass,
    UpdateClassRequest, UpdatePlanRequest, class_service_server::ClassService,
    plan_service_server::PlanService,
};
use tonic::{Request, Response, Status, Streaming};

use crate::{classes::Classes, plans::Plans, progress::Progress};

/// `PlanService`: plans and their progress.
#[derive(Debug, Clone)]
pub struct PlanApi {
    /// Create, read, update, refresh.
    pub plans: Plans,
    /// Progress, absentees, warnings.
    pub progress: Progress,
}

#[tonic::async_trait]
impl PlanService for PlanApi {
    async fn create_plan(&self, r: Request<CreatePlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.plans.create(c, m)).await
    }
    async fn get_plan(&self, r: Request<GetPlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m: GetPlanRequest| async move {
            self.plans.get(c, &m.name).await
        })
        .await
    }
    async fn list_plans(
        &self,
        r: Request<ListPlansRequest>,
    ) -> Result<Response<ListPlansResponse>, Status> {
        unary(r, |c, m| self.plans.list(c, m)).await
    }
    async fn update_plan(&self, r: Request<UpdatePlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.plans.update(c, m)).await
    }
    async fn refresh_plan_roster(
        &self,
        r: Request<RefreshPlanRosterRequest>,
    ) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.plans.refresh(c, m)).await
    }
    async fn get_plan_progress(
        &self,
        r: Request<GetPlanProgressRequest>,
    ) -> Result<Response<PlanProgress>, Status> {
        unary(r, |c, m| self.progress.progress(c, m)).await
    }
    async fn list_plan_absentees(
        &self,
        r: Request<ListPlanAbsenteesRequest>,
    ) -> Result<Response<ListPlanAbsenteesResponse>, Status> {
        unary(r, |c, m| self.progress.absentees(c, m)).await
    }
    async fn list_plan_warnings(
        &self,
        r: Request<ListPlanWarningsRequest>,
    ) -> Result<Response<ListPlanWarningsResponse>, Status> {
        unary(r, |c, m| self.progress.warnings(c, m)).await
    }
}

#[tonic::async_trait]
impl ClassService for Classes {
    async fn create_class(
        &self,
        r: Request<CreateClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_class(&self, r: Request<GetClassRequest>) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m: GetClassRequest| async move {
            self.get(c, &m.name).await
        })
        .await
    }
    async fn list_classes(
        &self,
        r: Request<ListClassesRequest>,
    ) -> Result<Response<ListClassesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_class(
        &self,
        r: Request<UpdateClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn cancel_class(
        &self,
        r: Request<CancelClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.cancel(c, m)).await
    }
    async fn close_class(
        &self,
        r: Request<CloseClassRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.close(c, m)).await
    }
    async fn record_attendance(
        &self,
        r: Request<RecordAttendanceRequest>,
    ) -> Result<Response<RecordAttendanceResponse>, Status> {
        unary(r, |c, m| self.record(c, m)).await
    }
    async fn stream_attendance(
        &self,
        r: Request<Streaming<StreamAttendanceRequest>>,
    ) -> Result<Response<StreamAttendanceResponse>, Status> {
        unary(r, |c: Call, s| self.stream(c, s)).await
    }
    async fn list_attendance(
        &self,
        r: Request<ListAttendanceRequest>,
    ) -> Result<Response<ListAttendanceResponse>, Status> {
        unary(r, |c, m| self.list_attendance(c, m)).await
    }
    async fn set_non_member_attendance(
        &self,
        r: Request<SetNonMemberAttendanceRequest>,
    ) -> Result<Response<StudyClass>, Status> {
        unary(r, |c, m| self.set_non_members(c, m)).await
    }
    async fn list_non_member_attendees(
        &self,
        r: Request<ListNonMemberAttendeesRequest>,
    ) -> Result<Response<ListNonMemberAttendeesResponse>, Status> {
        unary(r, |c, m| self.list_non_members(c, m)).await
    }
}
