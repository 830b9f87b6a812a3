//! The run's timeline (a dot where an actor received a message, a bar where it was
//! proving, lanes top to bottom, simulated seconds below and L1 block numbers above)
//! and the L1 base fee over the run. Above [`MAX_MARKS`] dots, the dots of one lane in
//! one of [`COLUMNS`] time columns merge into one, sized by their count and coloured
//! by their most common kind, so the page stays small at any run size.

use std::collections::BTreeMap;

use plotters::prelude::*;
use zkarena_harness::report::escape;
use zkarena_harness::sim::TraceEntry;

use super::lanes::{Lanes, Mark};
use crate::run::{BlockPoint, Outcome};
use crate::sweep::output::drawn;
use crate::sweep::output::PALETTE;

/// Most dots drawn one per message; above it they are binned.
pub const MAX_MARKS: usize = 12_000;
/// Time columns of a binned timeline.
const COLUMNS: u64 = 600;
/// Most proving bars drawn as they are; above it they are binned into columns.
const MAX_BARS: usize = 2_000;
/// Most slot grid lines.
const MAX_GRID: usize = 100;
const WIDTH: u32 = 1150;
const LANE_PX: u32 = 22;

/// Colours of the most common message kinds, in order; the rest are "other".
const KIND_COLOURS: [RGBColor; 8] = PALETTE;
const OTHER: RGBColor = RGBColor(0xaa, 0xaa, 0xaa);
const PROVING: RGBColor = RGBColor(0xee, 0x99, 0x00);
const ATTACKER_LANE: RGBColor = RGBColor(0xff, 0xd6, 0xd6);
const FAULTED_LANE: RGBColor = RGBColor(0xff, 0xec, 0xc8);

/// The message kinds by count (most first), each with its colour.
fn kind_colours(trace: &[TraceEntry]) -> Vec<(String, usize, RGBColor)> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for e in trace.iter().filter(|e| e.dur_ms.is_none()) {
        *count.entry(e.kind.as_str()).or_default() += 1;
    }
    let mut kinds: Vec<(&str, usize)> = count.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (k, n))| (k.to_string(), n, *KIND_COLOURS.get(i).unwrap_or(&OTHER)))
        .collect()
}

/// Delivered messages in `trace` (not proving jobs).
fn message_count(trace: &[TraceEntry]) -> usize {
    trace.iter().filter(|e| e.dur_ms.is_none()).count()
}

/// One dot: where, its colour and how many messages it stands for.
struct Dot {
    t_s: f64,
    lane: i32,
    colour: RGBColor,
    count: usize,
}

/// The dots: one per message, or binned above [`MAX_MARKS`].
fn dots(
    trace: &[TraceEntry],
    lanes: &Lanes,
    colour: &BTreeMap<&str, RGBColor>,
    end_ms: u64,
) -> Vec<Dot> {
    let messages = trace.iter().filter(|e| e.dur_ms.is_none());
    if message_count(trace) <= MAX_MARKS {
        return messages
            .filter_map(|e| {
                Some(Dot {
                    t_s: e.t_ms as f64 / 1000.0,
                    lane: lanes.row(&e.to)?,
                    colour: colour[e.kind.as_str()],
                    count: 1,
                })
            })
            .collect();
    }
    let column_ms = end_ms.div_ceil(COLUMNS).max(1);
    // (lane, column) -> count by kind
    let mut bins: BTreeMap<(i32, u64), BTreeMap<&str, usize>> = BTreeMap::new();
    for e in messages {
        if let Some(lane) = lanes.row(&e.to) {
            *bins
                .entry((lane, e.t_ms / column_ms))
                .or_default()
                .entry(e.kind.as_str())
                .or_default() += 1;
        }
    }
    bins.into_iter()
        .map(|((lane, column), kinds)| {
            let top = kinds
                .iter()
                .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
                .map(|(k, _)| *k)
                .unwrap_or_default();
            Dot {
                t_s: ((column * column_ms) as f64 + column_ms as f64 / 2.0) / 1000.0,
                lane,
                colour: colour[top],
                count: kinds.values().sum(),
            }
        })
        .collect()
}

/// Proving intervals per lane, overlapping ones merged: (lane, start s, end s). Above
/// [`MAX_BARS`] a bar covers the time columns a lane proved in (runs of columns merged).
fn proving_bars(trace: &[TraceEntry], lanes: &Lanes, end_ms: u64) -> Vec<(i32, f64, f64)> {
    let mut bars = exact_bars(trace, lanes);
    if bars.len() > MAX_BARS {
        let column_ms = end_ms.div_ceil(COLUMNS).max(1);
        let columns = bars.into_iter().map(|(l, a, b)| {
            (
                l,
                a / column_ms * column_ms,
                b.div_ceil(column_ms).saturating_mul(column_ms),
            )
        });
        bars = merge(columns.collect());
    }
    bars.into_iter()
        .map(|(l, a, b)| (l, a as f64 / 1000.0, b as f64 / 1000.0))
        .collect()
}

/// Proving intervals per lane in ms, overlapping ones merged.
fn exact_bars(trace: &[TraceEntry], lanes: &Lanes) -> Vec<(i32, u64, u64)> {
    let spans = trace.iter().filter_map(|e| {
        let (dur, lane) = (e.dur_ms?, lanes.row(&e.from)?);
        Some((lane, e.t_ms, e.t_ms.saturating_add(dur)))
    });
    merge(spans.collect())
}

/// Intervals (lane, start, end) with the overlapping or touching ones of a lane merged.
fn merge(spans: Vec<(i32, u64, u64)>) -> Vec<(i32, u64, u64)> {
    let mut by_lane: BTreeMap<i32, Vec<(u64, u64)>> = BTreeMap::new();
    for (lane, a, b) in spans {
        by_lane.entry(lane).or_default().push((a, b));
    }
    let mut bars = Vec::new();
    for (lane, mut spans) in by_lane {
        spans.sort_unstable();
        let mut current: Option<(u64, u64)> = None;
        for (a, b) in spans {
            current = match current {
                Some((s, e)) if a <= e => Some((s, e.max(b))),
                Some((s, e)) => {
                    bars.push((lane, s, e));
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((s, e)) = current {
            bars.push((lane, s, e));
        }
    }
    bars
}

/// The L1 block number at simulated second `t_s`, from the run's blocks (one per slot).
fn block_at(blocks: &[BlockPoint], t_s: f64) -> f64 {
    match (blocks.first(), blocks.last()) {
        (Some(a), Some(b)) if b.t_ms > a.t_ms => {
            let per_s = (b.number - a.number) as f64 / ((b.t_ms - a.t_ms) as f64 / 1000.0);
            a.number as f64 + (t_s - a.t_ms as f64 / 1000.0) * per_s
        }
        (Some(a), _) => a.number as f64,
        _ => 0.0,
    }
}

/// The timeline section: the chart and its legend.
pub fn section(outcome: &Outcome) -> String {
    let r = &outcome.report;
    let lanes = Lanes::new(r, &outcome.trace);
    let kinds = kind_colours(&outcome.trace);
    let colour: BTreeMap<&str, RGBColor> = kinds.iter().map(|(k, _, c)| (k.as_str(), *c)).collect();
    let end_ms = r.duration_ms.max(1);
    let dots = dots(&outcome.trace, &lanes, &colour, end_ms);
    let binned = dots.iter().any(|d| d.count > 1);
    let bars = proving_bars(&outcome.trace, &lanes, end_ms);
    let n = lanes.lanes.len() as i32;
    let end_s = end_ms as f64 / 1000.0;
    let blocks = &outcome.l1_blocks;
    let step = blocks.len().div_ceil(MAX_GRID).max(1);
    let first_block = block_at(blocks, 0.0);
    // A run of one block (or none) still gets an axis.
    let last_block = block_at(blocks, end_s).max(first_block + 1.0);
    let svg = drawn("the timeline", |svg| {
        let height = 90 + LANE_PX * n.max(1) as u32;
        let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(36)
            .top_x_label_area_size(36)
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..end_s, -1i32..n)?
            .set_secondary_coord(first_block..last_block, -1i32..n);
        let label = |y: &i32| {
            usize::try_from(n - 1 - *y)
                .ok()
                .and_then(|i| lanes.lanes.get(i))
                .map(|l| l.label.clone())
                .unwrap_or_default()
        };
        c.configure_mesh()
            .disable_mesh()
            .x_desc("simulated time (s)")
            .y_labels(n as usize + 2)
            .y_label_formatter(&label)
            .draw()?;
        c.configure_secondary_axes()
            .x_desc("L1 block")
            .x_label_formatter(&|b| format!("{b:.0}"))
            .draw()?;
        for (i, lane) in lanes.lanes.iter().enumerate() {
            let fill = match lane.mark {
                Mark::Attacker => ATTACKER_LANE,
                Mark::Faulted => FAULTED_LANE,
                Mark::Plain => continue,
            };
            let y = n - 1 - i as i32;
            c.draw_series(LineSeries::new(
                [(0.0, y), (end_s, y)],
                fill.stroke_width(LANE_PX - 4),
            ))?;
        }
        for b in blocks.iter().step_by(step) {
            let x = b.t_ms as f64 / 1000.0;
            c.draw_series(LineSeries::new(
                [(x, -1), (x, n)],
                RGBColor(0xdd, 0xdd, 0xdd).stroke_width(1),
            ))?;
        }
        c.draw_series(bars.iter().map(|&(lane, a, b)| {
            PathElement::new(vec![(a, lane), (b, lane)], PROVING.stroke_width(8))
        }))?;
        c.draw_series(dots.iter().map(|d| {
            let radius = if binned {
                2 + (d.count as f64).log10().round() as i32
            } else {
                2
            };
            Circle::new((d.t_s, d.lane), radius, d.colour.filled())
        }))?;
        root.present()?;
        Ok(())
    })
    .unwrap_or_else(|line| line);
    let mut legend = String::new();
    for (kind, count, c) in &kinds {
        legend.push_str(&swatch(c, &format!("{kind} ({count})"), "&#9679;"));
    }
    legend.push_str(&swatch(&PROVING, "proving (simulated time)", "&#9644;"));
    if lanes.lanes.iter().any(|l| l.mark == Mark::Attacker) {
        legend.push_str(&swatch(&ATTACKER_LANE, "attacker's lane", "&#9632;"));
    }
    if lanes.lanes.iter().any(|l| l.mark == Mark::Faulted) {
        legend.push_str(&swatch(&FAULTED_LANE, "lane a fault touched", "&#9632;"));
    }
    format!(
        "<h2>Timeline</h2>\n<p>A dot is a message received by the lane's actor (kind and count in the legend){}; a bar is a proving job, from its start to its simulated end. Grey lines are L1 blocks{}. The full trace: <code>trace.perfetto.json</code> (open it in ui.perfetto.dev) and <code>trace.jsonl</code>.</p>\n<p>{legend}</p>\n{svg}\n",
        if binned {
            format!(
                "; with {} messages, one dot stands for all of a lane's messages in 1/{COLUMNS} of the run (larger: more; the colour is the most common kind)",
                message_count(&outcome.trace)
            )
        } else {
            String::new()
        },
        if step > 1 {
            format!(" (every {step}th)")
        } else {
            String::new()
        }
    )
}

/// A legend entry.
pub(super) fn swatch(c: &RGBColor, text: &str, symbol: &str) -> String {
    format!(
        "<span style=\"margin-right:1.2em;white-space:nowrap\"><span style=\"color:#{:02x}{:02x}{:02x};font-size:1.3em\">{symbol}</span> {}</span>",
        c.0,
        c.1,
        c.2,
        escape(text)
    )
}

/// The L1 base fee over the run, in gwei.
pub fn base_fee_section(outcome: &Outcome) -> String {
    let blocks = &outcome.l1_blocks;
    if blocks.is_empty() {
        return String::new();
    }
    let gwei = |b: &BlockPoint| b.base_fee as f64 / 1e9;
    let (lo, hi) = blocks
        .iter()
        .map(gwei)
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let pad = ((hi - lo) * 0.1).max(hi * 0.05).max(1e-9);
    let end_s = outcome.report.duration_ms.max(1) as f64 / 1000.0;
    let svg = drawn("the base fee chart", |svg| {
        let root = SVGBackend::with_string(svg, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut c = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..end_s, (lo - pad).max(0.0)..hi + pad)?;
        c.configure_mesh()
            .x_desc("simulated time (s)")
            .y_desc("base fee (gwei)")
            .y_label_formatter(&|v| format!("{v:.4}"))
            .draw()?;
        c.draw_series(LineSeries::new(
            blocks.iter().map(|b| (b.t_ms as f64 / 1000.0, gwei(b))),
            KIND_COLOURS[0].stroke_width(2),
        ))?;
        root.present()?;
        Ok(())
    })
    .unwrap_or_else(|line| line);
    let (gas_lo, gas_hi) = blocks.iter().fold((u64::MAX, 0), |(a, b), x| {
        let pct = x.gas_used * 100 / x.gas_limit.max(1);
        (a.min(pct), b.max(pct))
    });
    let (blob_lo, blob_hi) = blocks.iter().fold((u128::MAX, 0), |(a, b), x| {
        (a.min(x.blob_base_fee), b.max(x.blob_base_fee))
    });
    format!(
        "<h2>L1 base fee</h2>\n<p>Per block, in gwei (1 gwei = 1e9 wei). Blocks used {gas_lo}-{gas_hi} % of their gas limit; the blob base fee was {blob_lo}-{blob_hi} wei per blob gas.</p>\n{svg}\n"
    )
}
