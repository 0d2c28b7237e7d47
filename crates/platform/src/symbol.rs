//! Number-symbols of Party and State documents (số, ký hiệu văn bản).
//!
//! Party documents: `NUMBER-KIND/ISSUER`, e.g. `04-NQ/TW` (Central
//! resolution 4), `31-KH/TU` (a provincial committee's plan), `132-QĐ/TW`,
//! `15-KH/HU`, `07-NQ/ĐU`; the issuer may carry a suffix (`/BTGTU`, `-BTC`).
//! State documents: `NUMBER/YEAR/KIND-ISSUER`, e.g. `130/2020/NĐ-CP`.
//! Input is trimmed, put in NFC and upper case (`đ` → `Đ`).

use unicode_normalization::UnicodeNormalization;

/// What kind of document a symbol names, from its kind letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// NQ: resolution (nghị quyết).
    Resolution,
    /// CT: directive (chỉ thị).
    Directive,
    /// KL: conclusion (kết luận).
    Conclusion,
    /// QĐ: regulation or decision (quy định, quyết định).
    Decision,
    /// KH: plan (kế hoạch).
    Plan,
    /// HD: guidance (hướng dẫn).
    Guidance,
    /// TB: notice (thông báo).
    Notice,
    /// BC: report (báo cáo).
    Report,
    /// NĐ: decree (nghị định).
    Decree,
    /// TT: circular (thông tư).
    Circular,
    /// Any other kind letters (CV, TTr, QC, …).
    Other,
}

impl DocumentKind {
    fn from_letters(letters: &str) -> Self {
        match letters {
            "NQ" => Self::Resolution,
            "CT" => Self::Directive,
            "KL" => Self::Conclusion,
            "QĐ" => Self::Decision,
            "KH" => Self::Plan,
            "HD" => Self::Guidance,
            "TB" => Self::Notice,
            "BC" => Self::Report,
            "NĐ" => Self::Decree,
            "TT" => Self::Circular,
            _ => Self::Other,
        }
    }
}

/// A parsed number-symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSymbol {
    /// The document number.
    pub number: u32,
    /// The kind letters as written, e.g. `NQ`, `QĐ`.
    pub kind_letters: String,
    /// The kind.
    pub kind: DocumentKind,
    /// The issuer, e.g. `TW`, `TU`, `ĐU`, `CP`.
    pub issuer: String,
    /// The year, for State documents that carry it.
    pub year: Option<i32>,
    /// The symbol in canonical form.
    pub canonical: String,
}

fn is_code(s: &str, max: usize) -> bool {
    let n = s.chars().count();
    (1..=max).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == 'Đ')
}

fn letters(s: &str) -> bool {
    is_code(s, 5) && s.chars().all(|c| c.is_ascii_uppercase() || c == 'Đ')
}

/// Parses a number-symbol, or says what is wrong with it.
pub fn parse(text: &str) -> Result<DocumentSymbol, String> {
    let s: String = text.trim().nfc().collect::<String>().to_uppercase();
    let bad =
        || format!("{text:?} is not a document number-symbol like 04-NQ/TW or 130/2020/NĐ-CP");
    let number = |n: &str| -> Result<u32, String> {
        if n.is_empty() || n.len() > 5 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(bad)
    };
    let parts: Vec<&str> = s.split('/').collect();
    // State form: NUMBER/YEAR/KIND-ISSUER.
    if parts.len() == 3 && parts[1].len() == 4 && parts[1].bytes().all(|b| b.is_ascii_digit()) {
        let n = number(parts[0])?;
        let year: i32 = parts[1].parse().map_err(|_| bad())?;
        let (kind, issuer) = parts[2].split_once('-').ok_or_else(bad)?;
        if !(1945..=2100).contains(&year)
            || !letters(kind)
            || !issuer.split('-').all(|p| is_code(p, 10))
        {
            return Err(bad());
        }
        return Ok(DocumentSymbol {
            number: n,
            kind_letters: kind.to_string(),
            kind: DocumentKind::from_letters(kind),
            issuer: issuer.to_string(),
            year: Some(year),
            canonical: s.clone(),
        });
    }
    // State form without a year: NUMBER/KIND-ISSUER (a State Audit report
    // `45/BC-KTNN`, an inspection conclusion `12/KL-TTCP`).
    if parts.len() == 2 && !parts[0].is_empty() && parts[0].bytes().all(|b| b.is_ascii_digit()) {
        let n = number(parts[0])?;
        let (kind, issuer) = parts[1].split_once('-').ok_or_else(bad)?;
        if !letters(kind) || !issuer.split('-').all(|p| is_code(p, 10)) {
            return Err(bad());
        }
        return Ok(DocumentSymbol {
            number: n,
            kind_letters: kind.to_string(),
            kind: DocumentKind::from_letters(kind),
            issuer: issuer.to_string(),
            year: None,
            canonical: s.clone(),
        });
    }
    // Party form: NUMBER-KIND/ISSUER[/MORE].
    if parts.len() < 2 {
        return Err(bad());
    }
    let (n, kind) = parts[0].split_once('-').ok_or_else(bad)?;
    let n = number(n)?;
    if !letters(kind)
        || !parts[1..]
            .iter()
            .all(|p| p.split('-').all(|q| is_code(q, 10)))
    {
        return Err(bad());
    }
    Ok(DocumentSymbol {
        number: n,
        kind_letters: kind.to_string(),
        kind: DocumentKind::from_letters(kind),
        issuer: parts[1..].join("/"),
        year: None,
        canonical: format!("{:02}-{kind}/{}", n, parts[1..].join("/")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_real_forms() {
        for (text, kind, issuer) in [
            ("31-KH/TU", DocumentKind::Plan, "TU"),
            ("04-NQ/TW", DocumentKind::Resolution, "TW"),
            ("05-CT/TW", DocumentKind::Directive, "TW"),
            ("10-KL/TW", DocumentKind::Conclusion, "TW"),
            ("50-CT/TW", DocumentKind::Directive, "TW"),
            ("27-CT/TW", DocumentKind::Directive, "TW"),
            ("132-QĐ/TW", DocumentKind::Decision, "TW"),
            ("15-KH/HU", DocumentKind::Plan, "HU"),
            ("07-NQ/ĐU", DocumentKind::Resolution, "ĐU"),
            ("12-HD/BTCTW", DocumentKind::Guidance, "BTCTW"),
        ] {
            let s = parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (s.kind, s.issuer.as_str(), s.canonical.as_str()),
                (kind, issuer, text),
                "{text}"
            );
        }
        let s = parse(" 4-nq/tw ").unwrap();
        assert_eq!(s.canonical, "04-NQ/TW");
        let s = parse("07-nq/đu").unwrap();
        assert_eq!(s.canonical, "07-NQ/ĐU");
        let s = parse("45/bc-ktnn").unwrap();
        assert_eq!(
            (
                s.kind_letters.as_str(),
                s.issuer.as_str(),
                s.canonical.as_str()
            ),
            ("BC", "KTNN", "45/BC-KTNN")
        );
        assert_eq!(parse("12/KL-TTCP").unwrap().issuer, "TTCP");
        let s = parse("130/2020/NĐ-CP").unwrap();
        assert_eq!(
            (s.kind, s.year, s.issuer.as_str()),
            (DocumentKind::Decree, Some(2020), "CP")
        );
    }

    #[test]
    fn refuses_what_is_not_a_symbol() {
        for text in [
            "",
            "NQ/TW",
            "04NQ/TW",
            "04-NQ",
            "0-NQ/TW",
            "04-NQ/",
            "abc",
            "04-N Q/TW",
            "04-NQ/TW!",
            "130/20/NĐ-CP",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
