//! What each actor earned and paid, one unit per chart: ETH in gwei (earnings, L1
//! fees as a loss, profit) and the network token in its base unit (1e-9 token: batch
//! fees paid, proving rewards, slashing), losses below zero.

use plotters::prelude::*;
use zkarena_harness::report::{ActorReport, Report, RoleKind};

use crate::sweep::output::drawn;
use crate::sweep::output::tick;

const EARNED: RGBColor = RGBColor(0x22, 0x99, 0x55);
const PAID: RGBColor = RGBColor(0xcc, 0x44, 0x33);
const PROFIT: RGBColor = RGBColor(0x33, 0x77, 0xcc);
const ROW_PX: u32 = 46;

/// One bar series of a chart: its name, colour and value per actor.
struct Series {
    name: &'static str,
    colour: RGBColor,
    value: fn(&ActorReport) -> f64,
}

/// Both charts, for every actor but the users (their costs are in the table).
pub fn section(r: &Report) -> String {
    let actors: Vec<&ActorReport> = r
        .actors
        .iter()
        .filter(|a| a.role != RoleKind::User)
        .collect();
    let mut out = String::from("<h2>Earnings and costs</h2>\n");
    out.push_str("<p>ETH, in gwei: earned (L2 fees, an attacker's L2 gains, and the network token valued at the pool's final price), L1 fees paid, and profit (earned minus paid).</p>\n");
    out.push_str(&bars(
        &actors,
        "gwei of ETH",
        &[
            Series {
                name: "earned",
                colour: EARNED,
                value: |a| a.earnings_gwei as f64,
            },
            Series {
                name: "L1 fees paid",
                colour: PAID,
                value: |a| -(a.l1_fees_wei as f64 / 1e9),
            },
            Series {
                name: "profit",
                colour: PROFIT,
                value: |a| a.profit_gwei as f64,
            },
        ],
    ));
    if actors.iter().any(|a| a.l1_token_delta != 0) {
        out.push_str("<p>Network token, in its base unit (1e-9 token): the change of each actor's L1 balance (batch fees paid, proving rewards, stake slashed or rewarded).</p>\n");
        out.push_str(&bars(
            &actors,
            "1e-9 network token",
            &[Series {
                name: "token balance change",
                colour: PROFIT,
                value: |a| a.l1_token_delta as f64,
            }],
        ));
    }
    out
}

/// A horizontal grouped bar chart: one row per actor, one bar per series, zero marked.
fn bars(actors: &[&ActorReport], unit: &str, series: &[Series]) -> String {
    if actors.is_empty() {
        return String::new();
    }
    let values = actors
        .iter()
        .flat_map(|a| series.iter().map(move |s| (s.value)(a)));
    let (lo, hi) = values.fold((0f64, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.05).max(1.0);
    let rows = actors.len() as i32;
    let k = series.len() as f64;
    let chart = drawn(unit, |svg| {
        let height = 80 + ROW_PX * rows as u32;
        let root = SVGBackend::with_string(svg, (900, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(150)
            .build_cartesian_2d(lo - pad..hi + pad, 0f64..rows as f64)?;
        c.configure_mesh()
            .disable_y_mesh()
            .x_desc(unit)
            .y_labels(0)
            .x_label_formatter(&|v| tick(*v))
            .draw()?;
        // Actor names left of their rows, in the label area.
        for (i, a) in actors.iter().enumerate() {
            let (_, y) = c.backend_coord(&(lo - pad, (rows - 1 - i as i32) as f64 + 0.5));
            root.draw(&Text::new(
                a.name.clone(),
                (12, y - 6),
                ("sans-serif", 13).into_font(),
            ))?;
        }
        for (j, s) in series.iter().enumerate() {
            c.draw_series(actors.iter().enumerate().map(|(i, a)| {
                let top = (rows - 1 - i as i32) as f64 + 0.9 - 0.8 * j as f64 / k;
                let v = (s.value)(a);
                Rectangle::new([(0.0, top), (v, top - 0.8 / k)], s.colour.filled())
            }))?;
        }
        c.draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, rows as f64)],
            BLACK.stroke_width(1),
        ))?;
        root.present()?;
        Ok(())
    })
    .unwrap_or_else(|line| line);
    let legend: String = series
        .iter()
        .map(|s| super::timeline::swatch(&s.colour, s.name, "&#9632;"))
        .collect();
    format!("<p>{legend}</p>\n{chart}\n")
}
