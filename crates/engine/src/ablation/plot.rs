//! Recall@200 against dimension as a self-contained SVG: one line per (model,
//! strategy), colour by strategy, dash pattern by model, the dense-free retrievers as
//! horizontal reference lines. Hand-written SVG: a plotting crate would cost more
//! compile time than this whole file.

use super::{AblationResult, Cell};
use std::fmt::Write;

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 270.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
];
const DASHES: [&str; 4] = ["", "8 4", "2 4", "12 4 2 4"];

/// The plot of `result` as an SVG document.
pub fn recall_plot_svg(result: &AblationResult) -> String {
    let lines = series(&result.cells);
    let references: Vec<&Cell> = result.cells.iter().filter(|c| c.dim.is_none()).collect();
    let dims: Vec<usize> = {
        let mut d: Vec<usize> = result.cells.iter().filter_map(|c| c.dim).collect();
        d.sort_unstable();
        d.dedup();
        d
    };
    let values = result.cells.iter().map(|c| c.recall200);
    let (lo, hi) = y_range(values);
    let (x_min, x_max) = match (dims.first(), dims.last()) {
        (Some(&a), Some(&b)) if a < b => ((a as f64).log2(), (b as f64).log2()),
        (Some(&a), _) => ((a as f64).log2() - 1.0, (a as f64).log2() + 1.0),
        _ => (5.0, 8.6),
    };
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |d: usize| LEFT + ((d as f64).log2() - x_min) / (x_max - x_min) * plot_w;
    let y = |v: f64| TOP + (hi - v) / (hi - lo) * plot_h;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">Recall@200 vs dense dimension ({} set, {} queries)</text>"#,
        LEFT + plot_w / 2.0,
        result.query_set,
        result.queries
    );
    // Axes, grid and ticks.
    let steps = 5;
    for i in 0..=steps {
        let v = lo + (hi - lo) * f64::from(i) / f64::from(steps);
        let yy = y(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v:.3}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    for &d in &dims {
        let xx = x(d);
        let _ = writeln!(
            svg,
            r##"<line x1="{xx:.1}" y1="{TOP}" x2="{xx:.1}" y2="{:.1}" stroke="#eee"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{d}</text>"##,
            TOP + plot_h,
            TOP + plot_h + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w:.1}" height="{plot_h:.1}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">dimension (log scale)</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 18.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="18" y="{:.1}" text-anchor="middle" transform="rotate(-90 18 {:.1})">Recall@200</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    // Dense-free references.
    for cell in &references {
        let yy = y(cell.recall200);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#888" stroke-dasharray="3 3"/><text x="{:.1}" y="{:.1}" fill="#555">{} {:.3}</text>"##,
            LEFT + plot_w,
            LEFT + 4.0,
            yy - 4.0,
            cell.strategy,
            cell.recall200
        );
    }
    // Series and legend.
    let models = distinct(lines.iter().map(|s| s.model.as_str()));
    let strategies = distinct(lines.iter().map(|s| s.strategy.as_str()));
    for (i, s) in lines.iter().enumerate() {
        let colour = COLOURS[index_of(&strategies, &s.strategy) % COLOURS.len()];
        let dash = DASHES[index_of(&models, &s.model) % DASHES.len()];
        let points: Vec<String> = s
            .points
            .iter()
            .map(|&(d, v)| format!("{:.1},{:.1}", x(d), y(v)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>"#,
            points.join(" ")
        );
        for &(d, v) in &s.points {
            let _ = writeln!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                x(d),
                y(v)
            );
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = WIDTH - RIGHT + 20.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/><text x="{:.1}" y="{:.1}">{} · {}</text>"#,
            lx + 30.0,
            lx + 36.0,
            ly + 4.0,
            s.model,
            s.strategy
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// One plotted line.
struct Series {
    model: String,
    strategy: String,
    /// (dimension, recall), dimension ascending.
    points: Vec<(usize, f64)>,
}

fn series(cells: &[Cell]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    // Reranking the top N reorders within the first stage's 200: its recall is the
    // first stage's, so it draws no line of its own.
    for c in cells.iter().filter(|c| c.rerank.is_none()) {
        let Some(dim) = c.dim else { continue };
        match out
            .iter_mut()
            .find(|s| s.model == c.model && s.strategy == c.strategy)
        {
            Some(s) => s.points.push((dim, c.recall200)),
            None => out.push(Series {
                model: c.model.clone(),
                strategy: c.strategy.clone(),
                points: vec![(dim, c.recall200)],
            }),
        }
    }
    for s in &mut out {
        s.points.sort_by_key(|p| p.0);
    }
    out
}

/// A y range with a little room, rounded out to 0.05.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let lo = ((lo - 0.01) * 20.0).floor() / 20.0;
    let hi = ((hi + 0.01) * 20.0).ceil() / 20.0;
    (lo.max(0.0), hi.min(1.0).max(lo + 0.05))
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn index_of(items: &[&str], item: &str) -> usize {
    items.iter().position(|i| *i == item).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::QuerySet;

    #[test]
    fn draws_one_polyline_per_series_and_one_reference_line_per_single() {
        let cell = |model: &str, strategy: &str, dim, r| Cell {
            model: model.into(),
            strategy: strategy.into(),
            dim,
            recall200: r,
            ndcg20: 0.5,
            qps: 1.0,
            p99_ms: 1.0,
            fusion: None,
            rerank: None,
        };
        let result = AblationResult {
            query_set: QuerySet::Test,
            queries: 3,
            products: 3,
            cells: vec![
                cell("base", "dense", Some(384), 0.88),
                cell("base", "dense", Some(32), 0.60),
                cell("pca", "dense", Some(384), 0.88),
                cell("pca", "dense", Some(32), 0.80),
                cell("-", "bm25", None, 0.87),
            ],
        };
        let svg = recall_plot_svg(&result);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains("bm25 0.870"));
        assert!(svg.contains("pca · dense"));
    }

    #[test]
    fn y_range_rounds_out() {
        assert_eq!(y_range([0.62, 0.91].into_iter()), (0.6, 0.95));
        assert_eq!(y_range(std::iter::empty()), (0.0, 1.0));
    }
}
