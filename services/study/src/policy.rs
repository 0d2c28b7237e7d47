//! Who may call each method of `probity.study.v1`: the service's rows of the
//! one permission model (`docs/security.md`). The gateway admits a call by
//! its method's rule; the handler then checks the caller's scope on the
//! owner organisation's lineage on today's tree, as members reports it.

use probity_platform::policy::{
    Access::{Read, Shared, WholeTree, Write},
    Role::{Auditor, DocumentRegistrar, Reader, Writer},
    Rule, ServicePolicy, rule,
};

#[rustfmt::skip]
const RULES: &[Rule] = &[
    // The province's register of documents that plans cite.
    rule("DocumentService/CreateDocument", "document", WholeTree, &[DocumentRegistrar]),
    rule("DocumentService/GetDocument", "document", Shared, &[Reader, DocumentRegistrar]),
    rule("DocumentService/ListDocuments", "document", Shared, &[Reader, DocumentRegistrar]),
    rule("DocumentService/UpdateDocument", "document", WholeTree, &[DocumentRegistrar]),
    // Plans, owned by their scope organisation; the organisations inside
    // the scope read them too.
    rule("PlanService/CreatePlan", "plan", Write, &[Writer]),
    rule("PlanService/GetPlan", "plan", Read, &[Reader]),
    rule("PlanService/ListPlans", "plan", Read, &[Reader]),
    rule("PlanService/UpdatePlan", "plan", Write, &[Writer]),
    rule("PlanService/RefreshPlanRoster", "plan", Write, &[Writer]),
    rule("PlanService/GetPlanProgress", "plan", Read, &[Reader]),
    rule("PlanService/ListPlanAbsentees", "plan", Read, &[Reader]),
    rule("PlanService/ListPlanRoster", "plan", Read, &[Reader]),
    rule("PlanService/ListPlanWarnings", "plan", Read, &[Reader]),
    // Classes and attendance, owned by the organising organisation.
    rule("ClassService/CreateClass", "class", Write, &[Writer]),
    rule("ClassService/GetClass", "class", Read, &[Reader]),
    rule("ClassService/ListClasses", "class", Read, &[Reader]),
    rule("ClassService/UpdateClass", "class", Write, &[Writer]),
    rule("ClassService/CancelClass", "class", Write, &[Writer]),
    rule("ClassService/CloseClass", "class", Write, &[Writer]),
    rule("ClassService/RecordAttendance", "attendance", Write, &[Writer]),
    rule("ClassService/StreamAttendance", "attendance", Write, &[Writer]),
    rule("ClassService/ListAttendance", "attendance", Read, &[Reader]),
    rule("ClassService/SetNonMemberAttendance", "attendance", Write, &[Writer]),
    rule("ClassService/ListNonMemberAttendees", "attendance", Read, &[Reader]),
    // Learning reports, owned by the class's organiser.
    rule("LearningReportService/SubmitLearningReport", "learning report", Write, &[Writer]),
    rule("LearningReportService/GetLearningReport", "learning report", Read, &[Reader]),
    rule("LearningReportService/ListLearningReports", "learning report", Read, &[Reader]),
    rule("LearningReportService/EvaluateLearningReport", "learning report", Write, &[Writer]),
    rule("LearningReportService/GrantReportExtension", "learning report", Write, &[Writer]),
    rule("LearningReportService/ReopenLearningReport", "learning report", Write, &[Writer]),
    // Supervision visits, owned by the inspecting and the inspected
    // organisation (either may read).
    rule("SupervisionService/CreateSupervisionVisit", "supervision visit", Write, &[Writer]),
    rule("SupervisionService/GetSupervisionVisit", "supervision visit", Read, &[Reader]),
    rule("SupervisionService/ListSupervisionVisits", "supervision visit", Read, &[Reader]),
    // One member's study, for the review evidence: whoever may read the
    // member in members.
    rule("StudyRecordService/GetMemberStudyRecord", "study record", Read, &[Reader]),
    // The audit log spans every organisation.
    rule("AuditService/ListAuditEntries", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/VerifyAuditChain", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/GetAuditCheckpoint", "audit checkpoint", WholeTree, &[Auditor]),
];

/// The study service's policy.
pub static POLICY: ServicePolicy = ServicePolicy {
    package: "probity.study.v1",
    rules: RULES,
};
