//! `probity.study.v1.PlanService`, the progress part: the figures of a
//! plan rolled up its organisation tree, the members still to attend, and
//! the warnings.
//!
//! Everything here reads study's own tables (the roster snapshot included),
//! so it keeps working while members is down. A member is counted once, in
//! the organisation they belonged to on the reference date: sums up the
//! tree are then sums of distinct members.

use std::collections::{HashMap, HashSet};

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{parse_name, path_upper},
};
use probity_proto::probity::study::v1::{
    GetPlanProgressRequest, ListPlanAbsenteesRequest, ListPlanAbsenteesResponse,
    ListPlanWarningsRequest, ListPlanWarningsResponse, OrganizationProgress, PlanProgress,
    PlanWarning, ProgressBreakdown, Rate, ReportCondition, RosterMember, WarningKind,
};
use sqlx::{AnyConnection, Row};

use crate::{
    error::Result,
    plan_record::{self, PlanRecord},
};

/// `numerator / denominator` as a percentage rounded half-up to two
/// decimals, in exact integer arithmetic: 32,560 / 32,986 → `98.71`.
pub fn percent(numerator: i64, denominator: i64) -> String {
    if denominator <= 0 {
        return String::new();
    }
    // Hundredths of a percent, rounded half-up: floor((n * 10^4 * 2 + d) / (2d)).
    let scaled =
        (i128::from(numerator) * 20_000 + i128::from(denominator)) / (2 * i128::from(denominator));
    format!("{}.{:02}", scaled / 100, scaled % 100)
}

fn rate(numerator: i64, denominator: i64) -> Rate {
    Rate {
        numerator,
        denominator,
        percent: percent(numerator, denominator),
    }
}

/// One organisation of the plan's tree, with its own figures and then its
/// subtree's.
#[derive(Debug, Clone, Default)]
struct Node {
    id: String,
    parent: Option<String>,
    path: String,
    depth: i64,
    name: String,
    eligible: i64,
    attended: i64,
    completed: i64,
    submitted: i64,
    late: i64,
    accepted: i64,
    classes: i64,
    make_up: i64,
    counted: i64,
    head_count: i64,
    anonymous_named: i64,
    identities: HashSet<String>,
    visits: i64,
}

impl Node {
    fn add(&mut self, o: &Node) {
        self.eligible += o.eligible;
        self.attended += o.attended;
        self.completed += o.completed;
        self.submitted += o.submitted;
        self.late += o.late;
        self.accepted += o.accepted;
        self.classes += o.classes;
        self.make_up += o.make_up;
        self.counted += o.counted;
        self.head_count += o.head_count;
        self.anonymous_named += o.anonymous_named;
        self.identities.extend(o.identities.iter().cloned());
        self.visits += o.visits;
    }

    fn wire(&self) -> OrganizationProgress {
        OrganizationProgress {
            organization: format!("organizations/{}", self.id),
            display_name: self.name.clone(),
            parent: self
                .parent
                .as_ref()
                .map(|p| format!("organizations/{p}"))
                .unwrap_or_default(),
            depth: self.depth as i32,
            classes_held: self.classes as i32,
            make_up_classes: self.make_up as i32,
            counted_classes: self.counted as i32,
            attendance: Some(rate(self.attended, self.eligible)),
            non_members: self.head_count + self.anonymous_named + self.identities.len() as i64,
            reports_submitted: self.submitted,
            reports_late: self.late,
            reports_accepted: self.accepted,
            completion: Some(rate(self.completed, self.eligible)),
            supervision_visits: self.visits as i32,
        }
    }
}

/// The plan's tree, in path order (parents before children).
async fn tree(conn: &mut AnyConnection, plan_id: &str) -> Result<Vec<Node>> {
    let rows: Vec<(String, Option<String>, String, i64, String)> = sqlx::query_as(
        "SELECT org_id, parent_id, path, depth, display_name FROM plan_orgs WHERE plan_id = $1 ORDER BY path",
    )
    .bind(plan_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, parent, path, depth, name)| Node {
            id,
            parent,
            path,
            depth,
            name,
            ..Node::default()
        })
        .collect())
}

/// The organisation a request names within the plan's tree (default: the
/// scope's root), readable by the caller: its path in the tree.
async fn target(
    conn: &mut AnyConnection,
    call: &Call,
    plan: &PlanRecord,
    field: &str,
    name: &str,
) -> Result<String> {
    let id = if name.is_empty() {
        plan.scope_id.clone()
    } else {
        parse_name(field, name, "organizations")?.to_string()
    };
    let path: Option<(String,)> =
        sqlx::query_as("SELECT path FROM plan_orgs WHERE plan_id = $1 AND org_id = $2")
            .bind(&plan.id)
            .bind(&id)
            .fetch_optional(conn)
            .await?;
    let Some((path,)) = path else {
        return Err(ApiError::invalid(
            field,
            format!(
                "organizations/{id} is not in the plan's scope on its reference date ({})",
                plan.reference_date
            ),
        )
        .into());
    };
    let lineage: Vec<&str> = plan
        .lineage()
        .chain(path.split('/').filter(|s| !s.is_empty()))
        .collect();
    call.caller
        .check_read(lineage, &format!("organizations/{id}"))?;
    Ok(path)
}

/// Eligible, attended and (without a report condition) completed members
/// per organisation of the roster, from the kept count of counted classes
/// attended (a covering index: no table lookups).
const MEMBER_FIGURES: &str = "SELECT org_id, COUNT(*) AS eligible, \
    CAST(SUM(CASE WHEN attended_classes >= 1 THEN 1 ELSE 0 END) AS BIGINT) AS attended, \
    CAST(SUM(CASE WHEN attended_classes >= $2 THEN 1 ELSE 0 END) AS BIGINT) AS completed \
    FROM plan_roster WHERE plan_id = $1 GROUP BY org_id";

/// Reports of eligible members per organisation of the roster, and the
/// members who completed under each report condition.
const REPORT_FIGURES: &str = "SELECT r.org_id, \
    CAST(SUM(CASE WHEN p.state IN (1, 2, 3) THEN 1 ELSE 0 END) AS BIGINT) AS submitted, \
    CAST(SUM(CASE WHEN p.state IN (1, 2, 3) AND p.late = 1 THEN 1 ELSE 0 END) AS BIGINT) AS late, \
    CAST(SUM(CASE WHEN p.state = 2 THEN 1 ELSE 0 END) AS BIGINT) AS accepted, \
    COUNT(DISTINCT CASE WHEN p.state IN (1, 2) AND r.attended_classes >= $2 THEN r.member_id END) AS done_submitted, \
    COUNT(DISTINCT CASE WHEN p.state = 2 AND r.attended_classes >= $2 THEN r.member_id END) AS done_accepted \
    FROM reports p JOIN plan_roster r ON r.plan_id = p.plan_id AND r.member_id = p.member_id \
    WHERE p.plan_id = $1 GROUP BY r.org_id";

/// Not attended any counted class of the plan (roster row `r`).
const NOT_ATTENDED: &str = "r.attended_classes = 0";

/// `PlanService`'s progress methods over one database.
#[derive(Debug, Clone)]
pub struct Progress {
    db: Database,
}

impl Progress {
    /// The service part.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// GetPlanProgress.
    pub async fn progress(&self, call: Call, req: GetPlanProgressRequest) -> Result<PlanProgress> {
        let breakdown = ProgressBreakdown::try_from(req.breakdown)
            .map_err(|_| ApiError::invalid("breakdown", "unknown breakdown"))?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
        let target_path =
            target(&mut conn, &call, &plan, "organization", &req.organization).await?;
        let mut nodes = tree(&mut conn, &plan.id).await?;
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        // Members: eligible, attended, completed, reports.
        let rows = sqlx::query(MEMBER_FIGURES)
            .bind(&plan.id)
            .bind(plan.min_classes)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            let org: String = row.try_get("org_id")?;
            let Some(&i) = index.get(&org) else { continue };
            let n = &mut nodes[i];
            n.eligible += row.try_get::<i64, _>("eligible")?;
            n.attended += row.try_get::<i64, _>("attended")?;
            if plan.report_condition == ReportCondition::None {
                n.completed += row.try_get::<i64, _>("completed")?;
            }
        }
        let rows = sqlx::query(REPORT_FIGURES)
            .bind(&plan.id)
            .bind(plan.min_classes)
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            let org: String = row.try_get("org_id")?;
            let Some(&i) = index.get(&org) else { continue };
            let n = &mut nodes[i];
            n.submitted += row.try_get::<i64, _>("submitted")?;
            n.late += row.try_get::<i64, _>("late")?;
            n.accepted += row.try_get::<i64, _>("accepted")?;
            n.completed += match plan.report_condition {
                ReportCondition::Submitted => row.try_get::<i64, _>("done_submitted")?,
                ReportCondition::Accepted => row.try_get::<i64, _>("done_accepted")?,
                _ => 0,
            };
        }
        // Classes, under their organiser (or its nearest ancestor in the
        // tree, for an organisation set up after the reference date).
        let place = |lineage: &str| -> Option<usize> {
            lineage
                .split('/')
                .filter(|s| !s.is_empty())
                .rev()
                .find_map(|id| index.get(id).copied())
        };
        let classes: Vec<(String, String, Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT id, org_lineage, make_up_for, excluded, head_count FROM classes WHERE plan_id = $1 AND state <> 3",
        )
        .bind(&plan.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut class_place: HashMap<String, usize> = HashMap::new();
        for (id, lineage, make_up, excluded, head_count) in classes {
            let Some(i) = place(&lineage) else { continue };
            let n = &mut nodes[i];
            n.classes += 1;
            n.make_up += i64::from(make_up.is_some());
            n.counted += i64::from(excluded == 0);
            n.head_count += head_count;
            class_place.insert(id, i);
        }
        // Named non-members: one person per identity number in a subtree.
        let named: Vec<(String, String)> = sqlx::query_as(
            "SELECT n.class_id, n.identity_number FROM non_members n JOIN classes c ON c.id = n.class_id \
             WHERE c.plan_id = $1 AND c.state <> 3",
        )
        .bind(&plan.id)
        .fetch_all(&mut *conn)
        .await?;
        for (class_id, identity) in named {
            let Some(&i) = class_place.get(&class_id) else {
                continue;
            };
            if identity.is_empty() {
                nodes[i].anonymous_named += 1;
            } else {
                nodes[i].identities.insert(identity);
            }
        }
        let visits: Vec<(String, i64)> = sqlx::query_as(
            "SELECT inspected_id, COUNT(*) FROM supervision_visits WHERE plan_id = $1 GROUP BY inspected_id",
        )
        .bind(&plan.id)
        .fetch_all(&mut *conn)
        .await?;
        for (org, count) in visits {
            if let Some(&i) = index.get(&org) {
                nodes[i].visits += count;
            }
        }
        // Roll up: deepest first, each node into its parent.
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(nodes[i].depth));
        for i in order {
            if let Some(p) = nodes[i].parent.as_ref().and_then(|p| index.get(p)).copied() {
                let child = std::mem::take(&mut nodes[i]);
                nodes[p].add(&child);
                nodes[i] = child;
            }
        }
        let Some(total) = nodes.iter().find(|n| n.path == target_path) else {
            return Err(ApiError::Internal("target left the tree".into()).into());
        };
        let depth = total.depth;
        let rows: Vec<OrganizationProgress> = match breakdown {
            ProgressBreakdown::None => Vec::new(),
            ProgressBreakdown::Unspecified | ProgressBreakdown::Children => nodes
                .iter()
                .filter(|n| n.path.starts_with(&target_path) && n.depth == depth + 1)
                .map(Node::wire)
                .collect(),
            ProgressBreakdown::Subtree => nodes
                .iter()
                .filter(|n| n.path.starts_with(&target_path) && n.depth > depth)
                .map(Node::wire)
                .collect(),
        };
        Ok(PlanProgress {
            plan: plan.plan.name.clone(),
            total: Some(total.wire()),
            breakdown: rows,
            roster_time: plan.plan.roster_time,
        })
    }

    /// ListPlanAbsentees.
    pub async fn absentees(
        &self,
        call: Call,
        req: ListPlanAbsenteesRequest,
    ) -> Result<ListPlanAbsenteesResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
        let path = target(&mut conn, &call, &plan, "organization", &req.organization).await?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{path}", plan.id),
        )?;
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!(
                "SELECT r.member_id, r.full_name, r.card, r.org_id FROM plan_roster r \
                 JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
                 WHERE r.plan_id = $1 AND o.path >= $2 AND o.path < $3 AND r.member_id > $4 AND {NOT_ATTENDED} \
                 ORDER BY r.member_id LIMIT $5"
            ),
        ))
        .bind(&plan.id)
        .bind(&path)
        .bind(path_upper(&path))
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut members: Vec<RosterMember> = rows.into_iter().map(roster_member).collect();
        let next_page_token = page.finish(&mut members, |m| {
            m.member.trim_start_matches("members/").to_string()
        });
        Ok(ListPlanAbsenteesResponse {
            members,
            next_page_token,
        })
    }

    /// ListPlanWarnings.
    pub async fn warnings(
        &self,
        call: Call,
        req: ListPlanWarningsRequest,
    ) -> Result<ListPlanWarningsResponse> {
        let kind = WarningKind::try_from(req.kind)
            .map_err(|_| ApiError::invalid("kind", "unknown kind"))?;
        let as_of = dates::from_proto("as_of", req.as_of.as_ref())
            .map_err(ApiError::from)?
            .unwrap_or_else(dates::today);
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
        let path = target(&mut conn, &call, &plan, "organization", &req.organization).await?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{path};{};{as_of}", plan.id, kind as i32),
        )?;
        // Token: `{kind}|{member}`.
        let after = page.after.clone().unwrap_or_default();
        let mut parts = after.splitn(2, '|');
        let after_kind: i32 = parts.next().and_then(|k| k.parse().ok()).unwrap_or(0);
        let after_member = parts.next().unwrap_or("").to_string();
        let mut warnings = Vec::new();
        let limit = page.limit();
        let missed_wanted = matches!(
            kind,
            WarningKind::Unspecified | WarningKind::MissedAllClasses
        );
        let overdue_wanted = matches!(kind, WarningKind::Unspecified | WarningKind::ReportOverdue)
            && plan.report_required;
        if missed_wanted && after_kind <= WarningKind::MissedAllClasses as i32 {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT r.member_id, r.full_name, r.card, r.org_id, COUNT(*) AS missed FROM plan_roster r \
                 JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
                 JOIN attendance x ON x.member_id = r.member_id JOIN classes k ON k.id = x.class_id \
                 WHERE r.plan_id = $1 AND k.plan_id = $1 AND k.excluded = 0 AND k.state = 2 \
                 AND o.path >= $2 AND o.path < $3 AND r.member_id > $4 AND {NOT_ATTENDED} \
                 GROUP BY r.member_id, r.full_name, r.card, r.org_id ORDER BY r.member_id LIMIT $5"
            )))
            .bind(&plan.id)
            .bind(&path)
            .bind(path_upper(&path))
            .bind(if after_kind == WarningKind::MissedAllClasses as i32 {
                after_member.as_str()
            } else {
                ""
            })
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                warnings.push(PlanWarning {
                    kind: WarningKind::MissedAllClasses as i32,
                    member: Some(roster_member((
                        row.try_get("member_id")?,
                        row.try_get("full_name")?,
                        row.try_get("card")?,
                        row.try_get("org_id")?,
                    ))),
                    study_class: String::new(),
                    due_date: None,
                    classes_missed: row.try_get::<i64, _>("missed")? as i32,
                });
            }
        }
        if overdue_wanted && (warnings.len() as i64) < limit {
            // One learning report per member per plan, written about any
            // class they attended. Due from the first counted class they
            // attended (class date + due days < as_of, that is class date
            // < as_of - due days), or by the latest extension granted.
            let limit_date = as_of - time::Duration::days(plan.report_due_days);
            let after_member = if after_kind == WarningKind::ReportOverdue as i32 {
                after_member.as_str()
            } else {
                ""
            };
            let rows = sqlx::query(
                "SELECT r.member_id, r.full_name, r.card, r.org_id, MIN(k.class_date) AS first_date, \
                 MAX(e.due_date) AS extended FROM plan_roster r \
                 JOIN plan_orgs o ON o.plan_id = r.plan_id AND o.org_id = r.org_id \
                 JOIN attendance x ON x.member_id = r.member_id JOIN classes k ON k.id = x.class_id \
                 LEFT JOIN report_extensions e ON e.class_id = k.id AND e.member_id = r.member_id \
                 WHERE r.plan_id = $1 AND k.plan_id = $1 AND k.state <> 3 AND k.excluded = 0 AND x.attended = 1 \
                 AND o.path >= $2 AND o.path < $3 AND r.member_id > $6 \
                 AND NOT EXISTS (SELECT 1 FROM reports p WHERE p.plan_id = $1 AND p.member_id = r.member_id \
                   AND p.state IN (1, 2, 3)) \
                 GROUP BY r.member_id, r.full_name, r.card, r.org_id \
                 HAVING (MAX(e.due_date) IS NULL AND MIN(k.class_date) < $4) OR MAX(e.due_date) < $5 \
                 ORDER BY r.member_id LIMIT $7",
            )
            .bind(&plan.id)
            .bind(&path)
            .bind(path_upper(&path))
            .bind(dates::to_sql(limit_date))
            .bind(dates::to_sql(as_of))
            .bind(after_member)
            .bind(limit - warnings.len() as i64)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let member_id: String = row.try_get("member_id")?;
                let first: String = row.try_get("first_date")?;
                let extended: Option<String> = row.try_get("extended")?;
                let due = match extended {
                    Some(d) => dates::from_sql(&d)?,
                    None => dates::from_sql(&first)? + time::Duration::days(plan.report_due_days),
                };
                let (class_id,): (String,) = sqlx::query_as(
                    "SELECT k.id FROM attendance x JOIN classes k ON k.id = x.class_id WHERE x.member_id = $1 \
                     AND k.plan_id = $2 AND k.class_date = $3 AND x.attended = 1 ORDER BY k.id LIMIT 1",
                )
                .bind(&member_id)
                .bind(&plan.id)
                .bind(&first)
                .fetch_one(&mut *conn)
                .await?;
                warnings.push(PlanWarning {
                    kind: WarningKind::ReportOverdue as i32,
                    member: Some(roster_member((
                        member_id,
                        row.try_get("full_name")?,
                        row.try_get("card")?,
                        row.try_get("org_id")?,
                    ))),
                    study_class: format!("classes/{class_id}"),
                    due_date: Some(dates::to_proto(due)),
                    classes_missed: 0,
                });
            }
        }
        let next_page_token = page.finish(&mut warnings, |w| {
            format!(
                "{}|{}",
                w.kind,
                w.member
                    .as_ref()
                    .map(|m| m.member.trim_start_matches("members/"))
                    .unwrap_or("")
            )
        });
        Ok(ListPlanWarningsResponse {
            warnings,
            next_page_token,
        })
    }
}

fn roster_member((id, full_name, card, org): (String, String, String, String)) -> RosterMember {
    RosterMember {
        member: format!("members/{id}"),
        full_name,
        party_card_number: card,
        organization: format!("organizations/{org}"),
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn rounds_half_up_to_two_decimals() {
        assert_eq!(percent(32_560, 32_986), "98.71");
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(1, 200_000), "0.00");
        assert_eq!(percent(1, 20_000), "0.01", "0.005 rounds up");
        assert_eq!(percent(5, 5), "100.00");
        assert_eq!(percent(0, 7), "0.00");
        assert_eq!(percent(3, 0), "");
    }
}
