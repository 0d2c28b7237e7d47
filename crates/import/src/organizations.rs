//! The organisations sheet: its columns, each row as a create request, the
//! order to create them in (a parent before its children), and which rows a
//! re-run skips because the organisation is already recorded. Pure.

use std::collections::{HashMap, HashSet};

use probity_platform::text::tidy;
use probity_proto::probity::members::v1::{
    CreateOrganizationRequest, Organization, OrganizationKind,
};

use crate::columns::{Column, Columns, choice, date};
use crate::report::RowError;
use crate::table::{Row, Table};

/// The columns of an organisations sheet.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "code",
        aliases: &["ma to chuc", "ma"],
        required: true,
        field: "organization.code",
    },
    Column {
        key: "display_name",
        aliases: &["ten to chuc", "ten", "name"],
        required: true,
        field: "organization.display_name",
    },
    Column {
        key: "kind",
        aliases: &["cap", "loai", "level"],
        required: true,
        field: "organization.kind",
    },
    Column {
        key: "parent_code",
        aliases: &["ma cap tren", "ma to chuc cap tren", "parent"],
        required: true,
        field: "organization.parent",
    },
    Column {
        key: "valid_from",
        aliases: &["ngay thanh lap", "established"],
        required: true,
        field: "organization.valid_from",
    },
];

const KINDS: &[(&[&str], OrganizationKind)] = &[
    (
        &["province", "dang bo tinh", "tinh"],
        OrganizationKind::Province,
    ),
    (
        &["district", "dang bo huyen", "huyen"],
        OrganizationKind::District,
    ),
    (
        &["direct committee", "dang bo truc thuoc", "truc thuoc"],
        OrganizationKind::DirectCommittee,
    ),
    (
        &["grassroots", "co so", "to chuc co so dang"],
        OrganizationKind::Grassroots,
    ),
    (
        &["partial", "dang bo bo phan", "bo phan"],
        OrganizationKind::Partial,
    ),
    (&["cell", "chi bo"], OrganizationKind::Cell),
];

/// A row read as a create request.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationRow {
    /// The row's number in the sheet.
    pub line: usize,
    /// The parent's code (empty for a root).
    pub parent_code: String,
    /// The request; `organization.parent` is filled in once the parent's
    /// code is resolved.
    pub request: CreateOrganizationRequest,
}

impl OrganizationRow {
    fn organization(&self) -> &Organization {
        self.request
            .organization
            .as_ref()
            .expect("parsed rows have an organisation")
    }

    /// The code the row creates.
    pub fn code(&self) -> &str {
        &self.organization().code
    }
}

/// Reads every row of `table`; rows that cannot be read are errors.
pub fn parse(table: &Table, columns: &Columns) -> (Vec<OrganizationRow>, Vec<RowError>) {
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    for row in &table.rows {
        match parse_row(row, columns) {
            Ok(r) => rows.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    (rows, errors)
}

fn parse_row(row: &Row, columns: &Columns) -> Result<OrganizationRow, Vec<RowError>> {
    let cell = |key: &'static str| columns.cell(row, key);
    let mut errors = Vec::new();
    for key in ["code", "display_name"] {
        if cell(key).is_empty() {
            errors.push(columns.error(row, key, "required"));
        }
    }
    let kind = choice(cell("kind"), KINDS, "level")
        .map_err(|reason| errors.push(columns.error(row, "kind", reason)))
        .ok();
    let valid_from = date(cell("valid_from"))
        .map_err(|reason| errors.push(columns.error(row, "valid_from", reason)))
        .ok();
    let (Some(kind), Some(valid_from), true) = (kind, valid_from, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(OrganizationRow {
        line: row.line,
        parent_code: cell("parent_code").to_string(),
        request: CreateOrganizationRequest {
            organization: Some(Organization {
                code: cell("code").to_string(),
                display_name: cell("display_name").to_string(),
                kind: kind as i32,
                valid_from: Some(valid_from),
                ..Default::default()
            }),
            request_id: String::new(),
        },
    })
}

/// What a run does with the rows: those to create, in an order where each
/// parent comes before its children; how many are already recorded; the
/// rows refused.
#[derive(Debug, Default)]
pub struct Plan {
    /// Rows to create, parents first.
    pub send: Vec<OrganizationRow>,
    /// Rows already recorded with the same name, level and parent.
    pub skipped: usize,
    /// Rows refused before sending.
    pub errors: Vec<RowError>,
}

/// Orders and splits `rows` by `recorded` (the organisations the caller
/// can see, by code, with their parent's code: `None` when the parent is
/// not one the caller may see, and then not compared).
pub fn plan(
    rows: Vec<OrganizationRow>,
    recorded: &HashMap<String, (Organization, Option<String>)>,
    columns: &Columns,
) -> Plan {
    let mut plan = Plan::default();
    let mut pending = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let code = row.code().to_string();
        if let Some(first) = seen.insert(code.clone(), row.line) {
            plan.errors.push(RowError {
                line: row.line,
                column: columns.heading("code"),
                reason: format!("row {first} has the same code"),
            });
            continue;
        }
        match recorded.get(&code) {
            None => pending.push(row),
            Some((org, parent)) => {
                let wanted = row.organization();
                let mut differs = Vec::new();
                if tidy(&org.display_name) != tidy(&wanted.display_name) {
                    differs.push("name");
                }
                if org.kind != wanted.kind {
                    differs.push("level");
                }
                if parent.as_ref().is_some_and(|p| *p != row.parent_code) {
                    differs.push("parent");
                }
                if differs.is_empty() {
                    plan.skipped += 1;
                } else {
                    plan.errors.push(RowError {
                        line: row.line,
                        column: columns.heading("code"),
                        reason: format!(
                            "code {code} is already {} with another {}",
                            org.name,
                            differs.join(" and ")
                        ),
                    });
                }
            }
        }
    }
    // Parents first: take, pass after pass, the rows whose parent is
    // recorded or already taken; what is left has no parent to go under.
    let mut placed: HashSet<String> = recorded.keys().cloned().collect();
    loop {
        let (ready, waiting): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|r| r.parent_code.is_empty() || placed.contains(&r.parent_code));
        if ready.is_empty() {
            pending = waiting;
            break;
        }
        placed.extend(ready.iter().map(|r| r.code().to_string()));
        plan.send.extend(ready);
        pending = waiting;
    }
    for row in pending {
        plan.errors.push(RowError {
            line: row.line,
            column: columns.heading("parent_code"),
            reason: format!(
                "no organisation with code {:?} is recorded (that you may see) or imported by this file",
                row.parent_code
            ),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&str]) -> (Vec<OrganizationRow>, Vec<RowError>, Columns) {
        let mut text = String::from("code,display_name,kind,parent_code,valid_from\n");
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        let t = crate::table::read_csv(text.as_bytes()).unwrap();
        let columns = Columns::find(&t, COLUMNS).unwrap();
        let (rows, errors) = parse(&t, &columns);
        (rows, errors, columns)
    }

    #[test]
    fn children_listed_before_their_parent_are_created_after_it() {
        let (rows, errors, columns) = rows(&[
            "CB-1,Chi bộ 1,chi bộ,CS-1,01/01/2000",
            "CS-1,Đảng bộ xã A,cơ sở,HU,01/01/2000",
            "CB-2,Chi bộ 2,cell,NOWHERE,01/01/2000",
            "CS-2,Đảng bộ xã B,tỉnh?,HU,01/01/2000",
        ]);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (5, "kind"));
        let hu = Organization {
            name: "organizations/hu".into(),
            code: "HU".into(),
            ..Default::default()
        };
        let recorded = HashMap::from([("HU".to_string(), (hu, Some("TU".to_string())))]);
        let plan = plan(rows, &recorded, &columns);
        let order: Vec<&str> = plan.send.iter().map(|r| r.code()).collect();
        assert_eq!(order, ["CS-1", "CB-1"]);
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(plan.errors[0].line, 4);
        assert!(plan.errors[0].reason.contains("NOWHERE"));
    }

    #[test]
    fn a_recorded_code_is_skipped_when_it_matches_and_refused_when_not() {
        let (rows, _, columns) = rows(&[
            "HU,Đảng bộ huyện  Trảng Bàng,district,TU,01/01/2000",
            "HX,Đảng bộ huyện X,district,TU,01/01/2000",
        ]);
        let org = |name: &str, display: &str| Organization {
            name: name.into(),
            display_name: display.into(),
            kind: OrganizationKind::District as i32,
            ..Default::default()
        };
        let recorded = HashMap::from([
            (
                "HU".to_string(),
                (
                    org("organizations/hu", "Đảng bộ huyện Trảng Bàng"),
                    Some("TU".into()),
                ),
            ),
            (
                "HX".to_string(),
                (org("organizations/hx", "Đảng bộ huyện Y"), None),
            ),
        ]);
        let plan = plan(rows, &recorded, &columns);
        assert_eq!(plan.skipped, 1);
        assert!(plan.send.is_empty());
        assert!(
            plan.errors[0].reason.contains("another name"),
            "{:?}",
            plan.errors
        );
    }
}
