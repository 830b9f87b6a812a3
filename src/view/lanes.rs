//! The timeline's lanes: one per actor while they fit, a role's actors folded into one
//! lane ("user x1000") when there are too many to read.

use std::collections::BTreeMap;

use zkarena_harness::report::{ActorReport, Report, RoleKind};
use zkarena_harness::sim::TraceEntry;

/// Most lanes a timeline shows; above it the largest roles fold into one lane each.
pub const MAX_LANES: usize = 32;
/// Users beyond this many always share one lane.
const MAX_USER_LANES: usize = 8;

/// How a lane is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// An honest actor, or an instrument (driver, prover pool).
    Plain,
    /// An attacker.
    Attacker,
    /// An actor a fault touched.
    Faulted,
}

/// One lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Its label.
    pub label: String,
    /// How it is drawn.
    pub mark: Mark,
}

/// The lanes of a run and which lane each actor is on.
#[derive(Clone, Debug)]
pub struct Lanes {
    /// Lanes, top to bottom.
    pub lanes: Vec<Lane>,
    of: BTreeMap<String, usize>,
}

impl Lanes {
    /// The lanes for `report`'s actors and whoever else appears in `trace`.
    pub fn new(report: &Report, trace: &[TraceEntry]) -> Self {
        let cast: BTreeMap<&str, &ActorReport> =
            report.actors.iter().map(|a| (a.name.as_str(), a)).collect();
        let mark = |a: &ActorReport| {
            if a.role.is_attacker() {
                Mark::Attacker
            } else if report.faults.iter().any(|f| names(&f.fault, &a.name)) {
                Mark::Faulted
            } else {
                Mark::Plain
            }
        };
        // (name, role, mark); an instrument's role is its name.
        let actors: Vec<(&str, &str, Mark)> = super::participants(report, trace)
            .into_iter()
            .map(|n| match cast.get(n) {
                Some(a) => (n, a.role.as_str(), mark(a)),
                None => (n, n, Mark::Plain),
            })
            .collect();
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &actors {
            *count.entry(a.1).or_default() += 1;
        }
        let mut folded: Vec<&str> = Vec::new();
        if count.get(RoleKind::User.as_str()).copied().unwrap_or(0) > MAX_USER_LANES {
            folded.push(RoleKind::User.as_str());
        }
        let lanes_with = |folded: &[&str]| {
            folded.len() + actors.iter().filter(|a| !folded.contains(&a.1)).count()
        };
        while lanes_with(&folded) > MAX_LANES {
            let Some((role, _)) = count
                .iter()
                .filter(|(r, _)| !folded.contains(r))
                .max_by_key(|(r, n)| (**n, std::cmp::Reverse(**r)))
            else {
                break;
            };
            folded.push(role);
        }
        let mut lanes: Vec<Lane> = Vec::new();
        let mut of = BTreeMap::new();
        let mut role_lane: BTreeMap<&str, usize> = BTreeMap::new();
        for &(name, role, mark) in &actors {
            let lane = if folded.contains(&role) {
                *role_lane.entry(role).or_insert_with(|| {
                    lanes.push(Lane {
                        label: format!("{role} x{}", count[role]),
                        mark: Mark::Plain,
                    });
                    lanes.len() - 1
                })
            } else {
                lanes.push(Lane {
                    label: name.to_string(),
                    mark,
                });
                lanes.len() - 1
            };
            // A folded lane is marked if any of its actors is.
            if mark != Mark::Plain && lanes[lane].mark == Mark::Plain {
                lanes[lane].mark = mark;
            }
            of.insert(name.to_string(), lane);
        }
        Self { lanes, of }
    }

    /// The lane of `actor`, counted from the top.
    pub fn of(&self, actor: &str) -> Option<usize> {
        self.of.get(actor).copied()
    }

    /// The chart row of `actor`'s lane: rows count from the bottom, so the first lane
    /// is drawn at the top.
    pub fn row(&self, actor: &str) -> Option<i32> {
        self.of(actor).map(|l| (self.lanes.len() - 1 - l) as i32)
    }
}

/// Whether a fault's description names `actor` as a whole word ("crash seq-a" names
/// seq-a, not seq-ab).
fn names(fault: &str, actor: &str) -> bool {
    fault
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .any(|w| w == actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_names_an_actor_as_a_whole_word() {
        assert!(names("crash seq-a at 12000 ms", "seq-a"));
        assert!(!names("crash seq-ab at 12000 ms", "seq-a"));
    }
}
