//! The rules of classes: what a class's fields may be (inside its plan's
//! period, a venue or a link for its format, presenters and materials),
//! and what a make-up class may make up for. Which state allows which
//! change is in [`super::class_lifecycle`].

use probity_platform::{ApiError, Violations, dates, resource::parse_name, text};
use probity_proto::probity::study::v1::{ClassFormat, ClassState, StudyClass};

use crate::error::Result;

/// Fields UpdateClass may change.
pub const SETTABLE: [&str; 9] = [
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

/// A presenter: full name, position, member id.
pub type PresenterFields = (String, String, Option<String>);
/// A material: title, document id, copies.
pub type MaterialFields = (String, Option<String>, i64);

/// A class's settable fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    /// The title, tidied.
    pub title: String,
    /// Start (µs).
    pub start_micros: i64,
    /// End (µs).
    pub end_micros: Option<i64>,
    /// The class date in Vietnam.
    pub class_date: time::Date,
    /// Its format.
    pub format: ClassFormat,
    /// Its venue, tidied.
    pub venue: String,
    /// Its online link.
    pub online_link: String,
    /// Its presenters.
    pub presenters: Vec<PresenterFields>,
    /// Its materials.
    pub materials: Vec<MaterialFields>,
    /// Left out of the attendance rate.
    pub excluded: bool,
}

/// The period of a class's plan, first and last day.
pub type Period = (time::Date, time::Date);

/// Checks the fields of `c` against its plan's `period`, prefixing
/// violations with `study_class.`.
pub fn check(v: &mut Violations, c: &StudyClass, period: Period) -> Option<Fields> {
    let (period_start, period_end) = period;
    let title = text::tidy(&c.title);
    v.check(
        title.is_empty() || title.chars().count() > probity_platform::limits::SHORT_TEXT,
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
        && (d < period_start || d > period_end)
    {
        v.add(
            "study_class.start_time",
            format!(
                "the class date {d} is outside the plan's period {period_start} to {period_end}"
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
        venue.chars().count() > probity_platform::limits::SHORT_TEXT,
        "study_class.venue",
        "at most 500 characters",
    );
    v.check(
        !link.is_empty()
            && (link.len() > probity_platform::limits::REASON
                || !(link.starts_with("https://") || link.starts_with("http://"))),
        "study_class.online_link",
        "an http(s) URL of at most 2000 characters",
    );
    v.check(
        c.presenters.len() > probity_platform::limits::PRESENTERS,
        "study_class.presenters",
        "at most 50",
    );
    let mut presenters = Vec::new();
    for (i, p) in c.presenters.iter().enumerate() {
        let name = text::tidy(&p.full_name);
        v.check(
            name.is_empty() || name.chars().count() > probity_platform::limits::NAME,
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
        c.materials.len() > probity_platform::limits::MATERIALS,
        "study_class.materials",
        "at most 100",
    );
    let mut materials = Vec::new();
    for (i, m) in c.materials.iter().enumerate() {
        let title = text::tidy(&m.title);
        v.check(
            title.is_empty() || title.chars().count() > probity_platform::limits::SHORT_TEXT,
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

/// Whether an UpdateClass field is set in `c` (for a request without a
/// mask).
pub fn is_set(c: &StudyClass, field: &str) -> bool {
    match field {
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
    }
}

/// `current` with the fields named by `paths` taken from `c`.
pub fn merge(current: &StudyClass, c: &StudyClass, paths: &[&str]) -> StudyClass {
    let mut merged = current.clone();
    for p in paths {
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
    merged
}

/// A CreateClass request, checked: its fields, the organiser's id and the
/// class it makes up for.
#[derive(Debug, Clone)]
pub struct NewClass {
    /// The class's fields.
    pub fields: Fields,
    /// The class it makes up for (id).
    pub make_up_for: Option<String>,
}

/// Checks a new class of a plan with `period`.
pub fn validate_new(c: &StudyClass, period: Period) -> Result<NewClass> {
    let mut v = Violations::new();
    let fields = check(&mut v, c, period);
    let org = parse_name("study_class.organization", &c.organization, "organizations")
        .map_err(|_| v.add("study_class.organization", "required, `organizations/{id}`"))
        .ok();
    let make_up_for = if c.make_up_for.is_empty() {
        None
    } else {
        parse_name("", &c.make_up_for, "classes")
            .map_err(|_| v.add("study_class.make_up_for", "must be `classes/{id}`"))
            .ok()
            .map(str::to_string)
    };
    v.into_result()?;
    let (Some(fields), Some(_)) = (fields, org) else {
        return Err(ApiError::Internal("validated fields missing".into()).into());
    };
    Ok(NewClass {
        fields,
        make_up_for,
    })
}

/// What a make-up class checks of the class it makes up for.
#[derive(Debug, Clone, Copy)]
pub struct Original<'a> {
    /// Its plan's id.
    pub plan_id: &'a str,
    /// Its state.
    pub state: ClassState,
    /// Its date.
    pub class_date: time::Date,
}

/// Refuses a make-up for a class that does not exist, belongs to another
/// plan, was cancelled or is held later.
pub fn check_make_up(
    name: &str,
    original: Option<Original<'_>>,
    plan_id: &str,
    class_date: time::Date,
) -> Result<()> {
    let why = match original {
        None => Some("no such class".to_string()),
        Some(o) if o.plan_id != plan_id => Some("belongs to another plan".into()),
        Some(o) if o.state == ClassState::Cancelled => Some("was cancelled".into()),
        Some(o) if o.class_date > class_date => Some(format!("is held later ({})", o.class_date)),
        Some(_) => None,
    };
    match why {
        Some(why) => {
            Err(ApiError::invalid("study_class.make_up_for", format!("{name}: {why}")).into())
        }
        None => Ok(()),
    }
}

/// The organiser of a class: inside the plan's scope and in existence on
/// the class date.
pub fn check_organizer(
    name: &str,
    lineage: &[String],
    exists: bool,
    scope_id: &str,
    scope: &str,
    class_date: time::Date,
) -> Result<()> {
    if !lineage.iter().any(|id| id == scope_id) {
        return Err(ApiError::invalid(
            "study_class.organization",
            format!("{name} is outside the plan's scope {scope}"),
        )
        .into());
    }
    if !exists {
        return Err(ApiError::invalid(
            "study_class.organization",
            format!("{name} does not exist on {class_date}"),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use crate::error::Error;

    use super::*;

    /// 09:00 in Vietnam on 2016-12-10.
    fn at_ten_december() -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp {
            seconds: 1_481_335_200,
            nanos: 0,
        })
    }

    fn class(format: ClassFormat) -> StudyClass {
        StudyClass {
            title: "Hội nghị quán triệt".into(),
            organization: "organizations/o".into(),
            start_time: at_ten_december(),
            format: format as i32,
            venue: "Hội trường".into(),
            ..Default::default()
        }
    }

    const PERIOD: Period = (date!(2016 - 12 - 01), date!(2017 - 02 - 28));

    fn fields(c: &StudyClass, period: Period) -> Vec<String> {
        match validate_new(c, period) {
            Ok(_) => Vec::new(),
            Err(Error::Api(ApiError::InvalidArgument(v))) => {
                v.into_iter().map(|x| x.field).collect()
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_class_is_dated_in_vietnam() {
        let new = validate_new(&class(ClassFormat::InPerson), PERIOD).unwrap();
        assert_eq!(new.fields.class_date, date!(2016 - 12 - 10));
    }

    #[test]
    fn a_class_falls_in_its_plans_period() {
        let late = (date!(2016 - 12 - 11), date!(2017 - 02 - 28));
        assert_eq!(
            fields(&class(ClassFormat::InPerson), late),
            vec!["study_class.start_time"]
        );
    }

    #[test]
    fn an_online_class_needs_a_link_and_an_in_person_one_a_venue() {
        let mut c = class(ClassFormat::Online);
        assert_eq!(fields(&c, PERIOD), vec!["study_class.online_link"]);
        c.format = ClassFormat::InPerson as i32;
        c.venue.clear();
        assert_eq!(fields(&c, PERIOD), vec!["study_class.venue"]);
    }

    #[test]
    fn a_make_up_follows_a_held_class_of_the_same_plan() {
        let original = |plan_id, state, day| {
            Some(Original {
                plan_id,
                state,
                class_date: day,
            })
        };
        let day = date!(2017 - 01 - 05);
        assert!(
            check_make_up(
                "classes/a",
                original("p", ClassState::Closed, date!(2016 - 12 - 10)),
                "p",
                day
            )
            .is_ok()
        );
        assert!(
            check_make_up(
                "classes/a",
                original("q", ClassState::Closed, date!(2016 - 12 - 10)),
                "p",
                day
            )
            .is_err()
        );
        assert!(
            check_make_up(
                "classes/a",
                original("p", ClassState::Cancelled, date!(2016 - 12 - 10)),
                "p",
                day
            )
            .is_err()
        );
        assert!(
            check_make_up(
                "classes/a",
                original("p", ClassState::Closed, date!(2017 - 01 - 06)),
                "p",
                day
            )
            .is_err()
        );
        assert!(check_make_up("classes/a", None, "p", day).is_err());
    }

    #[test]
    fn the_organiser_lies_in_the_plans_scope() {
        let lineage = vec!["p".to_string(), "d".to_string()];
        let day = date!(2016 - 12 - 10);
        assert!(
            check_organizer(
                "organizations/d",
                &lineage,
                true,
                "p",
                "organizations/p",
                day
            )
            .is_ok()
        );
        assert!(
            check_organizer(
                "organizations/d",
                &lineage,
                true,
                "x",
                "organizations/x",
                day
            )
            .is_err()
        );
        assert!(
            check_organizer(
                "organizations/d",
                &lineage,
                false,
                "p",
                "organizations/p",
                day
            )
            .is_err()
        );
    }

    #[test]
    fn an_update_merges_only_the_masked_fields() {
        let current = class(ClassFormat::InPerson);
        let sent = StudyClass {
            title: "Mới".into(),
            excluded_from_rate: true,
            ..Default::default()
        };
        let merged = merge(&current, &sent, &["excluded_from_rate"]);
        assert!(merged.excluded_from_rate);
        assert_eq!(merged.title, current.title);
    }
}
