//! [`Records`]: what the consistency check reads of study, members and
//! oversight besides the figures — rosters, expelled members and their
//! events, a member's classes, disciplinary decisions, cases — every page,
//! on behalf of the caller, through the same channels as
//! [`super::SourcesPeer`].

use probity_platform::{Call, client::on_behalf};
use probity_proto::probity::{
    members::v1::{
        BookEntry, Declaration, ListDeclarationsRequest, ListMemberEventsRequest,
        ListMembersRequest, ListRegisterRequest, Member, MemberEvent, MemberStatus,
        book_service_client::BookServiceClient,
        declaration_service_client::DeclarationServiceClient,
        member_service_client::MemberServiceClient,
    },
    oversight::v1::{
        Case, DisciplinaryDecision, ListCasesRequest, ListDisciplinaryDecisionsRequest,
        case_service_client::CaseServiceClient, discipline_service_client::DisciplineServiceClient,
    },
    study::v1::{
        GetMemberStudyRecordRequest, ListPlanRosterRequest, ListPlansRequest, MemberStudyRecord,
        Plan, RosterMember, plan_service_client::PlanServiceClient,
        study_record_service_client::StudyRecordServiceClient,
    },
};

use super::{SourcesPeer, TIMEOUT, refused_to};
use crate::error::Result;

/// What the consistency check reads beyond the figures.
#[tonic::async_trait]
pub trait Records: Send + Sync + 'static {
    /// Every plan scoped to `scope`.
    async fn plans(&self, call: &Call, scope: &str) -> Result<Vec<Plan>>;
    /// A plan's whole roster, in member order.
    async fn plan_roster(&self, call: &Call, plan: &str) -> Result<Vec<RosterMember>>;
    /// The expelled members of `org`'s subtree.
    async fn expelled(&self, call: &Call, org: &str) -> Result<Vec<Member>>;
    /// A member's events, oldest first.
    async fn events(&self, call: &Call, member: &str) -> Result<Vec<MemberEvent>>;
    /// A member's classes of `year`.
    async fn study_record(&self, call: &Call, member: &str, year: i32)
    -> Result<MemberStudyRecord>;
    /// The disciplinary decisions decided in `org`'s subtree.
    async fn decisions(&self, call: &Call, org: &str) -> Result<Vec<DisciplinaryDecision>>;
    /// The cases of `org`'s subtree.
    async fn cases(&self, call: &Call, org: &str) -> Result<Vec<Case>>;
    /// The register of `org`'s subtree for `year`: commitments and results.
    async fn register(&self, call: &Call, org: &str, year: i32) -> Result<Vec<BookEntry>>;
    /// The declarations of `org`'s subtree for `year`, as the caller may
    /// see them.
    async fn declarations(&self, call: &Call, org: &str, year: i32) -> Result<Vec<Declaration>>;
}

/// Every page of a list: sends `$request` (its `page_token` set from each
/// answer) with `$client.$method` on behalf of `$call`, gathering
/// `$items`; a refusal becomes this service's error for `$what`.
macro_rules! every_page {
    ($call:expr, $service:expr, $what:expr, $client:expr, $method:ident, $request:expr, $items:ident) => {{
        let mut request = $request;
        let mut out = Vec::new();
        loop {
            let page = $client
                .$method(on_behalf($call, request.clone(), TIMEOUT))
                .await
                .map_err(|s| refused_to($service, &$what, s))?
                .into_inner();
            out.extend(page.$items);
            if page.next_page_token.is_empty() {
                break out;
            }
            request.page_token = page.next_page_token;
        }
    }};
}

#[tonic::async_trait]
impl Records for SourcesPeer {
    async fn plans(&self, call: &Call, scope: &str) -> Result<Vec<Plan>> {
        let mut client = PlanServiceClient::new(self.study.get("study")?);
        let request = ListPlansRequest {
            scope: scope.to_string(),
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListPlans(scope={scope})");
        Ok(every_page!(
            call, "study", what, client, list_plans, request, plans
        ))
    }

    async fn plan_roster(&self, call: &Call, plan: &str) -> Result<Vec<RosterMember>> {
        let mut client = PlanServiceClient::new(self.study.get("study")?);
        let request = ListPlanRosterRequest {
            plan: plan.to_string(),
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListPlanRoster({plan})");
        Ok(every_page!(
            call,
            "study",
            what,
            client,
            list_plan_roster,
            request,
            members
        ))
    }

    async fn expelled(&self, call: &Call, org: &str) -> Result<Vec<Member>> {
        let mut client = MemberServiceClient::new(self.members.get("members")?);
        let request = ListMembersRequest {
            organization: org.to_string(),
            include_subtree: true,
            statuses: vec![MemberStatus::Expelled as i32],
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListMembers({org}, expelled)");
        Ok(every_page!(
            call,
            "members",
            what,
            client,
            list_members,
            request,
            members
        ))
    }

    async fn events(&self, call: &Call, member: &str) -> Result<Vec<MemberEvent>> {
        let mut client = MemberServiceClient::new(self.members.get("members")?);
        let request = ListMemberEventsRequest {
            member: member.to_string(),
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListMemberEvents({member})");
        Ok(every_page!(
            call,
            "members",
            what,
            client,
            list_member_events,
            request,
            events
        ))
    }

    async fn study_record(
        &self,
        call: &Call,
        member: &str,
        year: i32,
    ) -> Result<MemberStudyRecord> {
        let request = GetMemberStudyRecordRequest {
            member: member.to_string(),
            year,
        };
        Ok(StudyRecordServiceClient::new(self.study.get("study")?)
            .get_member_study_record(on_behalf(call, request, TIMEOUT))
            .await
            .map_err(|s| {
                refused_to(
                    "study",
                    &format!("GetMemberStudyRecord({member}, {year})"),
                    s,
                )
            })?
            .into_inner())
    }

    async fn decisions(&self, call: &Call, org: &str) -> Result<Vec<DisciplinaryDecision>> {
        let mut client = DisciplineServiceClient::new(self.oversight.get("oversight")?);
        let request = ListDisciplinaryDecisionsRequest {
            organization: org.to_string(),
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListDisciplinaryDecisions(organization={org})");
        Ok(every_page!(
            call,
            "oversight",
            what,
            client,
            list_disciplinary_decisions,
            request,
            decisions
        ))
    }

    async fn register(&self, call: &Call, org: &str, year: i32) -> Result<Vec<BookEntry>> {
        let mut client = BookServiceClient::new(self.members.get("members")?);
        let request = ListRegisterRequest {
            organization: org.to_string(),
            year,
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListRegister({org}, {year})");
        Ok(every_page!(
            call,
            "members",
            what,
            client,
            list_register,
            request,
            entries
        ))
    }

    async fn declarations(&self, call: &Call, org: &str, year: i32) -> Result<Vec<Declaration>> {
        let mut client = DeclarationServiceClient::new(self.members.get("members")?);
        let request = ListDeclarationsRequest {
            organization: org.to_string(),
            year,
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListDeclarations({org}, {year})");
        Ok(every_page!(
            call,
            "members",
            what,
            client,
            list_declarations,
            request,
            declarations
        ))
    }

    async fn cases(&self, call: &Call, org: &str) -> Result<Vec<Case>> {
        let mut client = CaseServiceClient::new(self.oversight.get("oversight")?);
        let request = ListCasesRequest {
            organization: org.to_string(),
            page_size: 1000,
            ..Default::default()
        };
        let what = format!("ListCases({org})");
        Ok(every_page!(
            call,
            "oversight",
            what,
            client,
            list_cases,
            request,
            cases
        ))
    }
}
