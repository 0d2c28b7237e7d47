//! Study run on its own, against a fake members service: an in-memory
//! organisation tree and roster behind study's `Members` trait, applying
//! the caller's scope as members does. The tests where members itself is
//! the subject (the roster it computes, its scope over gRPC, its outage)
//! are the workspace's end-to-end tests in `tests/`.
#![allow(dead_code, missing_docs, unused_imports)]

pub mod requests;
pub mod scenario;

use std::sync::{Arc, Mutex};

use probity_members_client::{MemberInfo, MembersError as Error, OrgInfo, Result, RosterEntry};
use probity_platform::{
    ApiError, Call,
    testing::{Authed, TestBackend, TestOptions, TestServer},
};
use probity_proto::probity::study::v1::{
    audit_service_client::AuditServiceClient, class_service_client::ClassServiceClient,
    document_service_client::DocumentServiceClient,
    learning_report_service_client::LearningReportServiceClient,
    plan_service_client::PlanServiceClient, supervision_service_client::SupervisionServiceClient,
};
use probity_study::Members;

pub use probity_platform::testing::backends;
pub use requests::{at, date, fields, reason};

/// A day, as `time` has it.
pub fn day(y: i32, m: u8, d: u8) -> time::Date {
    time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
}

/// One period of a member: an organisation, from a day, to a day (not
/// included), exempt or not.
#[derive(Debug, Clone)]
struct Period {
    org: String,
    from: time::Date,
    to: Option<time::Date>,
    exempt: bool,
}

#[derive(Debug, Clone)]
struct Person {
    id: String,
    periods: Vec<Period>,
}

#[derive(Debug, Default)]
struct Directory {
    /// (id, parent id, name), parents first.
    orgs: Vec<(String, Option<String>, String)>,
    people: Vec<Person>,
    down: bool,
}

impl Directory {
    fn lineage(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut at = id.to_string();
        while let Some(parent) = self
            .orgs
            .iter()
            .find(|(o, _, _)| *o == at)
            .and_then(|(_, p, _)| p.clone())
        {
            out.push(parent.clone());
            at = parent;
        }
        out.reverse();
        out
    }

    fn info(&self, id: &str) -> OrgInfo {
        let (_, parent, name) = self
            .orgs
            .iter()
            .find(|(o, _, _)| o == id)
            .cloned()
            .unwrap_or_default();
        OrgInfo {
            id: id.to_string(),
            parent_id: parent,
            lineage: self.lineage(id),
            display_name: name,
            valid_from: None,
            valid_to: None,
        }
    }

    /// The organisation `name` as the caller may see it: what members
    /// answers NOT_FOUND to becomes a bad `field`, as study's peer maps it.
    fn visible(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo> {
        let id = name.strip_prefix("organizations/").unwrap_or(name);
        let known = self.orgs.iter().any(|(o, _, _)| o == id);
        let info = self.info(id);
        if !known || !call.caller.covers(info.lineage.iter().map(String::as_str)) {
            return Err(Error::Api(ApiError::invalid(
                field,
                format!("{name} not found"),
            )));
        }
        Ok(info)
    }

    fn check_up(&self) -> Result<()> {
        if self.down {
            return Err(Error::Unavailable(
                "unavailable: the fake members service is down".into(),
            ));
        }
        Ok(())
    }
}

/// An in-memory members service for study's tests.
#[derive(Debug, Clone, Default)]
pub struct FakeMembers(Arc<Mutex<Directory>>);

impl FakeMembers {
    fn with<T>(&self, f: impl FnOnce(&mut Directory) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }

    /// Adds organisation `id` under `parent`; returns its name.
    pub fn org(&self, id: &str, parent: Option<&str>) -> String {
        self.with(|d| {
            d.orgs.push((
                id.to_string(),
                parent.map(|p| p.trim_start_matches("organizations/").to_string()),
                format!("Tổ chức {}", id.to_uppercase()),
            ))
        });
        format!("organizations/{id}")
    }

    /// Adds member `id` to organisation `org` from `from`; returns its name.
    pub fn member(&self, id: &str, org: &str, from: time::Date) -> String {
        self.with(|d| {
            d.people.push(Person {
                id: id.to_string(),
                periods: vec![Period {
                    org: org.trim_start_matches("organizations/").to_string(),
                    from,
                    to: None,
                    exempt: false,
                }],
            })
        });
        format!("members/{id}")
    }

    /// Ends member `name`'s open period on `on` and opens one in `org`
    /// (the same when `None`), exempt or not.
    fn change(&self, name: &str, on: time::Date, org: Option<&str>, exempt: bool) {
        let id = name.trim_start_matches("members/");
        self.with(|d| {
            let person = d.people.iter_mut().find(|p| p.id == id).unwrap();
            let open = person.periods.last_mut().unwrap();
            open.to = Some(on);
            let org = org
                .map(|o| o.trim_start_matches("organizations/").to_string())
                .unwrap_or_else(|| open.org.clone());
            person.periods.push(Period {
                org,
                from: on,
                to: None,
                exempt,
            });
        });
    }

    /// Exempts member `name` from activities from `on`.
    pub fn exempt(&self, name: &str, on: time::Date) {
        self.change(name, on, None, true);
    }

    /// Transfers member `name` to organisation `org` on `on`.
    pub fn transfer(&self, name: &str, org: &str, on: time::Date) {
        self.change(name, on, Some(org), false);
    }

    /// Takes the fake members service down, or brings it back.
    pub fn set_down(&self, down: bool) {
        self.with(|d| d.down = down);
    }
}

#[tonic::async_trait]
impl Members for FakeMembers {
    async fn organization(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo> {
        self.with(|d| {
            d.check_up()?;
            d.visible(call, field, name)
        })
    }

    async fn member(&self, call: &Call, field: &str, name: &str) -> Result<MemberInfo> {
        self.with(|d| {
            d.check_up()?;
            let id = name.strip_prefix("members/").unwrap_or(name);
            let person = d.people.iter().find(|p| p.id == id);
            let Some(org) = person.and_then(|p| p.periods.last()).map(|p| p.org.clone()) else {
                return Err(Error::Api(ApiError::invalid(
                    field,
                    format!("{name} not found"),
                )));
            };
            d.visible(call, field, &format!("organizations/{org}"))
                .map_err(|_| Error::Api(ApiError::invalid(field, format!("{name} not found"))))?;
            Ok(MemberInfo {
                id: id.to_string(),
                full_name: format!("Đảng viên {id}"),
                org_id: org,
                status: 2,
                head_position: String::new(),
            })
        })
    }

    async fn subtree(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        _date: time::Date,
    ) -> Result<Vec<OrgInfo>> {
        self.with(|d| {
            d.check_up()?;
            let root = d.visible(call, field, root)?;
            let mut below: Vec<OrgInfo> = d
                .orgs
                .iter()
                .map(|(id, _, _)| d.info(id))
                .filter(|o| o.id != root.id && o.lineage.contains(&root.id))
                .filter(|o| call.caller.covers(o.lineage.iter().map(String::as_str)))
                .collect();
            below.sort_by_key(|o| o.lineage_text());
            Ok(below)
        })
    }

    async fn roster(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
        exclude_exempt: bool,
    ) -> Result<Vec<RosterEntry>> {
        self.with(|d| {
            d.check_up()?;
            let root = d.visible(call, field, root)?;
            let mut out: Vec<RosterEntry> = d
                .people
                .iter()
                .filter_map(|p| {
                    let period = p
                        .periods
                        .iter()
                        .find(|x| x.from <= date && x.to.is_none_or(|to| date < to))?;
                    let inside = d.lineage(&period.org).contains(&root.id);
                    (inside && !(exclude_exempt && period.exempt)).then(|| RosterEntry {
                        member_id: p.id.clone(),
                        full_name: format!("Đảng viên {}", p.id),
                        party_card_number: "900000001".into(),
                        org_id: period.org.clone(),
                    })
                })
                .collect();
            out.sort_by(|a, b| a.member_id.cmp(&b.member_id));
            Ok(out)
        })
    }
}

/// The tree and members the tests share: TU → HU → CS → {C1 (6 members,
/// the first exempt from 2016-06-01), C2 (4 members)}, and OTHER (a
/// province outside the plans' scope) with one member who transfers into
/// C2 on 2016-12-20.
pub struct World {
    pub province: String,
    pub district: String,
    pub grassroots: String,
    pub c1: String,
    pub c2: String,
    pub other: String,
    pub c1_members: Vec<String>,
    pub c2_members: Vec<String>,
    pub late_joiner: String,
}

impl World {
    /// Builds the world in `members`.
    pub fn build(members: &FakeMembers) -> Self {
        let admitted = day(2010, 3, 1);
        let province = members.org("tu", None);
        let district = members.org("hu", Some(&province));
        let grassroots = members.org("cs", Some(&district));
        let c1 = members.org("c1", Some(&grassroots));
        let c2 = members.org("c2", Some(&grassroots));
        let other = members.org("other", None);
        let other_cell = members.org("oc", Some(&other));
        let c1_members: Vec<String> = (0..6)
            .map(|i| members.member(&format!("c1-{i}"), &c1, admitted))
            .collect();
        let c2_members: Vec<String> = (0..4)
            .map(|i| members.member(&format!("c2-{i}"), &c2, admitted))
            .collect();
        members.exempt(&c1_members[0], day(2016, 6, 1));
        let late_joiner = members.member("late", &other_cell, admitted);
        members.transfer(&late_joiner, &c2, day(2016, 12, 20));
        Self {
            province,
            district,
            grassroots,
            c1,
            c2,
            other,
            c1_members,
            c2_members,
            late_joiner,
        }
    }
}

/// Study started over a fresh database, calling the fake members.
pub struct Study {
    pub server: TestServer,
    pub members: FakeMembers,
    pub world: World,
}

impl Study {
    /// Starts study on `backend` with the shared world.
    pub async fn start(backend: &TestBackend) -> Self {
        Self::start_with(backend, TestOptions::new(probity_study::SCHEMA)).await
    }

    /// Starts study on `backend` with the shared world, its clock standing
    /// at 09:00 on `today`.
    pub async fn start_on(backend: &TestBackend, today: time::Date) -> Self {
        let mut options = TestOptions::new(probity_study::SCHEMA);
        options.clock = Some(probity_platform::Clock::on(today));
        Self::start_with(backend, options).await
    }

    pub async fn start_with(backend: &TestBackend, options: TestOptions) -> Self {
        let members = FakeMembers::default();
        let world = World::build(&members);
        let peer = members.clone();
        let server = TestServer::start(backend, options, |server, db| {
            probity_study::register(server, db, peer)
        })
        .await;
        Self {
            server,
            members,
            world,
        }
    }

    /// A channel with a token for `roles` over `scope` (organisation ids).
    pub fn channel_as(&self, roles: &[&str], scope: &[&str]) -> Authed {
        self.server
            .with_token(&self.server.token("tester", roles, scope))
    }

    pub fn documents(&self) -> DocumentServiceClient<Authed> {
        DocumentServiceClient::new(self.server.admin())
    }

    pub fn plans(&self) -> PlanServiceClient<Authed> {
        PlanServiceClient::new(self.server.admin())
    }

    pub fn classes(&self) -> ClassServiceClient<Authed> {
        ClassServiceClient::new(self.server.admin())
    }

    pub fn reports(&self) -> LearningReportServiceClient<Authed> {
        LearningReportServiceClient::new(self.server.admin())
    }

    pub fn supervision(&self) -> SupervisionServiceClient<Authed> {
        SupervisionServiceClient::new(self.server.admin())
    }

    pub fn audit(&self) -> AuditServiceClient<Authed> {
        AuditServiceClient::new(self.server.admin())
    }
}
