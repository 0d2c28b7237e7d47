//! `probity.study.v1.PlanService`, the progress part: the figures of a
//! plan rolled up its organisation tree, the members still to attend, and
//! the warnings. A member is counted once, in the organisation they
//! belonged to on the reference date: sums up the tree are then sums of
//! distinct members.

use std::collections::HashMap;

use probity_platform::{ApiError, Call, dates, pagination::PageRequest, resource::parse_name};
use probity_proto::probity::study::v1::{
    GetPlanProgressRequest, ListPlanAbsenteesRequest, ListPlanAbsenteesResponse,
    ListPlanRosterRequest, ListPlanRosterResponse, ListPlanWarningsRequest,
    ListPlanWarningsResponse, OrganizationProgress, PlanProgress, PlanWarning, ProgressBreakdown,
    ReportCondition, RosterMember, WarningKind,
};
use sqlx::{Any, AnyConnection, pool::PoolConnection};

use super::{
    access::{authorize_org, visible_plan},
    plans::PlanApi,
};
use crate::{
    error::Result,
    rules::{
        names::member_id,
        progress::{self as rules, Node, rate},
        reports::due_date,
    },
    store::{plans::PlanRecord, progress as store},
};
use probity_members_client::ScopeView;

/// The wire form of one organisation's figures.
fn organization_progress(n: &Node) -> OrganizationProgress {
    OrganizationProgress {
        organization: format!("organizations/{}", n.id),
        display_name: n.name.clone(),
        parent: n
            .parent
            .as_ref()
            .map(|p| format!("organizations/{p}"))
            .unwrap_or_default(),
        depth: n.depth as i32,
        classes_held: n.classes as i32,
        make_up_classes: n.make_up as i32,
        counted_classes: n.counted as i32,
        attendance: Some(rate(n.attended, n.eligible)),
        non_members: n.non_members(),
        reports_submitted: n.submitted,
        reports_late: n.late,
        reports_accepted: n.accepted,
        completion: Some(rate(n.completed, n.eligible)),
        supervision_visits: n.visits as i32,
    }
}

fn roster_member((id, full_name, card, org): store::RosterRow) -> RosterMember {
    RosterMember {
        member: format!("members/{id}"),
        full_name,
        party_card_number: card,
        organization: format!("organizations/{org}"),
    }
}

/// The organisation a request names within the plan's tree (default: the
/// scope's root), readable by the caller: its path in the tree.
async fn target(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    plan: &PlanRecord,
    field: &str,
    name: &str,
) -> Result<String> {
    let id = if name.is_empty() {
        plan.scope_id.clone()
    } else {
        parse_name(field, name, "organizations")?.to_string()
    };
    // Scope first, on today's tree: whether an organisation the caller may
    // not see is in the plan's tree is not theirs to learn.
    authorize_org(call, view, &id, &format!("organizations/{id}"))?;
    let Some(path) = store::path_of(conn, &plan.id, &id).await? else {
        return Err(ApiError::invalid(
            field,
            format!(
                "organizations/{id} is not in the plan's scope on its reference date ({})",
                plan.reference_date
            ),
        )
        .into());
    };
    Ok(path)
}

/// The plan's tree with each organisation's own figures.
async fn figures(conn: &mut AnyConnection, plan: &PlanRecord) -> Result<Vec<Node>> {
    let f = &plan.fields;
    let mut nodes = store::tree(conn, &plan.id).await?;
    let index = rules::index(&nodes);
    for row in store::member_figures(conn, &plan.id, f.min_classes).await? {
        let Some(&i) = index.get(&row.org_id) else {
            continue;
        };
        let n = &mut nodes[i];
        n.eligible += row.eligible;
        n.attended += row.attended;
        if f.report_condition == ReportCondition::None {
            n.completed += row.completed;
        }
    }
    for row in store::report_figures(conn, &plan.id, f.min_classes).await? {
        let Some(&i) = index.get(&row.org_id) else {
            continue;
        };
        let n = &mut nodes[i];
        n.submitted += row.submitted;
        n.late += row.late;
        n.accepted += row.accepted;
        n.completed += match f.report_condition {
            ReportCondition::Submitted => row.done_submitted,
            ReportCondition::Accepted => row.done_accepted,
            _ => 0,
        };
    }
    // Classes, under their organiser (or its nearest ancestor in the tree,
    // for an organisation set up after the reference date).
    let mut class_place: HashMap<String, usize> = HashMap::new();
    for class in store::classes(conn, &plan.id).await? {
        let Some(i) = rules::place(&index, &class.org_lineage) else {
            continue;
        };
        let n = &mut nodes[i];
        n.classes += 1;
        n.make_up += i64::from(class.make_up_for.is_some());
        n.counted += i64::from(class.excluded == 0);
        n.head_count += class.head_count;
        class_place.insert(class.id, i);
    }
    // Named non-members: one person per identity number in a subtree.
    for (class_id, identity) in store::named_non_members(conn, &plan.id).await? {
        let Some(&i) = class_place.get(&class_id) else {
            continue;
        };
        if identity.is_empty() {
            nodes[i].anonymous_named += 1;
        } else {
            nodes[i].identities.insert(identity);
        }
    }
    for (org, count) in store::visits(conn, &plan.id).await? {
        if let Some(&i) = index.get(&org) {
            nodes[i].visits += count;
        }
    }
    Ok(nodes)
}

impl PlanApi {
    /// The part of a plan a request asks about: the plan (`plan`) and the
    /// organisation in its tree (`organization`, default its scope), both
    /// checked for the caller on today's tree; with a connection to read
    /// its figures (the read replica's when there is a usable one).
    async fn part(
        &self,
        call: &Call,
        plan: &str,
        organization: &str,
    ) -> Result<(PoolConnection<Any>, PlanRecord, String)> {
        let view = self.members.scope_view(call).await?;
        let mut conn = self.db.read_conn(call).await.map_err(ApiError::from)?;
        let plan = visible_plan(&mut conn, call, &view, "plan", plan).await?;
        let path = target(&mut conn, call, &view, &plan, "organization", organization).await?;
        Ok((conn, plan, path))
    }

    /// GetPlanProgress.
    pub(super) async fn progress(
        &self,
        call: Call,
        req: GetPlanProgressRequest,
    ) -> Result<PlanProgress> {
        let breakdown = ProgressBreakdown::try_from(req.breakdown)
            .map_err(|_| ApiError::invalid("breakdown", "unknown breakdown"))?;
        let (mut conn, plan, target_path) = self.part(&call, &req.plan, &req.organization).await?;
        let mut nodes = figures(&mut conn, &plan).await?;
        let index = rules::index(&nodes);
        rules::roll_up(&mut nodes, &index);
        let Some(total) = nodes.iter().find(|n| n.path == target_path) else {
            return Err(ApiError::Internal("target left the tree".into()).into());
        };
        Ok(PlanProgress {
            plan: plan.name(),
            total: Some(organization_progress(total)),
            breakdown: rules::breakdown(&nodes, &target_path, total.depth, breakdown)
                .into_iter()
                .map(organization_progress)
                .collect(),
            roster_time: (plan.roster_micros > 0).then(|| dates::timestamp(plan.roster_micros)),
        })
    }

    /// ListPlanAbsentees.
    pub(super) async fn absentees(
        &self,
        call: Call,
        req: ListPlanAbsenteesRequest,
    ) -> Result<ListPlanAbsenteesResponse> {
        let (members, next_page_token) = self
            .roster_page(
                &call,
                &req.plan,
                &req.organization,
                true,
                req.page_size,
                &req.page_token,
            )
            .await?;
        Ok(ListPlanAbsenteesResponse {
            members,
            next_page_token,
        })
    }

    /// ListPlanRoster.
    pub(super) async fn roster(
        &self,
        call: Call,
        req: ListPlanRosterRequest,
    ) -> Result<ListPlanRosterResponse> {
        let (members, next_page_token) = self
            .roster_page(
                &call,
                &req.plan,
                &req.organization,
                false,
                req.page_size,
                &req.page_token,
            )
            .await?;
        Ok(ListPlanRosterResponse {
            members,
            next_page_token,
        })
    }

    /// One page of the plan's roster under `organization` (absentees only
    /// when `absent_only`) and the next page's token.
    async fn roster_page(
        &self,
        call: &Call,
        plan: &str,
        organization: &str,
        absent_only: bool,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<RosterMember>, String)> {
        let (mut conn, plan, path) = self.part(call, plan, organization).await?;
        let page = PageRequest::parse(
            call,
            page_size,
            page_token,
            &format!("{};{path};{absent_only}", plan.id),
        )?;
        let rows = store::roster(
            &mut conn,
            &plan.id,
            &path,
            absent_only,
            page.after.as_deref().unwrap_or(""),
            page.limit(),
        )
        .await?;
        let mut members: Vec<RosterMember> = rows.into_iter().map(roster_member).collect();
        let next_page_token = page.finish(&mut members, |m| member_id(&m.member).to_string());
        Ok((members, next_page_token))
    }

    /// ListPlanWarnings.
    pub(super) async fn warnings(
        &self,
        call: Call,
        req: ListPlanWarningsRequest,
    ) -> Result<ListPlanWarningsResponse> {
        let kind = WarningKind::try_from(req.kind)
            .map_err(|_| ApiError::invalid("kind", "unknown kind"))?;
        let as_of = dates::from_proto("as_of", req.as_of.as_ref())
            .map_err(ApiError::from)?
            .unwrap_or_else(|| call.today());
        let (mut conn, plan, path) = self.part(&call, &req.plan, &req.organization).await?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{path};{};{as_of}", plan.id, kind as i32),
        )?;
        // Token: `{kind}|{member}`.
        let after = page.after.clone().unwrap_or_default();
        let mut parts = after.splitn(2, '|');
        let after_kind: i32 = parts.next().and_then(|k| k.parse().ok()).unwrap_or(0);
        let after_member = parts.next().unwrap_or("").to_string();
        let after_for = |k: WarningKind| {
            if after_kind == k as i32 {
                after_member.as_str()
            } else {
                ""
            }
        };
        let mut warnings = Vec::new();
        let limit = page.limit();
        let missed_wanted = matches!(
            kind,
            WarningKind::Unspecified | WarningKind::MissedAllClasses
        );
        let overdue_wanted = matches!(kind, WarningKind::Unspecified | WarningKind::ReportOverdue)
            && plan.fields.report_required;
        if missed_wanted && after_kind <= WarningKind::MissedAllClasses as i32 {
            let rows = store::missed_all(
                &mut conn,
                &plan.id,
                &path,
                after_for(WarningKind::MissedAllClasses),
                limit,
            )
            .await?;
            for row in rows {
                warnings.push(PlanWarning {
                    kind: WarningKind::MissedAllClasses as i32,
                    member: Some(roster_member((
                        row.member_id,
                        row.full_name,
                        row.card,
                        row.org_id,
                    ))),
                    study_class: String::new(),
                    due_date: None,
                    classes_missed: row.missed as i32,
                });
            }
        }
        if overdue_wanted && (warnings.len() as i64) < limit {
            // One learning report per member per plan, written about any
            // class they attended. Due from the first counted class they
            // attended (class date + due days < as_of, that is class date
            // < as_of - due days), or by the latest extension granted.
            let days = plan.fields.report_due_days;
            let limit_date = dates::add_days(as_of, -days);
            let rows = store::overdue(
                &mut conn,
                &plan.id,
                &path,
                (&dates::to_sql(limit_date), &dates::to_sql(as_of)),
                after_for(WarningKind::ReportOverdue),
                limit - warnings.len() as i64,
            )
            .await?;
            for row in rows {
                let extension = row.extended.as_deref().map(dates::from_sql).transpose()?;
                let (due, _) = due_date(dates::from_sql(&row.first_date)?, days, extension);
                let class_id =
                    store::class_attended_on(&mut conn, &plan.id, &row.member_id, &row.first_date)
                        .await?;
                warnings.push(PlanWarning {
                    kind: WarningKind::ReportOverdue as i32,
                    member: Some(roster_member((
                        row.member_id,
                        row.full_name,
                        row.card,
                        row.org_id,
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
                    .map(|m| member_id(&m.member))
                    .unwrap_or("")
            )
        });
        Ok(ListPlanWarningsResponse {
            warnings,
            next_page_token,
        })
    }
}
