//! Line charts drawn on the server as SVG with plotters, marked up as one
//! image each (`role="img"` with a `<title>`): the page beside each chart
//! has its figures as a table, for people who cannot see it.

use plotters::prelude::*;

/// One line: its name in the legend, its colour, and a value per step
/// (`None`: no sample in that step, so no point).
pub(super) struct Series {
    pub name: &'static str,
    pub color: RGBColor,
    pub points: Vec<Option<f64>>,
}

/// The severities' colours, as the console's badges have them.
pub(super) const SEVERITY_COLOURS: [RGBColor; 5] = [
    RGBColor(0x7f, 0x1d, 0x1d),
    RGBColor(0x9a, 0x34, 0x12),
    RGBColor(0x85, 0x4d, 0x0e),
    RGBColor(0x1e, 0x3a, 0x8a),
    RGBColor(0x47, 0x55, 0x69),
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A chart of `series` over `steps` (the x labels), the y axis from 0 to
/// at least `y_min_top`, as an SVG element titled `title`. `None` if
/// plotters refuses to draw (it should not).
pub(super) fn line_chart(
    id: &str,
    title: &str,
    y_desc: &str,
    steps: &[String],
    series: &[Series],
    y_min_top: f64,
) -> Option<String> {
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .fold(y_min_top, |a, b| a.max(*b))
        * 1.1;
    let n = steps.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
            .ok()?;
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            steps.get(i as usize).cloned().unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_desc(y_desc)
            .label_style(("sans-serif", 13, &BLACK))
            .axis_desc_style(("sans-serif", 14, &BLACK))
            .light_line_style(RGBColor(0xe2, 0xe8, 0xf0))
            .draw()
            .ok()?;
        for s in series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                .collect();
            let color = s.color;
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .ok()?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
                });
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))
                .ok()?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 13, &BLACK))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    // One image to assistive technology, named by its title.
    let open_end = svg.find('>')?;
    let tag = svg[..open_end].replacen(
        "<svg ",
        &format!(r#"<svg role="img" aria-labelledby="{id}-title" focusable="false" "#),
        1,
    );
    Some(format!(
        r#"{tag}><title id="{id}-title">{}</title>{}"#,
        escape(title),
        &svg[open_end + 1..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_one_titled_image_with_its_labels() {
        let steps = vec!["2026-01".to_owned(), "2026-02".to_owned()];
        let svg = line_chart(
            "c",
            "MTTA <by> severity",
            "hours",
            &steps,
            &[Series {
                name: "SEV-1",
                color: SEVERITY_COLOURS[0],
                points: vec![Some(1.5), None],
            }],
            1.0,
        )
        .expect("drawn");
        assert!(svg.starts_with(r#"<svg role="img" aria-labelledby="c-title""#));
        assert!(svg.contains(r#"<title id="c-title">MTTA &lt;by&gt; severity</title>"#));
        // plotters puts each label's text on its own line.
        for label in ["2026-01", "2026-02", "SEV-1", "hours"] {
            assert!(svg.contains(&format!(">\n{label}\n</text>")), "{label}");
        }
    }
}
