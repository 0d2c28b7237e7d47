//! Who may call what: one table per service of (method → resource kind,
//! action, roles), enforced for every call before its handler runs, and the
//! scope check the handlers make on the owner organisation they resolve at
//! request time.
//!
//! The two halves:
//! - **The gateway** ([`crate::gateway`]) looks the method up in the
//!   server's [`Policy`]. A method without an entry is refused for everyone
//!   (deny by default); a caller without one of the entry's roles, or
//!   without the whole tree in scope where the entry asks for it
//!   ([`Access::WholeTree`]), is refused `PERMISSION_DENIED` before any data
//!   is read, so the refusal says nothing about the data.
//! - **The handler** resolves the organisation that owns what the request
//!   names (on today's tree) and calls [`crate::Call::authorize`]: outside
//!   the caller's scope is `NOT_FOUND`, exactly like a name that does not
//!   exist. [`crate::unary`] refuses to answer (`INTERNAL`) a call of an
//!   [`Access::Read`] or [`Access::Write`] method whose handler never asked,
//!   so a handler that forgets cannot leak.
//!
//! `docs/security.md` shows every service's table; a test renders the tables
//! and compares, so the document cannot drift from the code.

use std::collections::HashMap;

/// A role a token can carry (its `roles` claim holds [`Role::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Reads the records of the organisations in the token's scope.
    Reader,
    /// Reads, and changes the records of the organisations in scope
    /// (members, books, plans, classes, attendance, reports).
    Writer,
    /// Decides annual grades: the competent committee (cấp ủy có thẩm
    /// quyền). Does not propose; the one who proposed a grade may not decide
    /// it. Also a reader: it reads the members it grades (and oversight
    /// reads them for it when it asks for their disciplinary decisions).
    ReviewCommittee,
    /// Controls asset declarations (the receiving and verifying unit):
    /// returns, hands over and publishes declarations, draws and concludes
    /// verifications.
    DeclarationControl,
    /// Keeps the province's register of documents that plans cite.
    DocumentRegistrar,
    /// Records and follows the cases of corruption and negative conduct of
    /// the organisations in scope (the Internal Affairs Committee, the
    /// steering committee's staff, the handling agencies' systems); also a
    /// reader, since a case names members, whom oversight looks up in
    /// members for the officer. Cases name the people they are about, so a
    /// reader or writer of member records does not see them.
    CaseOfficer,
    /// The Standing Committee and the steering committee on
    /// anti-corruption, through their staff: designate cases for
    /// monitoring, direct and urge the agencies handling them, and read the
    /// cases in scope (also a reader, for the members oversight looks up).
    SteeringCommittee,
    /// Keeps the protection of whistleblowers (the custodian): reveals a
    /// named reporter's identity with a stated reason (every reveal
    /// audited and shown in the reporter's protection file) and records
    /// protection requests, measures and retaliation complaints. Not
    /// granted by any other role, the admin's included: who runs the
    /// system does not read who reported.
    ProtectionOfficer,
    /// Reads and verifies the audit log (whole-tree scope only).
    Auditor,
    /// Every role, and the province-wide set-up: root organisations, dated
    /// rules.
    Admin,
}

impl Role {
    /// Every role, in the order `docs/security.md` lists them.
    pub const ALL: [Role; 10] = [
        Role::Reader,
        Role::Writer,
        Role::ReviewCommittee,
        Role::DeclarationControl,
        Role::DocumentRegistrar,
        Role::CaseOfficer,
        Role::SteeringCommittee,
        Role::ProtectionOfficer,
        Role::Auditor,
        Role::Admin,
    ];

    /// The role's name in a token.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::ReviewCommittee => "review-committee",
            Role::DeclarationControl => "declaration-control",
            Role::DocumentRegistrar => "document-registrar",
            Role::CaseOfficer => "case-officer",
            Role::SteeringCommittee => "steering-committee",
            Role::ProtectionOfficer => "protection-officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` in a token, if there is one.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// True when holding `self` allows what `needed` allows: each role
    /// grants itself; a writer, the review committee, a case officer, the
    /// steering committee and the protection officer are also readers (the committee reads the
    /// member it grades, and oversight reads the member for it); an admin
    /// is everyone but the protection officer.
    pub fn grants(self, needed: Role) -> bool {
        self == needed
            || (self == Role::Admin && needed != Role::ProtectionOfficer)
            || (matches!(
                self,
                Role::Writer
                    | Role::ReviewCommittee
                    | Role::CaseOfficer
                    | Role::SteeringCommittee
                    | Role::ProtectionOfficer
            ) && needed == Role::Reader)
    }
}

/// What a method does with the records it names, which decides how its scope
/// is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads records of an organisation: the handler authorizes the owner
    /// (out of scope: `NOT_FOUND`) or filters a list to the caller's scope.
    Read,
    /// Changes records of an organisation: as [`Access::Read`]; a record the
    /// caller may read but not change (a cell and its province's plan) is
    /// `PERMISSION_DENIED`.
    Write,
    /// Reads or changes something of the whole province (the audit log,
    /// dated rules, the document register, root organisations): needs a
    /// token whose scope is the whole tree, checked by the gateway.
    WholeTree,
    /// Reads something every caller with a role may see and that belongs to
    /// no organisation (the rules in force, the documents register).
    Shared,
    /// Needs no token: serves a person without an account who proves a
    /// secret carried in the request (a whistleblower's receipt code),
    /// which the handler checks. The gateway rate-limits these calls per
    /// source address (the [`crate::admission::MethodClass::Open`] class)
    /// and never records who the caller is.
    Open,
}

impl Access {
    /// The word `docs/security.md` uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::WholeTree => "whole tree",
            Access::Shared => "shared",
            Access::Open => "open (no token)",
        }
    }

    /// True when the handler must call [`crate::Call::authorize`] (or mark
    /// a list as filtered) before it answers.
    pub const fn needs_owner(self) -> bool {
        matches!(self, Access::Read | Access::Write)
    }
}

/// One entry of a service's policy: a method, what it touches and who may.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The method within its package, `Service/Method`.
    pub method: &'static str,
    /// The kind of resource it touches (for the document), e.g. `member`.
    pub resource: &'static str,
    /// How its scope is checked.
    pub access: Access,
    /// The roles any one of which allows the call.
    pub roles: &'static [Role],
}

/// A rule; for the tables.
pub const fn rule(
    method: &'static str,
    resource: &'static str,
    access: Access,
    roles: &'static [Role],
) -> Rule {
    Rule {
        method,
        resource,
        access,
        roles,
    }
}

/// The policy of one service package: every method of `package` has a rule.
#[derive(Clone, Copy, Debug)]
pub struct ServicePolicy {
    /// The protobuf package, e.g. `probity.members.v1`.
    pub package: &'static str,
    /// One rule per method.
    pub rules: &'static [Rule],
}

impl ServicePolicy {
    /// The full gRPC path of a rule's method, `/package.Service/Method`.
    pub fn path(&self, rule: &Rule) -> String {
        format!("/{}.{}", self.package, rule.method)
    }

    /// The policy as the Markdown table `docs/security.md` holds.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "| method (`{}`) | resource | access | roles |\n| --- | --- | --- | --- |\n",
            self.package
        );
        for r in self.rules {
            let roles: Vec<String> = r
                .roles
                .iter()
                .map(|x| format!("`{}`", x.as_str()))
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                r.method,
                r.resource,
                r.access.as_str(),
                roles.join(", ")
            ));
        }
        out
    }
}

/// Every rule of a server, by full method path.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    rules: HashMap<String, Rule>,
}

impl Policy {
    /// Adds a service package's rules.
    pub fn add(&mut self, service: &ServicePolicy) {
        for rule in service.rules {
            self.rules.insert(service.path(rule), *rule);
        }
    }

    /// The rule of a full method path, if there is one.
    pub fn get(&self, path: &str) -> Option<&Rule> {
        self.rules.get(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_holds_every_role_but_the_protection_officers() {
        for role in Role::ALL {
            assert_eq!(
                Role::Admin.grants(role),
                role != Role::ProtectionOfficer,
                "{role:?}"
            );
        }
    }

    #[test]
    fn a_writer_is_also_a_reader_and_nothing_else() {
        let granted: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| Role::Writer.grants(*r))
            .collect();
        assert_eq!(granted, [Role::Reader, Role::Writer]);
    }

    #[test]
    fn a_reader_grants_only_reading() {
        let granted: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| Role::Reader.grants(*r))
            .collect();
        assert_eq!(granted, [Role::Reader]);
    }

    #[test]
    fn the_committee_and_control_roles_do_not_write_records() {
        for role in [
            Role::DeclarationControl,
            Role::DocumentRegistrar,
            Role::Auditor,
        ] {
            assert!(!role.grants(Role::Writer), "{role:?}");
            assert!(!role.grants(Role::Reader), "{role:?}");
        }
        assert!(!Role::ReviewCommittee.grants(Role::Writer));
    }

    #[test]
    fn a_case_officer_reads_member_records_and_writes_none() {
        assert!(Role::CaseOfficer.grants(Role::Reader));
        assert!(!Role::CaseOfficer.grants(Role::Writer));
        assert!(!Role::Reader.grants(Role::CaseOfficer));
        assert!(!Role::Writer.grants(Role::CaseOfficer));
    }

    #[test]
    fn the_steering_committee_reads_and_records_no_case() {
        assert!(Role::SteeringCommittee.grants(Role::Reader));
        assert!(!Role::SteeringCommittee.grants(Role::CaseOfficer));
        assert!(!Role::CaseOfficer.grants(Role::SteeringCommittee));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn rules_are_found_by_full_path() {
        static RULES: [Rule; 1] = [rule(
            "MemberService/GetMember",
            "member",
            Access::Read,
            &[Role::Reader],
        )];
        let mut policy = Policy::default();
        policy.add(&ServicePolicy {
            package: "probity.members.v1",
            rules: &RULES,
        });
        assert!(
            policy
                .get("/probity.members.v1.MemberService/GetMember")
                .is_some()
        );
        assert!(
            policy
                .get("/probity.members.v1.MemberService/DeleteMember")
                .is_none()
        );
    }
}
