//! The stage limits in force: the versions shipped in the data file and
//! any recorded in the service's dated rules (family
//! [`crate::rules::limits::FAMILY`]).

use probity_platform::dated_rules::{self, RuleBook};
use sqlx::AnyConnection;

use crate::{error::Result, rules::limits};

/// Every version of every stage's limit.
pub async fn book(conn: &mut AnyConnection) -> Result<RuleBook> {
    let mut rules = limits::shipped().to_vec();
    let recorded = dated_rules::book(conn, limits::FAMILY).await?;
    for rule in recorded.0 {
        if !rules
            .iter()
            .any(|r| r.kind == rule.kind && r.valid_from == rule.valid_from)
        {
            rules.push(rule);
        }
    }
    rules.sort_by(|a, b| (a.kind, &a.valid_from).cmp(&(b.kind, &b.valid_from)));
    Ok(RuleBook(rules))
}
