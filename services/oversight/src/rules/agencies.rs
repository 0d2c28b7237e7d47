//! The rules of the agency registry: a unique code of capital letters,
//! digits and dashes, a name, a kind and a level.

use probity_platform::{Violations, limits, text};
use probity_proto::probity::oversight::v1::{Agency, AgencyKind, AgencyLevel};

use crate::error::Result;

/// An agency, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgency {
    /// The code, in capitals.
    pub code: String,
    /// The name, tidied.
    pub display_name: String,
    /// The kind.
    pub kind: AgencyKind,
    /// The level.
    pub level: AgencyLevel,
}

/// A code as stored (capitals), if it is one: letters, digits and dashes,
/// at most [`limits::CODE`] characters, not starting or ending with a dash.
pub fn code(field: &str, given: &str, v: &mut Violations) -> String {
    let code = given.trim().to_ascii_uppercase();
    let good = !code.is_empty()
        && code.chars().count() <= limits::CODE
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !code.starts_with('-')
        && !code.ends_with('-');
    v.check(
        !good,
        field,
        "required: letters, digits and dashes, at most 64 characters",
    );
    code
}

/// A display name as stored, refusing control characters and overlong
/// names.
pub fn display_name(field: &str, given: &str, max: usize, v: &mut Violations) -> String {
    match text::name(given) {
        Ok(n) if n.is_empty() => {
            v.add(field, "required");
            n
        }
        Ok(n) if n.chars().count() > max => {
            v.add(field, format!("at most {max} characters"));
            n
        }
        Ok(n) => n,
        Err(why) => {
            v.add(field, why);
            String::new()
        }
    }
}

/// Checks an agency to register.
pub fn validate(a: &Agency) -> Result<NewAgency> {
    let mut v = Violations::new();
    let code = code("agency.code", &a.code, &mut v);
    let display_name = display_name(
        "agency.display_name",
        &a.display_name,
        limits::LABEL,
        &mut v,
    );
    let kind = AgencyKind::try_from(a.kind).unwrap_or(AgencyKind::Unspecified);
    v.check(kind == AgencyKind::Unspecified, "agency.kind", "required");
    let level = AgencyLevel::try_from(a.level).unwrap_or(AgencyLevel::Unspecified);
    v.check(
        level == AgencyLevel::Unspecified,
        "agency.level",
        "required",
    );
    v.into_result()?;
    Ok(NewAgency {
        code,
        display_name,
        kind,
        level,
    })
}

#[cfg(test)]
mod tests {
    use probity_platform::ApiError;

    use super::*;

    fn agency() -> Agency {
        Agency {
            code: "csdt-ca-tn".into(),
            display_name: " Cơ quan  Cảnh sát điều tra ".into(),
            kind: AgencyKind::Investigation as i32,
            level: AgencyLevel::Province as i32,
            ..Default::default()
        }
    }

    #[test]
    fn a_code_is_stored_in_capitals_and_a_name_tidied() {
        let a = validate(&agency()).unwrap();
        assert_eq!(a.code, "CSDT-CA-TN");
        assert_eq!(a.display_name, "Cơ quan Cảnh sát điều tra");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = Agency {
            code: "-x y".into(),
            display_name: String::new(),
            ..Default::default()
        };
        let Err(e) = validate(&bad) else {
            panic!("refused")
        };
        let ApiError::InvalidArgument(found) = ApiError::from(e) else {
            panic!("violations")
        };
        let fields: Vec<&str> = found.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "agency.code",
                "agency.display_name",
                "agency.kind",
                "agency.level"
            ]
        );
    }
}
