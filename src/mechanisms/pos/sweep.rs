//! The PoS cartel sweep (a scenario's `sweep`): the scenario run once per cartel share
//! of the stake and seed, one row per run, as a table, JSON and a chart of honest stake
//! slashed against the cartel's share (the seed's 1/3 threshold).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::report::PosReport;
use super::ProofOfStake;
use crate::mechanisms::Refusal;
use crate::run::{run, RunError, RunOptions};
use crate::scenario::{CastMember, Scenario, ScenarioError};

/// A sweep over the stake cartel's share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartelSweep {
    /// Cartel shares of the total stake (percent, each in 0..=95).
    pub cartel_pct: Vec<u64>,
    /// Seeds to run each share with.
    pub seeds: Vec<u64>,
}

/// One run of a sweep over the cartel's stake.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The cartel's share of the stake (percent).
    pub cartel_pct: u64,
    /// Seed.
    pub seed: u64,
    /// Slots started.
    pub slots: u64,
    /// Slots with a canonical block.
    pub canonical: u64,
    /// Slots uncled.
    pub uncled: u64,
    /// Honest stake slashed (1e-9 token).
    pub honest_slashed: u64,
    /// Honest stake slashed, percent of the honest stake.
    pub honest_stake_slashed_pct: f64,
    /// Cartel stake slashed (1e-9 token).
    pub cartel_slashed: u64,
    /// Longest run of slots without a canonical block.
    pub liveness_gap_slots: u64,
    /// Every invariant held and every expectation was met.
    pub passed: bool,
}

/// A sweep over the cartel's share of the stake: one row per share and seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Scenario name.
    pub scenario: String,
    /// Description.
    pub description: String,
    /// The cartel's strategy.
    pub cartel_strategy: String,
    /// Rows, by share then seed.
    pub rows: Vec<SweepRow>,
}

impl SweepReport {
    /// Per share: (share, mean honest stake slashed %, mean cartel slashed, mean
    /// uncled slots, runs).
    pub fn means(&self) -> Vec<(u64, f64, f64, f64, usize)> {
        let mut out: Vec<(u64, f64, f64, f64, usize)> = Vec::new();
        for r in &self.rows {
            match out.iter_mut().find(|m| m.0 == r.cartel_pct) {
                Some(m) => {
                    m.1 += r.honest_stake_slashed_pct;
                    m.2 += r.cartel_slashed as f64;
                    m.3 += r.uncled as f64;
                    m.4 += 1;
                }
                None => out.push((
                    r.cartel_pct,
                    r.honest_stake_slashed_pct,
                    r.cartel_slashed as f64,
                    r.uncled as f64,
                    1,
                )),
            }
        }
        for m in &mut out {
            let n = m.4 as f64;
            m.1 = (m.1 / n * 100.0).round() / 100.0;
            m.2 = (m.2 / n).round();
            m.3 = (m.3 / n * 100.0).round() / 100.0;
        }
        out
    }

    /// The table: one line per share, means over the seeds.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} (cartel strategy {}): {} runs",
            self.scenario,
            self.cartel_strategy,
            self.rows.len()
        );
        let _ = writeln!(s, "  {}", self.description);
        let _ = writeln!(
            s,
            "\n{:>7} {:>5} {:>20} {:>22} {:>14}",
            "cartel", "runs", "honest slashed (%)", "cartel slashed (1e-9)", "uncled slots"
        );
        for (pct, honest, cartel, uncled, n) in self.means() {
            let _ = writeln!(
                s,
                "{:>6}% {:>5} {:>20.2} {:>22} {:>14.2}",
                pct, n, honest, cartel, uncled
            );
        }
        s
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a sweep report serializes")
    }

    /// A self-contained HTML page: the table and a chart of honest stake slashed (%)
    /// against the cartel's share, every run as a dot and the mean as a line, with
    /// the 1/3 threshold marked.
    pub fn html(&self) -> String {
        let (w, h, left, bottom) = (640.0, 360.0, 60.0, 40.0);
        let max_y = self
            .rows
            .iter()
            .map(|r| r.honest_stake_slashed_pct)
            .fold(1.0f64, f64::max);
        // The x axis runs to the largest share swept, rounded up to 10%.
        let max_x = self
            .rows
            .iter()
            .map(|r| r.cartel_pct)
            .max()
            .unwrap_or(0)
            .max(10);
        let max_x = max_x.div_ceil(10) * 10;
        let x = |pct: f64| left + pct / max_x as f64 * (w - left - 20.0);
        let y = |v: f64| h - bottom - v / max_y * (h - bottom - 20.0);
        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="monospace" font-size="11">"#
        );
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" stroke="#000"/><line x1="{left}" y1="20" x2="{left}" y2="{0}" stroke="#000"/>"##,
            h - bottom,
            w - 20.0
        );
        for t in (0..=max_x).step_by(5) {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{t}%</text>"#,
                x(t as f64),
                h - bottom + 14.0
            );
        }
        let _ = write!(
            svg,
            r##"<line x1="{0:.1}" y1="20" x2="{0:.1}" y2="{1}" stroke="#c33" stroke-dasharray="4"/><text x="{0:.1}" y="16" fill="#c33">1/3</text>"##,
            x(100.0 / 3.0),
            h - bottom
        );
        let _ = write!(
            svg,
            r#"<text x="4" y="{}">{max_y:.1}%</text><text x="4" y="{}">0%</text><text x="{}" y="{}" text-anchor="middle">cartel share of stake</text>"#,
            y(max_y) + 4.0,
            y(0.0) + 4.0,
            w / 2.0,
            h - 6.0
        );
        for r in &self.rows {
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#37c" fill-opacity="0.5"><title>{}%, seed {}: {:.2}%</title></circle>"##,
                x(r.cartel_pct as f64),
                y(r.honest_stake_slashed_pct),
                r.cartel_pct,
                r.seed,
                r.honest_stake_slashed_pct
            );
        }
        let points: Vec<String> = self
            .means()
            .iter()
            .map(|m| format!("{:.1},{:.1}", x(m.0 as f64), y(m.1)))
            .collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#37c" stroke-width="2"/></svg>"##,
            points.join(" ")
        );
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>zkarena: {}</title></head>\n<body style=\"font-family:sans-serif\">\n<h1>{}</h1>\n<pre>{}</pre>\n<h2>Honest stake slashed against the cartel's share</h2>\n{}\n</body></html>\n",
            zkarena_harness::report::escape(&self.scenario),
            zkarena_harness::report::escape(&self.scenario),
            zkarena_harness::report::escape(&self.table()),
            svg
        )
    }
}

/// Checks a scenario's sweep: a cartel and honest validators, shares and seeds, and
/// every run's stakes at the minimum.
pub(crate) fn validate(
    p: &ProofOfStake,
    s: &Scenario,
    bad: &Refusal<'_>,
) -> Result<(), ScenarioError> {
    let Some(sweep) = &s.sweep else {
        return Ok(());
    };
    let validators: Vec<&CastMember> = s
        .cast
        .iter()
        .filter(|m| matches!(m, CastMember::Validator { .. }))
        .collect();
    let cartel = validators
        .iter()
        .filter(|m| m.validator().is_some_and(|p| p.strategy.is_cartel()))
        .count();
    if cartel == 0 || cartel == validators.len() {
        return Err(bad(
            "sweep",
            "needs both cartel validators (a strategy other than honest) and honest ones".into(),
        ));
    }
    if sweep.cartel_pct.is_empty() || sweep.seeds.is_empty() {
        return Err(bad("sweep", "needs cartel shares and seeds".into()));
    }
    if let Some((k, pct)) = sweep.cartel_pct.iter().enumerate().find(|(_, x)| **x > 95) {
        return Err(bad(
            &format!("sweep.cartel_pct[{k}]"),
            format!("{pct} is outside 0..=95"),
        ));
    }
    // Every run's stakes must reach the minimum (a member left without stake leaves
    // the cast).
    for (k, &pct) in sweep.cartel_pct.iter().enumerate() {
        let small = with_cartel_share(s, pct, s.seed)
            .cast
            .iter()
            .filter_map(|m| match m {
                CastMember::Validator { stake, .. } => Some(*stake),
                _ => None,
            })
            .min();
        if let Some(stake) = small.filter(|x| *x < p.min_stake) {
            return Err(bad(
                &format!("sweep.cartel_pct[{k}]"),
                format!(
                    "at {pct}% a validator stakes {stake} tokens, below mechanism.min_stake ({})",
                    p.min_stake
                ),
            ));
        }
    }
    Ok(())
}

/// Runs a scenario's sweep: once per cartel share and seed ([`with_cartel_share`]),
/// one row per run. `progress` is called after each run with (runs done, total).
pub fn run_sweep(
    scenario: &Scenario,
    opts: &RunOptions,
    progress: Option<fn(u64, u64)>,
) -> Result<SweepReport, RunError> {
    let Some(sweep) = &scenario.sweep else {
        return Ok(SweepReport::default());
    };
    let total = (sweep.cartel_pct.len() * sweep.seeds.len()) as u64;
    let opts = RunOptions {
        progress: None,
        ..opts.clone()
    };
    let mut rows = Vec::new();
    let mut strategy = "none".to_string();
    for &pct in &sweep.cartel_pct {
        for &seed in &sweep.seeds {
            let s = with_cartel_share(scenario, pct, seed);
            let report = run(&s, &opts).map_err(|e| e.in_run(&s.name))?.report;
            let p = PosReport::of(&report).unwrap_or_default();
            if p.cartel_strategy != "none" {
                strategy = p.cartel_strategy.clone();
            }
            rows.push(SweepRow {
                cartel_pct: pct,
                seed,
                slots: p.slots,
                canonical: p.canonical,
                uncled: p.uncled,
                honest_slashed: p.honest_slashed,
                honest_stake_slashed_pct: p.honest_stake_slashed_pct,
                cartel_slashed: p.cartel_slashed,
                liveness_gap_slots: p.liveness_gap_slots,
                passed: report.passed(),
            });
            if let Some(f) = progress {
                f(rows.len() as u64, total);
            }
        }
    }
    Ok(SweepReport {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        cartel_strategy: strategy,
        rows,
    })
}

/// The scenario with the cartel holding `pct` percent of the total stake (split
/// evenly among its members, the rest evenly among the honest validators; members
/// left without stake leave the cast) and seed `seed`.
pub fn with_cartel_share(base: &Scenario, pct: u64, seed: u64) -> Scenario {
    let mut s = base.clone();
    s.seed = seed;
    s.sweep = None;
    s.name = format!("{}@{pct}%/seed{seed}", base.name);
    let is_cartel = |m: &CastMember| m.validator().is_some_and(|p| p.strategy.is_cartel());
    let total: u64 = s
        .cast
        .iter()
        .map(|m| match m {
            CastMember::Validator { stake, .. } => *stake,
            _ => 0,
        })
        .sum();
    let cartel = s.cast.iter().filter(|m| is_cartel(m)).count() as u64;
    let honest = s
        .cast
        .iter()
        .filter(|m| matches!(m, CastMember::Validator { .. }) && !is_cartel(m))
        .count() as u64;
    let cartel_total = total * pct / 100;
    let flags: Vec<bool> = s.cast.iter().map(is_cartel).collect();
    for (m, cartel_member) in s.cast.iter_mut().zip(flags) {
        if let CastMember::Validator { stake, .. } = m {
            *stake = if cartel_member {
                cartel_total / cartel.max(1)
            } else {
                (total - cartel_total) / honest.max(1)
            };
        }
    }
    s.cast
        .retain(|m| !matches!(m, CastMember::Validator { stake: 0, .. }));
    s
}
