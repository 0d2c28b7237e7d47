//! The shape every service keeps (`docs/architecture.md`, "Where code
//! goes"), checked on the source itself so that a change that breaks it
//! fails here rather than in review:
//! - every service has the same top-level modules: `grpc`, `rules`,
//!   `store`, `peers`, `error.rs`, `policy.rs`, `lib.rs`;
//! - no file in `services/` (source or test) is over 600 lines;
//! - `rules` use neither sqlx nor tonic;
//! - no import cycle between a service's modules;
//! - error reasons come from the contract's enums, not string literals;
//! - rows are read into `FromRow` structs, not column by column;
//! - nothing reads the time of day but the platform's clock.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The modules every service has at the top of `src/`.
const SHAPE: [&str; 7] = [
    "error.rs",
    "grpc",
    "lib.rs",
    "peers",
    "policy.rs",
    "rules",
    "store",
];

/// Longest source file in `services/`.
const MAX_LINES: usize = 600;

fn services() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("services/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("src/lib.rs").exists())
        .collect();
    out.sort();
    assert!(out.len() >= 2, "members and study at least: {out:?}");
    out
}

/// Every `.rs` file below `dir`, with its module path (`grpc::books`;
/// `lib.rs` is the crate root, ``).
fn sources(dir: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                let mut p = prefix.to_vec();
                if !matches!(stem, "mod" | "lib") {
                    p.push(stem.to_string());
                }
                let text = std::fs::read_to_string(&path).expect("read source");
                out.insert(p.join("::"), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &[], &mut out);
    out
}

/// The code of a source file without its tests (at the end, after
/// `#[cfg(test)]`) and without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_service_has_the_same_top_level_modules() {
    for service in services() {
        let mut found: Vec<String> = std::fs::read_dir(service.join("src"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        found.sort();
        assert_eq!(found, SHAPE, "{}", service.display());
    }
}

#[test]
fn no_file_of_a_service_is_over_600_lines() {
    let mut long = Vec::new();
    for service in services() {
        for dir in ["src", "tests"] {
            for (module, text) in sources(&service.join(dir)) {
                let lines = text.lines().count();
                if lines > MAX_LINES {
                    long.push(format!(
                        "{}/{dir}: {module} ({lines} lines)",
                        service.display()
                    ));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "split these by resource and layer: {long:#?}"
    );
}

#[test]
fn rules_use_neither_the_database_nor_the_transport() {
    for service in services() {
        for (module, text) in sources(&service.join("src")) {
            if !module.starts_with("rules") {
                continue;
            }
            let code = code(&text);
            for word in ["sqlx", "tonic::", "AnyConnection", "Database"] {
                assert!(
                    !code.contains(word),
                    "{}: {module} uses {word}; rules are pure",
                    service.display()
                );
            }
        }
    }
}

/// The paths of a `use` tree, expanded: `a::{b, c::{d, e}}` gives `a::b`,
/// `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![
            tree.split(" as ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        ];
    };
    let prefix = tree[..open].trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

/// Every path a module's code names: its `use` trees expanded, and the
/// `crate::…` and `super::…` paths written inline.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        rest = &rest[at + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest.find(';').unwrap_or(rest.len());
        out.extend(expand(&rest[..end]));
        rest = &rest[end..];
    }
    for head in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(at) = rest.find(head) {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            out.push(tail[..end].trim_end_matches(':').to_string());
            rest = &rest[at + head.len()..];
        }
    }
    out
}

/// The module of `modules` a path from `from` names: `crate::` is the root,
/// `super::` the parent; the longest known module prefix wins.
fn target(path: &str, from: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segments: Vec<&str> = if let Some(rest) = path.strip_prefix("crate::") {
        rest.split("::").collect()
    } else if path.starts_with("super::") {
        let mut base: Vec<&str> = from.split("::").filter(|s| !s.is_empty()).collect();
        let mut rest = path;
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        base.extend(rest.split("::"));
        base
    } else {
        return None;
    };
    while !segments.is_empty() {
        let candidate = segments.join("::");
        if modules.contains(&candidate) {
            return Some(candidate);
        }
        segments.pop();
    }
    None
}

#[test]
fn no_import_cycle_between_a_services_modules() {
    for service in services() {
        let sources = sources(&service.join("src"));
        let modules: BTreeSet<String> = sources.keys().cloned().collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, text) in &sources {
            for path in paths(&code(text)) {
                if let Some(to) = target(&path, module, &modules)
                    && to != *module
                    && !to.is_empty()
                {
                    edges.entry(module.clone()).or_default().insert(to);
                }
            }
        }
        // Depth-first search; a module met again on the current path closes
        // a cycle.
        fn visit(
            at: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(i) = path.iter().position(|m| m == at) {
                let mut cycle = path[i..].to_vec();
                cycle.push(at.to_string());
                return Some(cycle);
            }
            if done.contains(at) {
                return None;
            }
            path.push(at.to_string());
            for next in edges.get(at).into_iter().flatten() {
                if let Some(cycle) = visit(next, edges, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            done.insert(at.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for module in &modules {
            if let Some(cycle) = visit(module, &edges, &mut Vec::new(), &mut done) {
                panic!("{}: import cycle {}", service.display(), cycle.join(" -> "));
            }
        }
        assert!(
            edges.values().map(BTreeSet::len).sum::<usize>() > 10,
            "{}: the import graph was not read",
            service.display()
        );
    }
}

/// String literals of a module's code.
fn literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push(s);
        }
    }
    out
}

/// `UPPER_SNAKE` with at least one underscore: the form of a reason.
fn looks_like_a_reason(s: &str) -> bool {
    s.contains('_')
        && s.len() > 3
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_uppercase())
}

#[test]
fn error_reasons_come_from_the_contract() {
    for service in services() {
        for (module, text) in sources(&service.join("src")) {
            for literal in literals(&code(&text)) {
                assert!(
                    !looks_like_a_reason(&literal),
                    "{}: {module} writes {literal:?}; use the proto's ErrorReason",
                    service.display()
                );
            }
        }
    }
}

#[test]
fn rows_are_read_into_structs_and_time_from_the_clock() {
    for service in services() {
        for (module, text) in sources(&service.join("src")) {
            let code = code(&text);
            for word in [
                "try_get(",
                "now_utc(",
                "SystemTime::now",
                "dates::today",
                "dates::now_micros",
            ] {
                assert!(
                    !code.contains(word),
                    "{}: {module} uses {word}",
                    service.display()
                );
            }
        }
    }
}

#[test]
fn use_trees_expand_to_their_paths() {
    assert_eq!(
        expand("crate::{error::Result, rules::{books::Content, names::upper}}"),
        vec![
            "crate::error::Result",
            "crate::rules::books::Content",
            "crate::rules::names::upper"
        ]
    );
    assert_eq!(expand("super::{self, x}"), vec!["super", "super::x"]);
    let modules: BTreeSet<String> = ["grpc", "grpc::access", "rules", "rules::names"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        target("super::access::visible", "grpc::books", &modules).as_deref(),
        Some("grpc::access")
    );
    assert_eq!(
        target("crate::rules::names::org_name", "grpc::books", &modules).as_deref(),
        Some("rules::names")
    );
    assert!(looks_like_a_reason("NOT_A_HEAD"));
    assert!(!looks_like_a_reason("members.probity"));
}

/// A length or count compared with a bare number (`count() > 200`,
/// `len() > 50`) instead of a limit of `probity_platform::limits`.
fn bare_limits(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in ["count() > ", "len() > ", "count() >= ", "len() >= "] {
        for (i, _) in code.match_indices(pattern) {
            let rest = &code[i + pattern.len()..];
            if rest.starts_with(|c: char| c.is_ascii_digit()) && !rest.starts_with("0") {
                let end = rest
                    .find(|c: char| !c.is_ascii_digit() && c != '_')
                    .unwrap_or(rest.len());
                found.push(format!("{pattern}{}", &rest[..end]));
            }
        }
    }
    found
}

#[test]
fn field_limits_come_from_the_one_table() {
    let mut bare = Vec::new();
    for service in services() {
        for (module, text) in sources(&service.join("src")) {
            for hit in bare_limits(&code(&text)) {
                bare.push(format!("{}: {module}: {hit}", service.display()));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "lengths and counts compared with bare numbers (use probity_platform::limits): {bare:#?}"
    );
    assert_eq!(
        bare_limits("if x.len() > 50 {"),
        ["len() > 50"],
        "the check sees one"
    );
}
