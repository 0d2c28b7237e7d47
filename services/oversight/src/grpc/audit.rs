//! `probity.oversight.v1.AuditService`: this service's audit log, the same
//! two methods every service has (made by `platform::audit_service!`).

probity_platform::audit_service!(probity_proto::probity::oversight::v1, crate::error::Error);
