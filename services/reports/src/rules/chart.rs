//! The charts of a report, drawn on the server as SVG with plotters: a
//! section's breakdown (for a study plan, attendance by child
//! organisation) as horizontal bars of its percentages. Plotters escapes
//! the text it writes, so organisation names cannot inject markup.

use plotters::{
    coord::ranged1d::{IntoSegmentedCoord, SegmentValue},
    prelude::*,
};
use probity_proto::probity::reports::v1::{Language, ReportSection};

/// Width of a chart, in pixels.
const WIDTH: u32 = 760;
/// Height of one bar's row.
const ROW: u32 = 26;

/// The section's breakdown as an SVG bar chart of percentages, one bar a
/// child, in the breakdown's order from the top; `None` when no child has
/// a rate to draw (none, or all suppressed).
pub fn breakdown_svg(section: &ReportSection, lang: Language) -> Option<String> {
    let bars: Vec<(String, f64)> = section
        .breakdown
        .iter()
        .filter(|f| !f.suppressed)
        .filter_map(|f| Some((f.label_vi.clone(), f.percent.parse::<f64>().ok()?)))
        .collect();
    if bars.is_empty() {
        return None;
    }
    let broken = section
        .breakdown
        .first()
        .and_then(|f| f.key.rsplit_once("/organizations/"))
        .map(|(key, _)| key)
        .and_then(|key| section.figures.iter().find(|f| f.key == key));
    let title = match (broken, lang) {
        (Some(f), Language::En) => format!("{}, by unit (%)", f.label_en),
        (Some(f), _) => format!("{} theo đơn vị (%)", f.label_vi),
        (None, _) => String::new(),
    };
    let n = bars.len() as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, 70 + ROW * n)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(240)
            // An integer range's end is a value of it: 0..n-1 is n rows.
            .build_cartesian_2d(0f64..100f64, (0..n - 1).into_segmented())
            .ok()?;
        // Row 0 at the bottom: the first child is drawn in the top row.
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(row) | SegmentValue::Exact(row) if *row < n => bars
                .get((n - 1 - *row) as usize)
                .map(|(name, _)| name.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n as usize)
            .y_label_formatter(&label)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .ok()?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, percent))| {
                let row = n - 1 - i as u32;
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(row)),
                        (percent.clamp(0.0, 100.0), SegmentValue::Exact(row + 1)),
                    ],
                    RGBColor(44, 102, 170).filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .ok()?;
        root.present().ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use probity_proto::probity::reports::v1::{Figure, FigureKind};

    use super::*;

    fn child(name: &str, percent: &str, suppressed: bool) -> Figure {
        Figure {
            key: format!("plan/plans/x/attendance/organizations/{name}"),
            label_vi: name.into(),
            label_en: name.into(),
            kind: FigureKind::Rate as i32,
            percent: percent.into(),
            suppressed,
            ..Default::default()
        }
    }

    #[test]
    fn a_bar_for_each_child_with_its_name_escaped() {
        let section = ReportSection {
            figures: vec![Figure {
                key: "plan/plans/x/attendance".into(),
                label_vi: "Đảng viên tham gia".into(),
                label_en: "Members who attended".into(),
                ..Default::default()
            }],
            breakdown: vec![
                child("Huyện <A>", "98.71", false),
                child("Huyện B", "50.00", false),
                child("Huyện C", "", true),
            ],
            ..Default::default()
        };
        let svg = breakdown_svg(&section, Language::Vi).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Huyện &lt;A&gt;"), "names are escaped");
        assert!(!svg.contains("Huyện C"), "a suppressed rate is not drawn");
        assert!(svg.contains("Đảng viên tham gia theo đơn vị"));
        let en = breakdown_svg(&section, Language::En).unwrap();
        assert!(en.contains("Members who attended, by unit"));
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        assert!(breakdown_svg(&ReportSection::default(), Language::Vi).is_none());
    }
}
