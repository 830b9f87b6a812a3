//! What a person sees of one run: `timeline.html` (the report's table, a timeline of
//! who received what and when, the L1 base fee, and what each actor earned and paid,
//! drawn with plotters) and `trace.perfetto.json` (every event for the trace viewers
//! people already use).

mod earnings;
mod lanes;
pub mod perfetto;
mod timeline;

use std::collections::BTreeSet;

use zkarena_harness::report::{escape, Report};
use zkarena_harness::sim::TraceEntry;

use crate::run::Outcome;
use crate::sweep::output::page;

pub use lanes::{Lanes, MAX_LANES};
pub use timeline::MAX_MARKS;

/// The run's page: summary table, timeline, base fee, earnings; under 5 MB at any run
/// size (the timeline bins its marks above [`MAX_MARKS`], lanes are grouped above
/// [`MAX_LANES`]).
pub fn html(outcome: &Outcome) -> String {
    let r = &outcome.report;
    let mut body = format!("<h1>{}</h1>\n", escape(&r.scenario));
    body.push_str(&format!("<pre>{}</pre>\n", escape(&r.table())));
    body.push_str(&timeline::section(outcome));
    body.push_str(&timeline::base_fee_section(outcome));
    body.push_str(&earnings::section(r));
    page(&format!("zkarena: {}", r.scenario), &body)
}

/// Everyone in a run, once each: the cast in report order, then anyone else the trace
/// names (the driver, the prover pool, the referee) as first seen. The timeline's lanes
/// and the Perfetto tracks follow it.
fn participants<'a>(report: &'a Report, trace: &'a [TraceEntry]) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    let cast = report.actors.iter().map(|a| a.name.as_str());
    let in_trace = trace.iter().flat_map(|e| [e.from.as_str(), e.to.as_str()]);
    cast.chain(in_trace).filter(|n| seen.insert(*n)).collect()
}
