//! An issued report as a document: a self-contained HTML page in
//! Vietnamese or English (each section's sentence, then its figures with
//! where each came from, then the report's digest), or a CSV of every
//! figure with its provenance.

use probity_proto::probity::reports::v1::{
    ConsistencyReport, Figure, FigureKind, Language, PeriodReport,
};

use super::{
    definitions::{Definition, placeholders, word_of},
    format,
};

/// `text` with HTML's five special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The words of the page in each language.
struct Words {
    lang: &'static str,
    period: &'static str,
    as_of: &'static str,
    figure: &'static str,
    value: &'static str,
    source: &'static str,
    digest: &'static str,
    issued: &'static str,
    unit: &'static str,
    consistency: &'static str,
    mismatches: &'static str,
    check: &'static str,
    checked: &'static str,
}

fn words(lang: Language) -> Words {
    if lang == Language::En {
        Words {
            lang: "en",
            period: "Period",
            as_of: "figures as of",
            figure: "Figure",
            value: "Value",
            source: "Source",
            digest: "Digest of the report (SHA-256)",
            issued: "Issued",
            unit: "Unit",
            consistency: "Consistency across services at issue",
            mismatches: "Mismatches",
            check: "Check",
            checked: "Records compared",
        }
    } else {
        Words {
            lang: "vi",
            period: "Kỳ báo cáo",
            as_of: "số liệu tính đến ngày",
            figure: "Chỉ tiêu",
            value: "Số liệu",
            source: "Nguồn",
            digest: "Mã kiểm tra của báo cáo (SHA-256)",
            issued: "Ban hành",
            unit: "Đơn vị",
            consistency: "Đối chiếu số liệu giữa các hệ thống khi ban hành",
            mismatches: "Sai lệch",
            check: "Nội dung đối chiếu",
            checked: "Số bản ghi đối chiếu",
        }
    }
}

/// A section's sentence with each `{figure}` replaced by its value.
fn sentence(template: &str, key: &str, figures: &[Figure], lang: Language) -> String {
    let mut out = template.to_string();
    for name in placeholders(template) {
        let value = figures
            .iter()
            .find(|f| f.key == format!("{key}/{name}"))
            .map(|f| format::figure(f, lang))
            .unwrap_or_default();
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

/// The report as an HTML page in `lang`; `definition` is the version it
/// was issued by (for the sections' sentences).
pub fn html(report: &PeriodReport, definition: &Definition, lang: Language) -> String {
    let w = words(lang);
    let en = lang == Language::En;
    let title = if en {
        &report.title_en
    } else {
        &report.title_vi
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: \"DejaVu Sans\", \"Noto Sans\", sans-serif; margin: 2em; color: #111; }}\n\
         table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}\n\
         th, td {{ border: 1px solid #999; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }}\n\
         td.num {{ text-align: right; white-space: nowrap; }}\n\
         td.src {{ font-size: 0.8em; color: #444; }}\n\
         p.summary {{ font-size: 1.1em; }}\n\
         footer {{ font-size: 0.8em; color: #444; word-break: break-all; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">{} — {}: {} – {}; {} {}</p>\n",
        w.lang,
        escape(title),
        escape(title),
        escape(&report.organization_display_name),
        w.period,
        format::date(report.period_start.as_ref(), lang),
        format::date(report.period_end.as_ref(), lang),
        w.as_of,
        format::date(report.as_of.as_ref(), lang),
    );
    for s in &report.sections {
        let def = definition
            .sections
            .iter()
            .find(|d| s.key == d.key || s.key.starts_with(&format!("{}/", d.key)));
        out.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            escape(&s.key),
            escape(if en { &s.title_en } else { &s.title_vi })
        ));
        if let Some(d) = def {
            let template = if en { &d.sentence_en } else { &d.sentence_vi };
            if !template.is_empty() {
                out.push_str(&format!(
                    "<p class=\"summary\">{}</p>\n",
                    escape(&sentence(template, &s.key, &s.figures, lang))
                ));
            }
        }
        if let Some(svg) = super::chart::breakdown_svg(s, lang) {
            out.push_str("<figure class=\"chart\">\n");
            out.push_str(&svg);
            out.push_str("\n</figure>\n");
        }
        out.push_str(&format!(
            "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            w.figure, w.value, w.source
        ));
        for f in &s.figures {
            let p = f.provenance.clone().unwrap_or_default();
            let service = p.service.rsplit('.').next().unwrap_or_default();
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"src\">{}.{} · {} · {} · {}</td></tr>\n",
                escape(if en { &f.label_en } else { &f.label_vi }),
                escape(&format::figure(f, lang)),
                escape(service),
                escape(&p.method),
                escape(&p.field),
                format::date(p.as_of.as_ref(), lang),
                escape(&p.input_digest.chars().take(12).collect::<String>()),
            ));
        }
        out.push_str("</tbody>\n</table>\n");
        if !s.breakdown.is_empty() {
            out.push_str(&format!(
                "<table class=\"breakdown\">\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
                w.unit, w.value
            ));
            for f in &s.breakdown {
                out.push_str(&format!(
                    "<tr><td>{}</td><td class=\"num\">{}</td></tr>\n",
                    escape(&f.label_vi),
                    escape(&format::figure(f, lang))
                ));
            }
            out.push_str("</tbody>\n</table>\n");
        }
        out.push_str("</section>\n");
    }
    if let Some(c) = &report.consistency {
        consistency(&mut out, c, &w);
    }
    let issued = report
        .issue_time
        .as_ref()
        .and_then(probity_platform::dates::vietnam_date)
        .map(|d| format::date(Some(&probity_platform::dates::to_proto(d)), lang))
        .unwrap_or_default();
    out.push_str(&format!(
        "<footer>\n<p>{}: {} ({})</p>\n<p>{}: <code>{}</code></p>\n</footer>\n</body>\n</html>\n",
        w.issued,
        issued,
        escape(&report.name),
        w.digest,
        escape(&report.digest)
    ));
    out
}

/// The consistency check run at issue: each check's coverage and the
/// number of mismatches (their details are CheckConsistency's, for those
/// who may read them).
fn consistency(out: &mut String, c: &ConsistencyReport, w: &Words) {
    out.push_str(&format!(
        "<section id=\"consistency\">\n<h2>{}</h2>\n<p class=\"summary\">{}: {}</p>\n",
        w.consistency, w.mismatches, c.mismatch_count
    ));
    out.push_str(&format!(
        "<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        w.check, w.checked, w.mismatches
    ));
    for check in &c.checks {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            escape(&check.name),
            check.items_checked,
            check.mismatches
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str("</section>\n");
}

/// One CSV field, quoted when it must be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Every figure of the report with its provenance, one row each, after a
/// header row.
pub fn csv(report: &PeriodReport) -> String {
    let mut out = String::from(
        "section,key,label_vi,label_en,kind,value,numerator,denominator,percent,suppressed,shown,\
         service,method,request,field,as_of,rules,input_digest\n",
    );
    for s in &report.sections {
        for f in s.figures.iter().chain(&s.breakdown) {
            let p = f.provenance.clone().unwrap_or_default();
            let kind = word_of(FigureKind::try_from(f.kind).unwrap_or_default()).to_string();
            let rules: Vec<String> = p
                .rules
                .iter()
                .map(|r| format!("{}: {}", r.rule, r.version))
                .collect();
            let as_of = p
                .as_of
                .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                .unwrap_or_default();
            let row = [
                s.key.clone(),
                f.key.clone(),
                f.label_vi.clone(),
                f.label_en.clone(),
                kind,
                f.value.to_string(),
                f.numerator.to_string(),
                f.denominator.to_string(),
                f.percent.clone(),
                f.suppressed.to_string(),
                format::figure(f, Language::En),
                p.service,
                p.method,
                p.request,
                p.field,
                as_of,
                rules.join("; "),
                p.input_digest,
            ];
            let row: Vec<String> = row.iter().map(|c| field(c)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
    }

    #[test]
    fn a_sentence_takes_its_sections_figures() {
        let f = Figure {
            key: "plan/plans/x/classes_held".into(),
            kind: FigureKind::Count as i32,
            value: 317,
            ..Default::default()
        };
        assert_eq!(
            sentence(
                "Tổ chức {classes_held} lớp.",
                "plan/plans/x",
                &[f],
                Language::Vi
            ),
            "Tổ chức 317 lớp."
        );
    }
}
