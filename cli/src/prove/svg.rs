//! Line charts as inline SVG, so the HTML report is one self-contained file
//! that opens anywhere without scripts or network.

use std::fmt::Write;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const TICKS: usize = 5;
const PALETTE: &[&str] = &["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    /// (x, y); x ascending.
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// A dashed horizontal line, e.g. the SLO bound.
    pub threshold: Option<(String, f64)>,
}

impl Chart {
    pub fn to_svg(&self) -> String {
        let points = self.series.iter().flat_map(|series| series.points.iter());
        let x_max = points.clone().map(|(x, _)| *x).fold(1.0_f64, f64::max);
        let y_max = points
            .map(|(_, y)| *y)
            .chain(self.threshold.iter().map(|(_, y)| *y))
            .filter(|y| y.is_finite())
            .fold(0.0_f64, f64::max);
        let y_max = nice_ceiling(y_max);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let sx = |x: f64| LEFT + x / x_max * plot_w;
        let sy = |y: f64| TOP + plot_h - (y.clamp(0.0, y_max) / y_max) * plot_h;

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">"#
        );
        for tick in 0..=TICKS {
            let value = y_max * tick as f64 / TICKS as f64;
            let y = sy(value);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                format_number(value)
            );
            let x_value = x_max * tick as f64 / TICKS as f64;
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                sx(x_value),
                TOP + plot_h + 16.0,
                format_number(x_value)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="12" y="{:.1}" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 6.0,
            escape(&self.x_label),
            TOP + plot_h / 2.0,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        if let Some((label, value)) = &self.threshold {
            let y = sy(*value);
            let _ = write!(
                svg,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
                WIDTH - RIGHT,
                WIDTH - RIGHT - 4.0,
                y - 4.0,
                escape(label)
            );
        }
        for (index, series) in self.series.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let path: Vec<String> = series
                .points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
                path.join(" ")
            );
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                LEFT + 8.0 + index as f64 * 150.0,
                TOP + 2.0,
                LEFT + 22.0 + index as f64 * 150.0,
                TOP + 11.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

/// 1, 2 or 5 times a power of ten, at or above `value`: round axis labels.
fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|step| step * magnitude).find(|candidate| *candidate >= value).unwrap_or(value)
}

fn format_number(value: f64) -> String {
    if value >= 100.0 || value == value.trunc() {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Text inside SVG/HTML: the five characters XML gives meaning to.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(43.0), 50.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
    }

    #[test]
    fn a_chart_is_one_svg_with_a_line_per_series_and_escaped_names() {
        let chart = Chart {
            x_label: "seconds".into(),
            y_label: "ms".into(),
            series: vec![
                Series { name: "p50".into(), points: vec![(0.0, 1.0), (1.0, 2.0)] },
                Series { name: "<g>".into(), points: vec![(0.0, 3.0), (1.0, f64::NAN)] },
            ],
            threshold: Some(("SLO 50 ms".into(), 50.0)),
        };
        let svg = chart.to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("&lt;g&gt;") && !svg.contains("<g>"));
        assert!(!svg.contains("NaN"));
    }
}
