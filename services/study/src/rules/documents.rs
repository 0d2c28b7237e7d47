//! The rules of the document registry: what a document's fields may be,
//! and how a parsed number-symbol's kind appears on the wire.

use probity_platform::{ApiError, Violations, dates, symbol};
use probity_proto::probity::study::v1::{Document, DocumentKind};
use time::Date;

use crate::error::Result;

/// Longest title.
pub const MAX_TITLE: usize = probity_platform::limits::TITLE;
/// Longest issuing body.
pub const MAX_FIELD: usize = probity_platform::limits::FIELD;
/// Fields UpdateDocument may change.
pub const UPDATABLE: [&str; 4] = ["title", "issuing_body", "term", "issue_date"];

/// The wire kind of a parsed symbol's kind.
pub fn kind_of(parsed: symbol::DocumentKind) -> DocumentKind {
    use symbol::DocumentKind as Parsed;
    match parsed {
        Parsed::Resolution => DocumentKind::Resolution,
        Parsed::Directive => DocumentKind::Directive,
        Parsed::Conclusion => DocumentKind::Conclusion,
        Parsed::Decision => DocumentKind::Decision,
        Parsed::Plan => DocumentKind::Plan,
        Parsed::Guidance => DocumentKind::Guidance,
        Parsed::Notice => DocumentKind::Notice,
        Parsed::Report => DocumentKind::Report,
        Parsed::Decree => DocumentKind::Decree,
        Parsed::Circular => DocumentKind::Circular,
        Parsed::Other => DocumentKind::Other,
    }
}

/// Checks the descriptive fields named by `paths` (the issuing body and
/// term always), on `today`.
pub fn check_text(v: &mut Violations, d: &Document, paths: &[&str], today: Date) {
    if paths.contains(&"title") {
        v.check_name_chars("document.title", &d.title);
        let title = probity_platform::text::tidy(&d.title);
        v.check(
            title.is_empty() || title.chars().count() > MAX_TITLE,
            "document.title",
            "required, at most 1000 characters",
        );
    }
    v.check(
        d.issuing_body.chars().count() > MAX_FIELD,
        "document.issuing_body",
        "at most 200 characters",
    );
    v.check(
        d.term.chars().count() > probity_platform::limits::TERM,
        "document.term",
        "at most 20 characters",
    );
    if paths.contains(&"issue_date") {
        match dates::required("document.issue_date", d.issue_date.as_ref()) {
            Err(e) => v.add(e.field, e.description),
            Ok(date) if date > today => v.add("document.issue_date", "must not be in the future"),
            Ok(_) => {}
        }
    }
}

/// A new document, checked: its parsed symbol and its issue date.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// The parsed number-symbol.
    pub symbol: symbol::DocumentSymbol,
    /// The issue date.
    pub issued: Date,
}

/// Checks a CreateDocument request's document on `today`: a valid
/// number-symbol, a title, an issue date not in the future and in the
/// symbol's year when the symbol has one.
pub fn validate_new(d: &Document, today: Date) -> Result<NewDocument> {
    let mut v = Violations::new();
    let parsed = if d.symbol.trim().is_empty() {
        v.add("document.symbol", "required");
        None
    } else {
        symbol::parse(&d.symbol)
            .map_err(|e| v.add("document.symbol", e))
            .ok()
    };
    check_text(&mut v, d, &["title", "issue_date"], today);
    v.into_result()?;
    let parsed = parsed.ok_or_else(|| ApiError::invalid("document.symbol", "required"))?;
    let issued =
        dates::required("document.issue_date", d.issue_date.as_ref()).map_err(ApiError::from)?;
    if parsed.year.is_some_and(|y| y != issued.year()) {
        return Err(ApiError::invalid(
            "document.issue_date",
            format!("{} is dated in another year", parsed.canonical),
        )
        .into());
    }
    Ok(NewDocument {
        symbol: parsed,
        issued,
    })
}

/// Whether an UpdateDocument field is set in `d` (for a request without a
/// mask).
pub fn is_set(d: &Document, path: &str) -> bool {
    match path {
        "title" => !d.title.is_empty(),
        "issuing_body" => !d.issuing_body.is_empty(),
        "term" => !d.term.is_empty(),
        "issue_date" => d.issue_date.is_some(),
        _ => false,
    }
}

/// A document list's year filter as an ISO date range.
pub fn year_range(year: i32) -> (String, String) {
    if year == 0 {
        ("0000-01-01".to_string(), "9999-12-31".to_string())
    } else {
        (format!("{year:04}-01-01"), format!("{year:04}-12-31"))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn document(symbol: &str, y: i32, m: i32, d: i32) -> Document {
        Document {
            symbol: symbol.into(),
            title: "Nghị quyết".into(),
            issue_date: Some(probity_proto::google::r#type::Date {
                year: y,
                month: m,
                day: d,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_symbol_is_parsed_to_its_canonical_form() {
        let new = validate_new(&document("04-nq/tw", 2016, 10, 30), date!(2020 - 01 - 01)).unwrap();
        assert_eq!(new.symbol.canonical, "04-NQ/TW");
        assert_eq!(kind_of(new.symbol.kind), DocumentKind::Resolution);
    }

    #[test]
    fn a_document_is_not_dated_in_the_future() {
        assert!(validate_new(&document("04-NQ/TW", 2016, 10, 30), date!(2016 - 10 - 29)).is_err());
    }

    #[test]
    fn a_symbol_without_its_form_is_refused() {
        assert!(validate_new(&document("31/TU", 2016, 11, 30), date!(2020 - 01 - 01)).is_err());
    }

    #[test]
    fn a_year_filter_covers_the_whole_year() {
        assert_eq!(year_range(2016), ("2016-01-01".into(), "2016-12-31".into()));
        assert_eq!(year_range(0).0, "0000-01-01");
    }
}
