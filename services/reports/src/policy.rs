//! Who may call each method of `probity.reports.v1`: the service's rows
//! of the one permission model (`docs/security.md`). The gateway admits a
//! call by its method's rule; the handler then checks the caller's scope on
//! the report's organisation on today's tree, as members reports it. The
//! figures themselves are read from the other services on behalf of the
//! caller, so their own policies apply too.

use probity_platform::policy::{
    Access::{Read, Shared, WholeTree, Write},
    Role::{Auditor, Reader, SteeringCommittee},
    Rule, ServicePolicy, rule,
};

#[rustfmt::skip]
const RULES: &[Rule] = &[
    rule("ReportDefinitionService/ListReportDefinitions", "report definition", Shared, &[Reader]),
    // Issuing and checking a report read oversight's statistics, which
    // the steering committee (the Standing Committee's staff) may read.
    rule("PeriodReportService/IssueReport", "period report", Write, &[SteeringCommittee]),
    rule("PeriodReportService/VerifyReport", "period report", Read, &[SteeringCommittee]),
    // An issued report publishes aggregates (small counts suppressed).
    rule("PeriodReportService/GetReport", "period report", Read, &[Reader]),
    rule("PeriodReportService/ListReports", "period report", Read, &[Reader]),
    rule("PeriodReportService/RenderReport", "period report", Read, &[Reader]),
    // The check reads oversight's decisions and cases beside the rosters.
    rule("ConsistencyService/CheckConsistency", "consistency check", Read, &[SteeringCommittee]),
    // Submitting is the issuer's act; the committee above reads what its
    // units submitted, and the aggregate beside its own figures (which
    // reads oversight's statistics, as issuing does).
    rule("SubmissionService/SubmitReport", "submission", Write, &[SteeringCommittee]),
    rule("SubmissionService/ListSubmissions", "submission", Read, &[Reader]),
    rule("SubmissionService/GetSubmissionAggregate", "submission", Read, &[SteeringCommittee]),
    rule("AuditService/ListAuditEntries", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/VerifyAuditChain", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/GetAuditCheckpoint", "audit checkpoint", WholeTree, &[Auditor]),
];

/// The reports service's policy.
pub static POLICY: ServicePolicy = ServicePolicy {
    package: "probity.reports.v1",
    rules: RULES,
};
