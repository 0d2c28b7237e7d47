//! Who may call each method of `probity.oversight.v1`: the service's rows
//! of the one permission model (`docs/security.md`). The gateway admits a
//! call by its method's rule; the handler then checks the caller's scope on
//! the case's jurisdiction organisation on today's tree, as members reports
//! it.

use probity_platform::policy::{
    Access::Open,
    Access::{Read, Shared, WholeTree, Write},
    Role::{Admin, Auditor, CaseOfficer, ProtectionOfficer, Reader, SteeringCommittee},
    Rule, ServicePolicy, rule,
};

#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Reference data every caller with a role may read.
    rule("ReferenceService/ListSectors", "sector", Shared, &[Reader, CaseOfficer]),
    rule("ReferenceService/ListStageLimits", "stage limit", Shared, &[Reader, CaseOfficer]),
    // The province's registry of the agencies that handle cases.
    rule("AgencyService/CreateAgency", "agency", WholeTree, &[Admin]),
    rule("AgencyService/GetAgency", "agency", Shared, &[Reader, CaseOfficer]),
    rule("AgencyService/ListAgencies", "agency", Shared, &[Reader, CaseOfficer]),
    // Cases, owned by their jurisdiction organisation. They name the
    // people they are about: case officers only, not member-record readers.
    rule("CaseService/CreateCase", "case", Write, &[CaseOfficer]),
    rule("CaseService/GetCase", "case", Read, &[CaseOfficer, SteeringCommittee]),
    rule("CaseService/ListCases", "case", Read, &[CaseOfficer, SteeringCommittee]),
    rule("CaseService/MoveCase", "case", Write, &[CaseOfficer]),
    rule("CaseService/SuspendCase", "case", Write, &[CaseOfficer]),
    rule("CaseService/ResumeCase", "case", Write, &[CaseOfficer]),
    rule("CaseService/ExtendCaseDeadline", "case", Write, &[CaseOfficer]),
    rule("CaseService/ListCaseEvents", "case", Read, &[CaseOfficer, SteeringCommittee]),
    rule("CaseService/CreateProgressReport", "progress report", Write, &[CaseOfficer]),
    rule("CaseService/ListProgressReports", "progress report", Read, &[CaseOfficer, SteeringCommittee]),
    // Monitoring: the Standing Committee and the steering committee
    // designate, direct and urge; case officers follow (and record the
    // agencies' replies, as they file their reports).
    rule("MonitoringService/DesignateCase", "designation", Write, &[SteeringCommittee]),
    rule("MonitoringService/GetDesignation", "designation", Read, &[CaseOfficer, SteeringCommittee]),
    rule("MonitoringService/ListMonitoredCases", "case", Read, &[CaseOfficer, SteeringCommittee]),
    rule("MonitoringService/CreateDirective", "directive", Write, &[SteeringCommittee]),
    rule("MonitoringService/ListDirectives", "directive", Read, &[CaseOfficer, SteeringCommittee]),
    rule("MonitoringService/CreateUrging", "urging", Write, &[SteeringCommittee]),
    rule("MonitoringService/RecordUrgingReply", "urging", Write, &[CaseOfficer, SteeringCommittee]),
    rule("MonitoringService/ListUrgings", "urging", Read, &[CaseOfficer, SteeringCommittee]),
    rule("MonitoringService/ListEscalations", "escalation", Read, &[CaseOfficer, SteeringCommittee]),
    // Inspections, owned by the organisation whose area they are in.
    rule("InspectionService/CreateInspection", "inspection", Write, &[CaseOfficer]),
    rule("InspectionService/GetInspection", "inspection", Read, &[CaseOfficer, SteeringCommittee]),
    rule("InspectionService/ListInspections", "inspection", Read, &[CaseOfficer, SteeringCommittee]),
    rule("InspectionService/ConcludeInspection", "inspection", Write, &[CaseOfficer]),
    // Recommendations, owned by the organisation whose area the addressee
    // is in; recorded, progressed and verified by case officers (the
    // verifier not the addressee, checked by the handler).
    rule("RecommendationService/CreateRecommendation", "recommendation", Write, &[CaseOfficer]),
    rule("RecommendationService/GetRecommendation", "recommendation", Read, &[CaseOfficer, SteeringCommittee]),
    rule("RecommendationService/ListRecommendations", "recommendation", Read, &[CaseOfficer, SteeringCommittee]),
    rule("RecommendationService/ReportRecommendationProgress", "recommendation", Write, &[CaseOfficer]),
    rule("RecommendationService/CloseRecommendation", "recommendation", Write, &[CaseOfficer]),
    rule("RecommendationService/GetImplementationRate", "recommendation", Read, &[CaseOfficer, SteeringCommittee]),
    // Whistleblower reports, owned by the organisation that received them;
    // recorded and handled by case officers, read by the steering
    // committee. No report view holds the reporter's identity.
    rule("ReportService/CreateReport", "report", Write, &[CaseOfficer]),
    rule("ReportService/GetReport", "report", Read, &[CaseOfficer, SteeringCommittee]),
    rule("ReportService/ListReports", "report", Read, &[CaseOfficer, SteeringCommittee]),
    rule("ReportService/DecideReport", "report", Write, &[CaseOfficer]),
    rule("ReportService/LinkReportToCase", "report", Write, &[CaseOfficer]),
    rule("ReportService/PostReportMessage", "report message", Write, &[CaseOfficer]),
    rule("ReportService/ListReportMessages", "report message", Read, &[CaseOfficer]),
    // The protection of reporters: protection officers only (the admin
    // role does not grant theirs). Revealing an identity is a write: it
    // adds to the protection file and the audit log.
    rule("ProtectionService/RevealReporterIdentity", "reporter identity", Write, &[ProtectionOfficer]),
    rule("ProtectionService/CreateProtectionEntry", "protection file", Write, &[ProtectionOfficer]),
    rule("ProtectionService/GetProtectionFile", "protection file", Read, &[ProtectionOfficer]),
    rule("ProtectionService/RewrapIdentities", "reporter identity", WholeTree, &[Admin]),
    // A reporter following their report up with its receipt code: no token,
    // rate-limited per source address and per code.
    rule("ReceiptService/CheckReport", "report receipt", Open, &[]),
    rule("ReceiptService/SendReceiptMessage", "report receipt", Open, &[]),
    // Published statistics of an organisation's subtree.
    rule("StatisticsService/GetCaseStatistics", "case statistics", Read, &[CaseOfficer, SteeringCommittee]),
    rule("StatisticsService/GetReportStatistics", "report statistics", Read, &[CaseOfficer, SteeringCommittee]),
    rule("StatisticsService/GetRecommendationStatistics", "recommendation statistics", Read, &[CaseOfficer, SteeringCommittee]),
    // Disciplinary decisions, recorded by the inspection commissions'
    // staff; read by whoever may read the member.
    rule("DisciplineService/CreateDisciplinaryDecision", "disciplinary decision", Write, &[CaseOfficer]),
    rule("DisciplineService/GetDisciplinaryDecision", "disciplinary decision", Read, &[Reader, CaseOfficer, SteeringCommittee]),
    rule("DisciplineService/ListDisciplinaryDecisions", "disciplinary decision", Read, &[Reader, CaseOfficer, SteeringCommittee]),
    // The service's background jobs.
    rule("JobService/ListJobs", "job", WholeTree, &[Admin]),
    rule("JobService/RetryJob", "job", WholeTree, &[Admin]),
    // The audit log spans every organisation.
    rule("AuditService/ListAuditEntries", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/VerifyAuditChain", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/GetAuditCheckpoint", "audit checkpoint", WholeTree, &[Auditor]),
];

/// The oversight service's policy.
pub static POLICY: ServicePolicy = ServicePolicy {
    package: "probity.oversight.v1",
    rules: RULES,
};
