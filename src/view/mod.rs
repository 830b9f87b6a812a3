//! What a person sees of one run: `timeline.html` (the report's table, a timeline of
//! who received what and when, the L1 base fee, and what each actor earned and paid,
//! drawn with plotters) and `trace.perfetto.json` (every event for the trace viewers
//! people already use).

mod earnings;
mod lanes;
pub mod perfetto;
mod timeline;

use zkarena_harness::report::escape;

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

/// A chart's SVG, or a line saying why it could not be drawn.
fn drawn(
    what: &str,
    draw: impl FnOnce(&mut String) -> Result<(), Box<dyn std::error::Error>>,
) -> String {
    let mut svg = String::new();
    match draw(&mut svg) {
        Ok(()) => svg,
        Err(e) => format!(
            "<p class=\"bad\">{} not drawn: {}</p>",
            escape(what),
            escape(&e.to_string())
        ),
    }
}
