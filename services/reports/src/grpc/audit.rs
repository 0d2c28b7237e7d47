//! `probity.reports.v1.AuditService`: this service's audit log, the same
//! methods every service has (made by `platform::audit_service!`).

probity_platform::audit_service!(probity_proto::probity::reports::v1, crate::error::Error);
