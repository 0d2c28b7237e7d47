//! `probity.study.v1.ClassService`, the class part: schedule, read, list,
//! update, cancel, close. Attendance lives in [`crate::attendance`].

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_WRITER,
    bulk::insert_rows,
    dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag as etag_of, new_id, parse_name},
    text,
};
use probity_proto::probity::study::v1::{
    CancelClassRequest, ClassFormat, ClassState, CloseClassRequest, CreateClassRequest,
    ListClassesRequest, ListClassesResponse, StudyClass, UpdateClassRequest,
};
use sqlx::AnyConnection;

use crate::{
    class_record::{self, ClassHead, ClassRecord},
    documents,
    error::{Error, Result},
    members::{MembersPeer, lineage_ids},
    plan_record::{self, PlanRecord},
    snapshot::{self, Recount},
};

/// Fields UpdateClass may change.
const SETTABLE: [&str; 9] = [
    "title",
    "start_time",
    "end_time",
    "format",
    "venue",
    "online_link",
    "presenters",
    "materials",
    "excluded_from_rate",
];

/// A class's settable fields, checked.
struct Fields {
    title: String,
    start_micros: i64,
    end_micros: Option<i64>,
    class_date: time::Date,
    format: ClassFormat,
    venue: String,
    online_link: String,
    presenters: Vec<(String, String, Option<String>)>,
    materials: Vec<(String, Option<String>, i64)>,
    excluded: bool,
}

/// Checks the fields of `c`, prefixing violations with `study_class.`.
fn check(v: &mut Violations, c: &StudyClass, plan: &PlanRecord) -> Option<Fields> {
    let title = text::tidy(&c.title);
    v.check(
        title.is_empty() || title.chars().count() > 500,
        "study_class.title",
        "required, at most 500 characters",
    );
    let start = c.start_time.as_ref();
    let start_micros = start.and_then(dates::micros_of);
    let class_date = start.and_then(dates::vietnam_date);
    if start_micros.is_none() || class_date.is_none() {
        v.add("study_class.start_time", "required");
    }
    if let Some(d) = class_date
        && (d < plan.period_start || d > plan.period_end)
    {
        v.add(
            "study_class.start_time",
            format!(
                "the class date {d} is outside the plan's period {} to {}",
                plan.period_start, plan.period_end
            ),
        );
    }
    let end_micros = c.end_time.as_ref().and_then(dates::micros_of);
    if let (Some(s), Some(e)) = (start_micros, end_micros) {
        v.check(e <= s, "study_class.end_time", "must be after start_time");
    }
    let format = ClassFormat::try_from(c.format).unwrap_or(ClassFormat::Unspecified);
    v.check(
        format == ClassFormat::Unspecified,
        "study_class.format",
        "required: in person, online or hybrid",
    );
    let venue = text::tidy(&c.venue);
    let link = c.online_link.trim().to_string();
    if matches!(format, ClassFormat::InPerson | ClassFormat::Hybrid) {
        v.check(
            venue.is_empty(),
            "study_class.venue",
            "required for a class held in person or hybrid",
        );
    }
    if matches!(format, ClassFormat::Online | ClassFormat::Hybrid) {
        v.check(
            link.is_empty(),
            "study_class.online_link",
            "required for a class held online or hybrid",
        );
    }
    v.check(
        venue.chars().count() > 500,
        "study_class.venue",
        "at most 500 characters",
    );
    v.check(
        !link.is_empty()
            && (link.len() > 2000
                || !(link.starts_with("https://") || link.starts_with("http://"))),
        "study_class.online_link",
        "an http(s) URL of at most 2000 characters",
    );
    v.check(
        c.presenters.len() > 50,
        "study_class.presenters",
        "at most 50",
    );
    let mut presenters = Vec::new();
    for (i, p) in c.presenters.iter().enumerate() {
        let name = text::tidy(&p.full_name);
        v.check(
            name.is_empty() || name.chars().count() > 200,
            &format!("study_class.presenters[{i}].full_name"),
            "required, at most 200 characters",
        );
        let member = if p.member.is_empty() {
            None
        } else {
            match parse_name("", &p.member, "members") {
                Ok(id) => Some(id.to_string()),
                Err(_) => {
                    v.add(
                        format!("study_class.presenters[{i}].member"),
                        "must be `members/{id}`",
                    );
                    None
                }
            }
        };
        presenters.push((name, text::tidy(&p.position), member));
    }
    v.check(
        c.materials.len() > 100,
        "study_class.materials",
        "at most 100",
    );
    let mut materials = Vec::new();
    for (i, m) in c.materials.iter().enumerate() {
        let title = text::tidy(&m.title);
        v.check(
            title.is_empty() || title.chars().count() > 500,
            &format!("study_class.materials[{i}].title"),
            "required, at most 500 characters",
        );
        v.check(
            m.copies < 0,
            &format!("study_class.materials[{i}].copies"),
            "must not be negative",
        );
        let document = if m.document.is_empty() {
            None
        } else {
            match parse_name("", &m.document, "documents") {
                Ok(id) => Some(id.to_string()),
                Err(_) => {
                    v.add(
                        format!("study_class.materials[{i}].document"),
                        "must be `documents/{id}`",
                    );
                    None
                }
            }
        };
        materials.push((title, document, i64::from(m.copies)));
    }
    Some(Fields {
        title,
        start_micros: start_micros?,
        end_micros,
        class_date: class_date?,
        format,
        venue,
        online_link: link,
        presenters,
        materials,
        excluded: c.excluded_from_rate,
    })
}

/// Refuses material documents this service does not hold.
async fn check_materials(conn: &mut AnyConnection, f: &Fields) -> Result<()> {
    let mut v = Violations::new();
    for (i, (_, doc, _)) in f.materials.iter().enumerate() {
        if let Some(doc) = doc {
            v.check(
                !documents::exists(conn, doc).await?,
                &format!("study_class.materials[{i}].document"),
                "no such document",
            );
        }
    }
    Ok(v.into_result()?)
}

/// Writes a class's presenters and materials (replacing any).
async fn store_lists(conn: &mut AnyConnection, id: &str, f: &Fields) -> Result<()> {
    for table in ["class_presenters", "class_materials"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE class_id = $1"
        )))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    for (i, (name, position, member)) in f.presenters.iter().enumerate() {
        sqlx::query(
            "INSERT INTO class_presenters (class_id, position, full_name, title, member_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(name)
        .bind(position)
        .bind(member)
        .execute(&mut *conn)
        .await?;
    }
    for (i, (title, document, copies)) in f.materials.iter().enumerate() {
        sqlx::query(
            "INSERT INTO class_materials (class_id, position, title, document_id, copies) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(title)
        .bind(document)
        .bind(copies)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Reloads a class inside a write.
pub async fn reload(conn: &mut AnyConnection, id: &str) -> Result<ClassRecord> {
    class_record::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal("class vanished".into()).into())
}

/// Checks a change to the class named `name`: visible to the caller
/// (`NOT_FOUND` otherwise), writable by them, not cancelled, `etag` (when
/// given) current. Reads only the class's [`ClassHead`].
pub async fn changeable(
    conn: &mut AnyConnection,
    call: &Call,
    name: &str,
    etag: &str,
) -> Result<ClassHead> {
    let id = parse_name("name", name, "classes")?;
    let class = class_record::head(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, &class, etag)?;
    Ok(class)
}

/// Loads a class for a change, whole, with the checks of [`changeable`].
pub async fn for_change(
    conn: &mut AnyConnection,
    call: &Call,
    name: &str,
    etag: &str,
) -> Result<ClassRecord> {
    let id = parse_name("name", name, "classes")?;
    let class = class_record::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, &class.head(), etag)?;
    Ok(class)
}

/// The checks of a change on a loaded class: scope (read, then write),
/// etag, not cancelled.
fn check_change(call: &Call, class: &ClassHead, etag: &str) -> Result<()> {
    let name = &format!("classes/{}", class.id);
    call.caller
        .check_read(lineage_ids(&class.org_lineage), name)?;
    call.caller
        .check_write(lineage_ids(&class.org_lineage), name)?;
    check_current_etag(name, etag, &etag_of(class.revision))?;
    if class.state == ClassState::Cancelled {
        return Err(Error::state(
            "CLASS_CANCELLED",
            format!("{name} was cancelled"),
        ));
    }
    Ok(())
}

/// `ClassService` over one database and the members service.
#[derive(Debug, Clone)]
pub struct Classes {
    pub(crate) db: Database,
    pub(crate) members: MembersPeer,
}

impl Classes {
    /// The service.
    pub fn new(db: Database, members: MembersPeer) -> Self {
        Self { db, members }
    }

    /// CreateClass.
    pub async fn create(&self, call: Call, req: CreateClassRequest) -> Result<StudyClass> {
        call.caller.require_role(ROLE_WRITER)?;
        let c = req.study_class.clone().unwrap_or_default();
        let plan = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            plan_record::visible(&mut conn, &call, "study_class.plan", &c.plan).await?
        };
        let mut v = Violations::new();
        let fields = check(&mut v, &c, &plan);
        let org = parse_name("study_class.organization", &c.organization, "organizations")
            .map_err(|_| v.add("study_class.organization", "required, `organizations/{id}`"))
            .ok();
        let make_up = if c.make_up_for.is_empty() {
            None
        } else {
            parse_name("", &c.make_up_for, "classes")
                .map_err(|_| v.add("study_class.make_up_for", "must be `classes/{id}`"))
                .ok()
                .map(str::to_string)
        };
        v.into_result()?;
        let (Some(f), Some(_)) = (fields, org) else {
            return Err(ApiError::Internal("validated fields missing".into()).into());
        };
        {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            check_materials(&mut conn, &f).await?;
            if let Some(m) = &make_up {
                let original = class_record::load(&mut conn, m).await?;
                let bad = match &original {
                    None => Some("no such class".to_string()),
                    Some(o) if o.plan_id != plan.id => Some("belongs to another plan".into()),
                    Some(o) if o.state == ClassState::Cancelled => Some("was cancelled".into()),
                    Some(o) if o.class_date > f.class_date => {
                        Some(format!("is held later ({})", o.class_date))
                    }
                    Some(_) => None,
                };
                if let Some(why) = bad {
                    return Err(ApiError::invalid(
                        "study_class.make_up_for",
                        format!("{}: {why}", c.make_up_for),
                    )
                    .into());
                }
            }
        }
        let org = self
            .members
            .organization(&call, "study_class.organization", &c.organization)
            .await?;
        if !org.lineage.contains(&plan.scope_id) {
            return Err(ApiError::invalid(
                "study_class.organization",
                format!(
                    "{} is outside the plan's scope {}",
                    c.organization, plan.plan.scope
                ),
            )
            .into());
        }
        if !org.exists_on(f.class_date) {
            return Err(ApiError::invalid(
                "study_class.organization",
                format!("{} does not exist on {}", c.organization, f.class_date),
            )
            .into());
        }
        call.caller
            .check_write(org.lineage.iter().map(String::as_str), &c.organization)?;

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let id = new_id();
        let now = dates::now_micros();
        sqlx::query(
            "INSERT INTO classes (id, plan_id, org_id, org_lineage, title, start_micros, end_micros, class_date, format, \
             venue, online_link, make_up_for, excluded, state, head_count, cancel_reason, revision, create_micros, \
             update_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, '', 1, $15, $15)",
        )
        .bind(&id)
        .bind(&plan.id)
        .bind(&org.id)
        .bind(org.lineage_text())
        .bind(&f.title)
        .bind(f.start_micros)
        .bind(f.end_micros)
        .bind(dates::to_sql(f.class_date))
        .bind(f.format as i64)
        .bind(&f.venue)
        .bind(&f.online_link)
        .bind(&make_up)
        .bind(i64::from(f.excluded))
        .bind(ClassState::Scheduled as i64)
        .bind(now)
        .execute(w.conn())
        .await?;
        store_lists(w.conn(), &id, &f).await?;
        let created = reload(w.conn(), &id).await?.class;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    /// GetClass.
    pub async fn get(&self, call: Call, name: &str) -> Result<StudyClass> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(class_record::visible(&mut conn, &call, "name", name)
            .await?
            .class)
    }

    /// ListClasses.
    pub async fn list(&self, call: Call, req: ListClassesRequest) -> Result<ListClassesResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
        let org = if req.organization.is_empty() {
            String::new()
        } else {
            parse_name("organization", &req.organization, "organizations")?.to_string()
        };
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{};{org}", plan.id),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let (after_start, after_id) = after
            .split_once('|')
            .map(|(s, i)| (s.parse::<i64>().unwrap_or(i64::MIN), i.to_string()))
            .unwrap_or((i64::MIN, String::new()));
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT id, start_micros, org_lineage FROM classes WHERE plan_id = $1 AND ($2 = '' OR org_id = $2) \
             AND (start_micros > $3 OR (start_micros = $3 AND id > $4)) ORDER BY start_micros, id LIMIT $5",
        )
        .bind(&plan.id)
        .bind(&org)
        .bind(after_start)
        .bind(&after_id)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut rows = rows;
        let next_page_token = page.finish(&mut rows, |(id, start, _)| format!("{start}|{id}"));
        let mut classes = Vec::new();
        for (id, _, lineage) in rows {
            if call.caller.covers(crate::members::lineage_ids(&lineage))
                && let Some(c) = class_record::load(&mut conn, &id).await?
            {
                classes.push(c.class);
            }
        }
        Ok(ListClassesResponse {
            classes,
            next_page_token,
        })
    }

    /// UpdateClass.
    pub async fn update(&self, call: Call, req: UpdateClassRequest) -> Result<StudyClass> {
        let c = req.study_class.clone().unwrap_or_default();
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &SETTABLE, |f| match f {
                "title" => !c.title.is_empty(),
                "start_time" => c.start_time.is_some(),
                "end_time" => c.end_time.is_some(),
                "format" => c.format != 0,
                "venue" => !c.venue.is_empty(),
                "online_link" => !c.online_link.is_empty(),
                "presenters" => !c.presenters.is_empty(),
                "materials" => !c.materials.is_empty(),
                "excluded_from_rate" => c.excluded_from_rate,
                _ => false,
            })?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let current = for_change(w.conn(), &call, &c.name, &c.etag).await?;
        let plan = plan_record::load(w.conn(), &current.plan_id)
            .await?
            .ok_or_else(|| ApiError::Internal("class without plan".into()))?;
        // The merged class: current values, with the masked fields replaced.
        let mut merged = current.class.clone();
        for p in &paths {
            match *p {
                "title" => merged.title = c.title.clone(),
                "start_time" => merged.start_time = c.start_time,
                "end_time" => merged.end_time = c.end_time,
                "format" => merged.format = c.format,
                "venue" => merged.venue = c.venue.clone(),
                "online_link" => merged.online_link = c.online_link.clone(),
                "presenters" => merged.presenters = c.presenters.clone(),
                "materials" => merged.materials = c.materials.clone(),
                "excluded_from_rate" => merged.excluded_from_rate = c.excluded_from_rate,
                _ => {}
            }
        }
        let mut v = Violations::new();
        let f = check(&mut v, &merged, &plan);
        v.into_result()?;
        let f = f.ok_or_else(|| ApiError::Internal("validated fields missing".into()))?;
        check_materials(w.conn(), &f).await?;
        if f.class_date != current.class_date && current.class.members_recorded > 0 {
            return Err(Error::state(
                "ATTENDANCE_RECORDED",
                format!(
                    "{} has attendance checked against members on {}; its date can no longer change",
                    c.name, current.class_date
                ),
            ));
        }
        sqlx::query(
            "UPDATE classes SET title = $1, start_micros = $2, end_micros = $3, class_date = $4, format = $5, \
             venue = $6, online_link = $7, excluded = $8, revision = revision + 1, update_micros = $9 WHERE id = $10",
        )
        .bind(&f.title)
        .bind(f.start_micros)
        .bind(f.end_micros)
        .bind(dates::to_sql(f.class_date))
        .bind(f.format as i64)
        .bind(&f.venue)
        .bind(&f.online_link)
        .bind(i64::from(f.excluded))
        .bind(dates::now_micros())
        .bind(&current.id)
        .execute(w.conn())
        .await?;
        store_lists(w.conn(), &current.id, &f).await?;
        if f.excluded != current.class.excluded_from_rate {
            snapshot::recount(
                w.conn(),
                &current.plan_id,
                Recount::AttendeesOf(&current.id),
            )
            .await?;
        }
        let updated = reload(w.conn(), &current.id).await?.class;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    /// CancelClass.
    pub async fn cancel(&self, call: Call, req: CancelClassRequest) -> Result<StudyClass> {
        v_required(&req.reason, "reason")?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let current = for_change(w.conn(), &call, &req.name, &req.etag).await?;
        if current.state != ClassState::Scheduled || current.class.members_attended > 0 {
            return Err(Error::state(
                "CLASS_HELD",
                format!(
                    "{} was held ({} members attended); only a class not held can be cancelled",
                    req.name, current.class.members_attended
                ),
            ));
        }
        set_state(w.conn(), &current.id, ClassState::Cancelled).await?;
        sqlx::query("UPDATE classes SET cancel_reason = $1 WHERE id = $2")
            .bind(text::tidy(&req.reason))
            .bind(&current.id)
            .execute(w.conn())
            .await?;
        let updated = reload(w.conn(), &current.id).await?.class;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    /// CloseClass.
    pub async fn close(&self, call: Call, req: CloseClassRequest) -> Result<StudyClass> {
        let (current, plan) = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            let current = for_change(&mut conn, &call, &req.name, &req.etag).await?;
            let plan = plan_record::load(&mut conn, &current.plan_id)
                .await?
                .ok_or_else(|| ApiError::Internal("class without plan".into()))?;
            (current, plan)
        };
        if current.state != ClassState::Scheduled {
            // A retry of the call that closed it gets that call's answer.
            if !req.request_id.is_empty() {
                let w = self.db.begin_write(&call, &req.request_id, &req).await?;
                if let Some(done) = w.replayed::<StudyClass>()? {
                    return Ok(done);
                }
            }
            return Err(Error::state(
                "CLASS_CLOSED",
                format!("{} is already closed", req.name),
            ));
        }
        let expected = self
            .members
            .roster(
                &call,
                "name",
                &current.class.organization,
                current.class_date,
                true,
            )
            .await?;
        // A make-up class expects only those who missed the class it makes
        // up for.
        let expected = match current.class.make_up_for.strip_prefix("classes/") {
            None => expected,
            Some(original) => {
                let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
                let missed: std::collections::HashSet<String> = sqlx::query_as::<_, (String,)>(
                    "SELECT member_id FROM attendance WHERE class_id = $1 AND attended = 0",
                )
                .bind(original)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(m,)| m)
                .collect();
                expected
                    .into_iter()
                    .filter(|m| missed.contains(m.member.trim_start_matches("members/")))
                    .collect()
            }
        };
        let status = plan
            .status(&plan.unmarked_status)
            .cloned()
            .ok_or_else(|| ApiError::Internal("plan without its unmarked status".into()))?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<StudyClass>()? {
            return Ok(done);
        }
        let again = changeable(w.conn(), &call, &req.name, &req.etag).await?;
        if again.state != ClassState::Scheduled {
            return Err(Error::state(
                "CLASS_CLOSED",
                format!("{} is already closed", req.name),
            ));
        }
        let now = dates::now_micros();
        insert_rows(
            w.conn(),
            "INSERT INTO attendance (class_id, member_id, status, attended, remark, org_id, defaulted, \
             update_micros) VALUES {values} ON CONFLICT (class_id, member_id) DO NOTHING",
            8,
            &expected,
            |q, m| {
                q.bind(&current.id)
                    .bind(m.member.trim_start_matches("members/"))
                    .bind(&status.code)
                    .bind(i64::from(status.attended))
                    .bind("")
                    .bind(m.organization.trim_start_matches("organizations/"))
                    .bind(1_i64)
                    .bind(now)
            },
        )
        .await?;
        set_state(w.conn(), &current.id, ClassState::Closed).await?;
        let updated = reload(w.conn(), &current.id).await?.class;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }
}

fn v_required(value: &str, field: &str) -> Result<()> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > 2000 {
        return Err(ApiError::invalid(field, "required, at most 2000 characters").into());
    }
    Ok(())
}

async fn set_state(conn: &mut AnyConnection, id: &str, state: ClassState) -> Result<()> {
    sqlx::query(
        "UPDATE classes SET state = $1, revision = revision + 1, update_micros = $2 WHERE id = $3",
    )
    .bind(state as i64)
    .bind(dates::now_micros())
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
