//! Who may call each method of `probity.members.v1`: the service's rows of
//! the one permission model (`docs/security.md`). The gateway admits a call
//! by its method's rule; the handler then checks the caller's scope on the
//! owner organisation's current lineage.

use probity_platform::policy::{
    Access::{Read, Shared, WholeTree, Write},
    Role::{Admin, Auditor, DeclarationControl, Reader, ReviewCommittee, Writer},
    Rule, ServicePolicy, rule,
};

/// Readers and the declaration-control unit: who may read declarations.
const DECLARATION_READERS: &[probity_platform::policy::Role] = &[Reader, DeclarationControl];
/// Readers and the committee: who may read reviews.
const REVIEW_READERS: &[probity_platform::policy::Role] = &[Reader, ReviewCommittee];

#[rustfmt::skip]
const RULES: &[Rule] = &[
    // The organisation tree. A root needs an admin over the whole tree
    // (checked by the handler: a parent-less create).
    rule("OrganizationService/CreateOrganization", "organisation", Write, &[Writer]),
    rule("OrganizationService/GetOrganization", "organisation", Read, &[Reader]),
    rule("OrganizationService/ListOrganizations", "organisation", Read, &[Reader]),
    rule("OrganizationService/UpdateOrganization", "organisation", Write, &[Writer]),
    rule("OrganizationService/MoveOrganization", "organisation", Write, &[Writer]),
    rule("OrganizationService/MergeOrganizations", "organisation", Write, &[Writer]),
    // Members, owned by their current organisation.
    rule("MemberService/CreateMember", "member", Write, &[Writer]),
    rule("MemberService/BatchCreateMembers", "member", Write, &[Writer]),
    rule("MemberService/GetMember", "member", Read, &[Reader]),
    rule("MemberService/ListMembers", "member", Read, &[Reader]),
    rule("MemberService/UpdateMember", "member", Write, &[Writer]),
    rule("MemberService/RecordMemberEvent", "member", Write, &[Writer]),
    rule("MemberService/ListMemberEvents", "member", Read, &[Reader]),
    rule("MemberService/StreamRoster", "member", Read, &[Reader]),
    // Self-improvement books, owned by the member's organisation.
    rule("BookService/CreateBookEntry", "book entry", Write, &[Writer]),
    rule("BookService/GetBookEntry", "book entry", Read, &[Reader]),
    rule("BookService/UpdateBookEntry", "book entry", Write, &[Writer]),
    rule("BookService/SubmitBookEntry", "book entry", Write, &[Writer]),
    rule("BookService/CorrectBookEntry", "book entry", Write, &[Writer]),
    rule("BookService/AddEntryComment", "book entry", Write, &[Writer]),
    rule("BookService/SetActionItemStatus", "book entry", Write, &[Writer]),
    rule("BookService/RecordCommitmentResult", "book entry", Write, &[Writer]),
    rule("BookService/GetBook", "book", Read, &[Reader]),
    rule("BookService/ListRegister", "book", Read, &[Reader]),
    rule("BookService/ListPendingCommitments", "book", Read, &[Reader]),
    rule("BookService/ListHeadsMissingCommitment", "book", Read, &[Reader]),
    // Asset declarations: the unit records; the control role receives,
    // returns, hands over, publishes and verifies.
    rule("DeclarationService/CreateObligationList", "obligation list", Write, &[Writer]),
    rule("DeclarationService/GetObligationList", "obligation list", Read, DECLARATION_READERS),
    rule("DeclarationService/ApproveObligationList", "obligation list", Write, &[Writer]),
    rule("DeclarationService/SubmitDeclaration", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/GetDeclaration", "declaration", Read, DECLARATION_READERS),
    rule("DeclarationService/ListDeclarations", "declaration", Read, DECLARATION_READERS),
    rule("DeclarationService/ReturnDeclaration", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/ResubmitDeclaration", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/HandOverDeclaration", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/PublishDeclaration", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/GetAssetChange", "declaration", Read, &[DeclarationControl]),
    rule("DeclarationService/ListAssetChangeFlags", "declaration", Read, &[DeclarationControl]),
    rule("DeclarationService/DrawVerification", "verification draw", Write, &[DeclarationControl]),
    rule("DeclarationService/GetVerificationDraw", "verification draw", Read, DECLARATION_READERS),
    rule("DeclarationService/RecordVerificationConclusion", "declaration", Write, &[DeclarationControl]),
    rule("DeclarationService/ListDeclarationRules", "declaration rule", Shared, DECLARATION_READERS),
    // The catalogue of the 27 manifestations (shared), and how often books
    // record them, by organisation.
    rule("ManifestationService/ListManifestations", "manifestation catalogue", Shared, &[Reader]),
    rule("ManifestationService/GetManifestationStatistics", "book entry", Read, &[Reader]),
    // Annual review: the cell proposes, the committee decides.
    rule("ReviewService/SubmitSelfAssessment", "review", Write, &[Writer]),
    rule("ReviewService/ProposeGrade", "review", Write, &[Writer]),
    rule("ReviewService/DecideGrade", "review", Write, &[ReviewCommittee]),
    rule("ReviewService/GetReview", "review", Read, REVIEW_READERS),
    rule("ReviewService/ListReviews", "review", Read, REVIEW_READERS),
    rule("ReviewService/GetReviewEvidence", "review", Read, REVIEW_READERS),
    rule("ReviewService/GetReviewStatistics", "review", Read, REVIEW_READERS),
    rule("ReviewService/ListReviewRules", "review rule", Shared, REVIEW_READERS),
    rule("ReviewService/CreateReviewRule", "review rule", WholeTree, &[Admin]),
    // The audit log spans every organisation.
    rule("AuditService/ListAuditEntries", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/VerifyAuditChain", "audit entry", WholeTree, &[Auditor]),
    rule("AuditService/GetAuditCheckpoint", "audit checkpoint", WholeTree, &[Auditor]),
];

/// The members service's policy.
pub static POLICY: ServicePolicy = ServicePolicy {
    package: "probity.members.v1",
    rules: RULES,
};
