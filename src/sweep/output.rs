//! What a sweep writes: `sweep.json` (every cell's summary), `sweep.md` (the cells and
//! the headline metrics as tables), `runs.csv` (one tidy row per run, for pandas, R or
//! a spreadsheet) and `sweep.html` (the tables and a chart per metric against the first
//! grid parameter, drawn with plotters).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use plotters::prelude::*;
use serde_json::Value;

use super::exec::RunRow;
use super::plan::Resolved;
use super::stats::MetricSummary;
use super::summary::{CellSummary, ClaimSummary, SweepReport};
use super::table::Table;
use crate::metric::RunMetric;
use zkarena_harness::report::escape;

/// Metrics shown when a plan charts none and claims none: one per property of the
/// seed's scorecard.
pub const HEADLINE: &[RunMetric] = &[
    RunMetric::FinalizedInvalidRoots,
    RunMetric::TargetedNeverIncluded,
    RunMetric::NakamotoSequencers,
    RunMetric::NakamotoProvers,
    RunMetric::GiniRewards,
    RunMetric::MevShare,
    RunMetric::LongestFinalizationGapMs,
];

/// The metrics a sweep's tables and charts show: the plan's chart metrics and the
/// claims' metrics, or else [`HEADLINE`].
pub fn shown_metrics(plan: &Resolved) -> Vec<String> {
    let mut names: Vec<String> = plan.plan.chart.clone();
    for cell in &plan.cells {
        for c in &cell.claims {
            if !names.contains(&c.metric) {
                names.push(c.metric.clone());
            }
        }
    }
    if names.is_empty() {
        names = HEADLINE.iter().map(|m| m.as_str().to_string()).collect();
    }
    names
}

/// A share of runs with its interval: `38/40 (95%, 83-99%)`.
pub fn share(held: u64, runs: u64, ci: [f64; 2]) -> String {
    format!(
        "{held}/{runs} ({}%, {}-{}%)",
        pct(held as f64 / runs.max(1) as f64),
        pct(ci[0]),
        pct(ci[1])
    )
}

/// A share as a percentage: whole unless that would round it to 100 % or 0 % from
/// inside.
fn pct(x: f64) -> String {
    let p = x * 100.0;
    if (p.round() == 100.0 && x < 1.0) || (p.round() == 0.0 && x > 0.0) {
        format!("{p:.1}")
    } else {
        format!("{p:.0}")
    }
}

/// A figure for a table: integers and figures from 100 up whole, others to three
/// decimals (trailing zeros dropped).
pub fn num(x: f64) -> String {
    if x.fract() == 0.0 || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{:.3}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// `mean [lo, hi]`.
pub fn mean_ci(m: &MetricSummary) -> String {
    format!(
        "{} [{}, {}]",
        num(m.mean),
        num(m.mean_ci[0]),
        num(m.mean_ci[1])
    )
}

/// The cells: runs passed, broken, keeping every invariant, and each claim.
fn cells_table(report: &SweepReport) -> Table {
    let mut t = Table::new(["cell", "passed", "broke", "invariants held", "claims"]);
    for c in &report.cells {
        t.row(
            vec![
                c.label.clone(),
                format!("{}/{}", c.passed, c.runs),
                c.broke.to_string(),
                share(c.invariants_held, c.runs, c.invariants_held_ci),
                claims(c),
            ],
            !c.ok(),
        );
    }
    t
}

/// The shown metrics per cell: mean with its interval, median and p5-p95.
fn metrics_table(report: &SweepReport, metrics: &[String]) -> Table {
    let mut t = Table::new(std::iter::once("cell".to_string()).chain(metrics.iter().cloned()));
    for c in &report.cells {
        let mut row = vec![c.label.clone()];
        row.extend(metrics.iter().map(|m| match c.metrics.get(m) {
            Some(x) => format!(
                "{}\n{} ({}-{})",
                mean_ci(x),
                num(x.median),
                num(x.p5),
                num(x.p95)
            ),
            None => "-".into(),
        }));
        t.row(row, false);
    }
    t
}

/// One line on the runs: how many, of what, and how intervals are computed.
fn runs_line(report: &SweepReport) -> String {
    format!(
        "{} runs: {} cells x {} seeds ({}), {} proofs. Intervals are 95%: Wilson for shares of runs, a seeded bootstrap for means.",
        report.runs,
        report.cells.len(),
        report.seeds.len(),
        seed_range(&report.seeds),
        report.proofs
    )
}

/// The Markdown page: the cells, then the shown metrics.
pub fn markdown(report: &SweepReport, metrics: &[String]) -> String {
    let mut s = format!("# Sweep `{}`\n\n", report.plan);
    if !report.description.is_empty() {
        let _ = writeln!(s, "{}\n", report.description);
    }
    let _ = writeln!(s, "{}\n", runs_line(report));
    s.push_str(&cells_table(report).markdown());
    s.push_str("\n## Metrics: mean [95% interval], median (p5-p95)\n\n");
    s.push_str(&metrics_table(report, metrics).markdown());
    s
}

/// `1-40` for consecutive seeds, else the list.
pub fn seed_range(seeds: &[u64]) -> String {
    let consecutive = seeds.windows(2).all(|w| w[0].checked_add(1) == Some(w[1]));
    match seeds {
        [first, .., last] if consecutive => format!("{first}-{last}"),
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn claims(c: &CellSummary) -> String {
    if c.claims.is_empty() {
        return "none".into();
    }
    c.claims
        .iter()
        .map(|k| format!("{} {}", if k.ok { "ok" } else { "FAILED" }, claim(k)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A claim with its share and what it needs: `` `x > 0` in 98/100 (98%, 93-99%)
/// (needs >= 90% of 100 seeds) ``.
pub fn claim(k: &ClaimSummary) -> String {
    let mut need = if k.at_least >= 1.0 {
        "every run".to_string()
    } else {
        format!(">= {}%", pct(k.at_least))
    };
    if let Some(n) = k.over_seeds {
        need.push_str(&format!(" of {n} seeds"));
        if k.runs < n {
            need.push_str(&format!("; ran {}", k.runs));
        }
    }
    format!(
        "`{}` in {} (needs {need})",
        k.expect,
        share(k.held, k.runs, k.share_ci)
    )
}

/// One tidy row per run: run, scenario, seed, the grid's values, status, then every
/// metric any run reported (a run that lacks one leaves it empty).
pub fn csv(plan: &Resolved, rows: &[RunRow]) -> Result<String, csv::Error> {
    let params: Vec<&String> = plan.plan.grid.keys().collect();
    let mut metrics: Vec<&String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        for k in r.metrics.keys() {
            if seen.insert(k) {
                metrics.push(k);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["run", "scenario", "seed"];
    header.extend(params.iter().map(|p| p.as_str()));
    header.extend(["status", "invariants_held", "error"]);
    header.extend(metrics.iter().map(|m| m.as_str()));
    w.write_record(&header)?;
    for r in rows {
        let cell = &plan.cells[r.cell];
        let mut record = vec![r.run.to_string(), cell.scenario.clone(), r.seed.to_string()];
        record.extend(params.iter().map(|p| match cell.params.get(*p) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }));
        record.push(r.status.as_str().into());
        record.push(r.invariants_held.to_string());
        record.push(r.error.clone().unwrap_or_default());
        record.extend(
            metrics
                .iter()
                .map(|m| r.metric(m).map(|v| v.to_string()).unwrap_or_default()),
        );
        w.write_record(&record)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("the CSV writer writes the UTF-8 it is given"))
}

/// The HTML page: the tables, and a chart of each shown metric against the first grid
/// parameter when it is numeric (every run a dot, the mean with its interval a line).
pub fn html(plan: &Resolved, report: &SweepReport, rows: &[RunRow], metrics: &[String]) -> String {
    let mut body = format!("<h1>Sweep {}</h1>\n", escape(&report.plan));
    let _ = writeln!(body, "<p>{}</p>", escape(&report.description));
    let _ = writeln!(body, "<p>{}</p>", escape(&runs_line(report)));
    body.push_str(&cells_table(report).html());
    body.push_str(&metrics_table(report, metrics).html());
    if let Some(axis) = numeric_axis(plan) {
        for m in metrics {
            body.push_str(&chart(plan, report, rows, &axis, m));
        }
    }
    page(&format!("zkarena sweep: {}", report.plan), &body)
}

/// A chart's SVG, drawn by `draw` into a string, or (`Err`) a line saying that `what`
/// could not be drawn and why: a page shows what it can.
pub fn drawn(
    what: &str,
    draw: impl FnOnce(&mut String) -> Result<(), Box<dyn std::error::Error + '_>>,
) -> Result<String, String> {
    let mut svg = String::new();
    let outcome = draw(&mut svg).map_err(|e| {
        format!(
            "<p class=\"bad\">{} not drawn: {}</p>\n",
            escape(what),
            escape(&e.to_string())
        )
    });
    outcome.map(|()| svg)
}

/// A self-contained page around `body`.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:sans-serif;max-width:1200px;margin:1em auto}} table{{border-collapse:collapse;font-size:13px;margin:1em 0}} td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}} th{{background:#f3f3f3}} .bad{{color:#b00}} pre{{overflow-x:auto}}</style></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// The first grid key, if every value of it is a number.
fn numeric_axis(plan: &Resolved) -> Option<String> {
    let (key, values) = plan.plan.grid.iter().next()?;
    values
        .as_array()?
        .iter()
        .all(Value::is_number)
        .then(|| key.clone())
}

/// The charts' series colours, in order (sweeps, scorecard, a run's timeline).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x33, 0x77, 0xcc),
    RGBColor(0xcc, 0x55, 0x22),
    RGBColor(0x22, 0x99, 0x55),
    RGBColor(0x88, 0x44, 0xaa),
    RGBColor(0x99, 0x88, 0x11),
    RGBColor(0x55, 0x55, 0x55),
    RGBColor(0x11, 0x99, 0xaa),
    RGBColor(0xcc, 0x33, 0x88),
];

/// Cells that differ only in `axis` form a series: (its name, its cells), and each
/// cell's series.
fn series(plan: &Resolved, axis: &str) -> (Vec<(String, Vec<usize>)>, Vec<usize>) {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    let mut series: Vec<(String, Vec<usize>)> = Vec::new();
    let mut of_cell = Vec::with_capacity(plan.cells.len());
    for (k, cell) in plan.cells.iter().enumerate() {
        let name = std::iter::once(cell.scenario.clone())
            .chain(
                cell.params
                    .iter()
                    .filter(|(key, _)| *key != axis)
                    .map(|(key, v)| format!("{key}={v}")),
            )
            .collect::<Vec<_>>()
            .join(" ");
        let next = series.len();
        let index = *names.entry(name.clone()).or_insert(next);
        if index == next {
            series.push((name, Vec::new()));
        }
        series[index].1.push(k);
        of_cell.push(index);
    }
    (series, of_cell)
}

/// One chart: `metric` against grid key `axis`, a series per scenario and value of the
/// other grid keys: every run a dot, the means joined, their intervals as bars.
fn chart(
    plan: &Resolved,
    report: &SweepReport,
    rows: &[RunRow],
    axis: &str,
    metric: &str,
) -> String {
    let x_of = |k: usize| {
        plan.cells[k]
            .params
            .get(axis)
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    };
    let (series, of_cell) = series(plan, axis);
    // Every run's point, by series.
    let mut dots: Vec<Vec<(f64, f64)>> = vec![Vec::new(); series.len()];
    for r in rows {
        if let Some(y) = r.metric(metric) {
            dots[of_cell[r.cell]].push((x_of(r.cell), y));
        }
    }
    if dots.iter().all(Vec::is_empty) {
        return String::new();
    }
    let summaries = |cells: &[usize]| -> Vec<(f64, MetricSummary)> {
        cells
            .iter()
            .filter_map(|k| Some((x_of(*k), report.cells[*k].metrics.get(metric)?.clone())))
            .collect()
    };
    let (x0, x1) = bounds(dots.iter().flatten().map(|p| p.0));
    let (y0, y1) = bounds(
        dots.iter().flatten().map(|p| p.1).chain(
            report
                .cells
                .iter()
                .filter_map(|c| c.metrics.get(metric))
                .flat_map(|m| m.mean_ci),
        ),
    );
    let drawn = drawn(&format!("chart of {metric}"), |svg| {
        let root = SVGBackend::with_string(svg, (760, 380)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut c = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        c.configure_mesh()
            .x_desc(axis)
            .y_desc(metric)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        for mark in &plan.plan.marks {
            let red = RGBColor(0xcc, 0x33, 0x33);
            c.draw_series(LineSeries::new(
                [(mark.at, y0), (mark.at, y1)],
                red.stroke_width(1),
            ))?;
            c.draw_series([Text::new(
                mark.label.clone(),
                (mark.at, y1),
                ("sans-serif", 12).into_font().color(&red),
            )])?;
        }
        for (i, (name, cells)) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            c.draw_series(
                dots[i]
                    .iter()
                    .map(|p| Circle::new(*p, 3, colour.mix(0.35).filled())),
            )?;
            let means = summaries(cells);
            c.draw_series(LineSeries::new(
                means.iter().map(|(x, m)| (*x, m.mean)),
                colour.stroke_width(2),
            ))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
            c.draw_series(means.iter().map(|(x, m)| {
                ErrorBar::new_vertical(
                    *x,
                    m.mean_ci[0],
                    m.mean,
                    m.mean_ci[1],
                    colour.stroke_width(1),
                    8,
                )
            }))?;
        }
        if series.len() > 1 {
            c.configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
        Ok(())
    });
    match drawn {
        Ok(svg) => format!(
            "<h2>{} against {}</h2>\n<p>Every run is a dot; the line joins the means, the bars are their 95% intervals.</p>\n{svg}\n",
            escape(metric),
            escape(axis)
        ),
        Err(line) => line,
    }
}

/// An axis tick: whole numbers without decimals, large ones in scientific notation.
pub fn tick(v: f64) -> String {
    if v != 0.0 && v.abs() >= 1e5 {
        format!("{v:.1e}")
    } else {
        num((v * 1e6).round() / 1e6)
    }
}

/// A range around `values` with a margin, never empty.
pub fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs().max(1.0) * 0.02);
    (lo - pad, hi + pad)
}
