//! The permission model covers every RPC: each method of every Probity
//! service in the descriptor set that reflection serves has exactly one
//! rule in its service's policy table, no rule names a method that does not
//! exist, and `docs/security.md` shows the tables as the code has them.
//!
//! A new RPC without a policy entry fails here (and is refused to every
//! caller by the gateway until it has one).

use std::collections::BTreeSet;

use probity_platform::policy::ServicePolicy;
use prost::Message;

/// Every service package's policy.
fn policies() -> [&'static ServicePolicy; 4] {
    [
        &probity_members::policy::POLICY,
        &probity_study::policy::POLICY,
        &probity_oversight::policy::POLICY,
        &probity_reports::policy::POLICY,
    ]
}

/// Every `/package.Service/Method` of the `probity.*` packages.
fn methods_in_contract() -> BTreeSet<String> {
    let set = prost_types::FileDescriptorSet::decode(probity_proto::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut out = BTreeSet::new();
    for file in set.file {
        let package = file.package().to_string();
        if !package.starts_with("probity.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                out.insert(format!("/{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    out
}

fn methods_in_policies() -> Vec<String> {
    policies()
        .iter()
        .flat_map(|p| p.rules.iter().map(|r| p.path(r)))
        .collect()
}

#[test]
fn every_rpc_of_every_service_has_a_policy_rule() {
    let ruled: BTreeSet<String> = methods_in_policies().into_iter().collect();
    let missing: Vec<String> = methods_in_contract()
        .into_iter()
        .filter(|m| !ruled.contains(m))
        .collect();
    assert!(
        missing.is_empty(),
        "methods without a rule in services/<svc>/src/policy.rs: {missing:#?}"
    );
}

#[test]
fn every_policy_rule_names_a_method_of_the_contract() {
    let contract = methods_in_contract();
    let stale: Vec<String> = methods_in_policies()
        .into_iter()
        .filter(|m| !contract.contains(m))
        .collect();
    assert!(stale.is_empty(), "rules for no method: {stale:#?}");
}

#[test]
fn no_method_has_two_rules() {
    let all = methods_in_policies();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "a method is ruled twice");
}

#[test]
fn every_rule_needs_at_least_one_role() {
    for policy in policies() {
        for rule in policy.rules {
            // A method open without a token names no role: it serves
            // people without an account, who prove a secret instead.
            let open = rule.access == probity_platform::policy::Access::Open;
            assert!(
                open == rule.roles.is_empty(),
                "{}: a role-less rule must be open, an open one role-less",
                rule.method
            );
        }
    }
}

#[test]
fn docs_security_md_shows_the_policy_tables_as_the_code_has_them() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/security.md");
    if let Ok(out) = std::env::var("PROBITY_PRINT_POLICY_TABLES") {
        let mut tables: Vec<String> = policies().iter().map(|p| p.to_markdown()).collect();
        tables.push(probity_platform::limits::to_markdown());
        std::fs::write(out, tables.join("\n")).expect("write tables");
    }
    let doc = std::fs::read_to_string(&path).expect("docs/security.md");
    for policy in policies() {
        let table = policy.to_markdown();
        assert!(
            doc.contains(&table),
            "docs/security.md lacks the table of {} as the code has it:\n\n{table}",
            policy.package
        );
    }
}

#[test]
fn docs_security_md_shows_the_field_limits_as_the_code_has_them() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/security.md");
    let doc = std::fs::read_to_string(&path).expect("docs/security.md");
    let table = probity_platform::limits::to_markdown();
    assert!(
        doc.contains(&table),
        "docs/security.md lacks the field limits as the code has them:\n\n{table}"
    );
}
