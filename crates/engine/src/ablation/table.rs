//! The ablation as Markdown: one pivot per metric (rows model × strategy, columns
//! dimensions), the dense-free retrievers, and every cell's fusion parameters.

use super::{AblationResult, Cell};
use std::fmt::Write;

/// Formats one cell's value of a pivot.
type CellFormat = fn(&Cell) -> String;

/// Renders `result` as Markdown.
pub fn markdown(result: &AblationResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} queries of the {} set, {} products. Fused cells: fusion parameters tuned on the \
         dev queries (carved from train) per cell. QPS: all cores, query encoding included.\n",
        result.queries, result.query_set, result.products
    );
    let dims = dims_of(&result.cells);
    let rows = rows_of(&result.cells);
    let pivots: [(&str, CellFormat); 3] = [
        ("Recall@200", |c| format!("{:.4}", c.recall200)),
        ("nDCG@20", |c| format!("{:.4}", c.ndcg20)),
        ("QPS", |c| format!("{:.1}", c.qps)),
    ];
    for (title, value) in pivots {
        let _ = writeln!(out, "### {title}\n");
        let header: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
        let _ = writeln!(out, "| model | strategy | {} |", header.join(" | "));
        let _ = writeln!(out, "| :--- | :--- |{}", " ---: |".repeat(dims.len()));
        for (model, strategy) in &rows {
            let values: Vec<String> = dims
                .iter()
                .map(|&d| {
                    find(&result.cells, model, strategy, Some(d)).map_or("–".to_owned(), value)
                })
                .collect();
            let _ = writeln!(out, "| {model} | {strategy} | {} |", values.join(" | "));
        }
        out.push('\n');
    }
    let singles: Vec<&Cell> = result.cells.iter().filter(|c| c.dim.is_none()).collect();
    if !singles.is_empty() {
        let _ = writeln!(out, "### Without the dense retriever\n");
        let _ = writeln!(out, "| strategy | Recall@200 | nDCG@20 | QPS | p99 ms |");
        let _ = writeln!(out, "| :--- | ---: | ---: | ---: | ---: |");
        for c in singles {
            let _ = writeln!(
                out,
                "| {} | {:.4} | {:.4} | {:.1} | {:.2} |",
                c.strategy, c.recall200, c.ndcg20, c.qps, c.p99_ms
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### Every cell\n");
    let _ = writeln!(
        out,
        "| model | strategy | dim | Recall@200 | nDCG@20 | QPS | p99 ms | fusion |"
    );
    let _ = writeln!(
        out,
        "| :--- | :--- | ---: | ---: | ---: | ---: | ---: | :--- |"
    );
    for c in result.cells.iter().filter(|c| c.dim.is_some()) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.4} | {:.4} | {:.1} | {:.2} | {} |",
            c.model,
            c.label(),
            c.dim.unwrap_or(0),
            c.recall200,
            c.ndcg20,
            c.qps,
            c.p99_ms,
            fusion_text(c)
        );
    }
    out
}

/// `rrf k 20: dense 1, bm25 0.75` or `–`.
fn fusion_text(cell: &Cell) -> String {
    let Some(f) = &cell.fusion else {
        return "–".to_owned();
    };
    let weights: Vec<String> = cell
        .strategy
        .split('+')
        .map(|name| format!("{name} {}", f.weight(name)))
        .collect();
    match f.method {
        esci_fusion::FusionMethod::Rrf => format!("rrf k {}: {}", f.k, weights.join(", ")),
        method => format!("{method}: {}", weights.join(", ")),
    }
}

/// The dimensions present, largest first.
fn dims_of(cells: &[Cell]) -> Vec<usize> {
    let mut dims: Vec<usize> = cells.iter().filter_map(|c| c.dim).collect();
    dims.sort_unstable_by(|a, b| b.cmp(a));
    dims.dedup();
    dims
}

/// (model, strategy label) pairs with a dimension, in first-run order.
fn rows_of(cells: &[Cell]) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = Vec::new();
    for c in cells.iter().filter(|c| c.dim.is_some()) {
        let row = (c.model.clone(), c.label());
        if !rows.contains(&row) {
            rows.push(row);
        }
    }
    rows
}

fn find<'a>(
    cells: &'a [Cell],
    model: &str,
    strategy: &str,
    dim: Option<usize>,
) -> Option<&'a Cell> {
    cells
        .iter()
        .find(|c| c.model == model && c.label() == strategy && c.dim == dim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use esci_core::QuerySet;

    pub(crate) fn cell(model: &str, strategy: &str, dim: Option<usize>, recall: f64) -> Cell {
        Cell {
            model: model.into(),
            strategy: strategy.into(),
            dim,
            recall200: recall,
            ndcg20: recall / 2.0,
            qps: 100.0,
            p99_ms: 3.0,
            fusion: None,
            rerank: None,
        }
    }

    #[test]
    fn pivots_put_each_value_under_its_dimension() {
        let result = AblationResult {
            query_set: QuerySet::Test,
            queries: 95,
            products: 10,
            cells: vec![
                cell("base", "dense", Some(384), 0.9),
                cell("base", "dense", Some(64), 0.7),
                cell("-", "bm25", None, 0.8),
            ],
        };
        let md = markdown(&result);
        assert!(md.contains("| model | strategy | 384 | 64 |"), "{md}");
        assert!(md.contains("| base | dense | 0.9000 | 0.7000 |"), "{md}");
        assert!(md.contains("| base | dense | 0.4500 | 0.3500 |"), "{md}");
        assert!(
            md.contains("| bm25 | 0.8000 | 0.4000 | 100.0 | 3.00 |"),
            "{md}"
        );
    }

    #[test]
    fn reranked_cells_get_their_own_row() {
        let mut reranked = cell("base", "dense+bm25", Some(64), 0.7);
        reranked.ndcg20 = 0.6;
        reranked.rerank = Some(50);
        let result = AblationResult {
            query_set: QuerySet::Test,
            queries: 95,
            products: 10,
            cells: vec![
                cell("base", "dense+bm25", Some(384), 0.9),
                cell("base", "dense+bm25", Some(64), 0.7),
                reranked,
            ],
        };
        let md = markdown(&result);
        assert!(
            md.contains("| base | dense+bm25 | 0.4500 | 0.3500 |"),
            "{md}"
        );
        assert!(
            md.contains("| base | dense+bm25 → rerank top 50 | – | 0.6000 |"),
            "{md}"
        );
    }
}
