//! Numbers, rates, amounts and dates as each language writes them:
//! Vietnamese `32.560`, `98,71 %`, `30/11/2016`; English `32,560`,
//! `98.71 %`, `30 November 2016`.

use probity_proto::{
    google::r#type::Date,
    probity::reports::v1::{Figure, FigureKind, Language},
};

/// `n` with the language's thousands separator.
pub fn number(n: i64, lang: Language) -> String {
    let sep = if lang == Language::En { ',' } else { '.' };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A percentage as the source gave it (`98.71`) in the language, with its
/// sign: `98,71 %` or `98.71 %`; empty stays empty.
pub fn percent(p: &str, lang: Language) -> String {
    if p.is_empty() {
        return String::new();
    }
    let p = if lang == Language::En {
        p.to_string()
    } else {
        p.replace('.', ",")
    };
    format!("{p} %")
}

/// A date: `30/11/2016` or `30 November 2016`.
pub fn date(d: Option<&Date>, lang: Language) -> String {
    let Some(d) = d else {
        return String::new();
    };
    if lang == Language::En {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        let month = MONTHS
            .get((d.month.max(1) - 1) as usize)
            .copied()
            .unwrap_or_default();
        format!("{} {month} {}", d.day, d.year)
    } else {
        format!("{:02}/{:02}/{:04}", d.day, d.month, d.year)
    }
}

/// A figure's value in the language: a count, `32.560/32.986 (98,71 %)`,
/// an amount with its currency, or what the source showed for a
/// suppressed figure.
pub fn figure(f: &Figure, lang: Language) -> String {
    if f.suppressed {
        return f.suppressed_display.clone();
    }
    match FigureKind::try_from(f.kind).unwrap_or_default() {
        FigureKind::Rate if f.denominator == 0 => "—".into(),
        FigureKind::Rate => format!(
            "{}/{} ({})",
            number(f.numerator, lang),
            number(f.denominator, lang),
            percent(&f.percent, lang)
        ),
        FigureKind::AmountVnd if lang == Language::En => format!("{} VND", number(f.value, lang)),
        FigureKind::AmountVnd => format!("{} đồng", number(f.value, lang)),
        _ => number(f.value, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_take_each_languages_separator() {
        assert_eq!(number(32_560, Language::Vi), "32.560");
        assert_eq!(number(32_560, Language::En), "32,560");
        assert_eq!(number(317, Language::Vi), "317");
        assert_eq!(number(1_000_000, Language::Vi), "1.000.000");
        assert_eq!(number(-5_873, Language::En), "-5,873");
        assert_eq!(number(0, Language::Vi), "0");
    }

    #[test]
    fn percentages_and_dates() {
        assert_eq!(percent("98.71", Language::Vi), "98,71 %");
        assert_eq!(percent("98.71", Language::En), "98.71 %");
        let d = Date {
            year: 2016,
            month: 11,
            day: 30,
        };
        assert_eq!(date(Some(&d), Language::Vi), "30/11/2016");
        assert_eq!(date(Some(&d), Language::En), "30 November 2016");
    }

    #[test]
    fn figures_read_as_the_seed_writes_them() {
        let rate = Figure {
            kind: FigureKind::Rate as i32,
            numerator: 32_560,
            denominator: 32_986,
            percent: "98.71".into(),
            ..Default::default()
        };
        assert_eq!(figure(&rate, Language::Vi), "32.560/32.986 (98,71 %)");
        assert_eq!(figure(&rate, Language::En), "32,560/32,986 (98.71 %)");
        let hidden = Figure {
            kind: FigureKind::Count as i32,
            suppressed: true,
            suppressed_display: "<5".into(),
            ..Default::default()
        };
        assert_eq!(figure(&hidden, Language::Vi), "<5");
        let amount = Figure {
            kind: FigureKind::AmountVnd as i32,
            value: 33_000_000_000,
            ..Default::default()
        };
        assert_eq!(figure(&amount, Language::Vi), "33.000.000.000 đồng");
    }
}
