//! Fault injection on the event queue: a scenario scripts faults per link or per actor
//! and per time window, and the driver asks the [`FaultPlan`] where (and whether) each
//! message is delivered. Actors and message kinds are named by strings, so the plan
//! knows nothing of actor types.

use serde::{Deserialize, Serialize};

use super::rng::SimRng;
use super::time::SimTime;

/// Which messages a link fault touches; an absent field matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Sender name.
    #[serde(default)]
    pub from: Option<String>,
    /// Receiver name.
    #[serde(default)]
    pub to: Option<String>,
    /// Message kind (as in the trace).
    #[serde(default)]
    pub kind: Option<String>,
}

impl Link {
    fn matches(&self, from: &str, to: &str, kind: &str) -> bool {
        self.from.as_deref().is_none_or(|f| f == from)
            && self.to.as_deref().is_none_or(|t| t == to)
            && self.kind.as_deref().is_none_or(|k| k == kind)
    }
}

/// One scripted fault. Windows are `[from_ms, until_ms)` in simulated milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Messages on the link arrive `ms` later.
    Delay {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// Messages touched.
        #[serde(default)]
        link: Link,
        /// Extra delay.
        ms: u64,
    },
    /// Messages on the link are lost.
    Drop {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// Messages touched.
        #[serde(default)]
        link: Link,
    },
    /// Messages on the link arrive twice.
    Duplicate {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// Messages touched.
        #[serde(default)]
        link: Link,
    },
    /// Messages on the link get a random extra delay in `[0, max_ms]` (from the seed),
    /// which reorders them.
    Reorder {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// Messages touched.
        #[serde(default)]
        link: Link,
        /// Largest extra delay.
        max_ms: u64,
    },
    /// Messages between `group` and everyone else are lost.
    Partition {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// One side of the partition.
        group: Vec<String>,
    },
    /// The actor is down from `at_ms`: messages to it are lost and it sends nothing;
    /// it restarts at `restart_ms` (if given) and is told so.
    Crash {
        /// Actor.
        actor: String,
        /// Crash time.
        at_ms: u64,
        /// Restart time.
        #[serde(default)]
        restart_ms: Option<u64>,
    },
    /// The actor's outgoing messages of `kind` are held back until the window ends
    /// (and dropped if `release` is false).
    Withhold {
        /// Window start.
        from_ms: u64,
        /// Window end.
        until_ms: u64,
        /// Actor.
        actor: String,
        /// Message kind.
        kind: String,
        /// Whether held messages go out when the window ends.
        #[serde(default)]
        release: bool,
    },
}

impl Fault {
    /// Names of the actors the fault refers to (for validation).
    pub fn actors(&self) -> Vec<&str> {
        fn link(l: &Link) -> Vec<&str> {
            [l.from.as_deref(), l.to.as_deref()]
                .into_iter()
                .flatten()
                .collect()
        }
        match self {
            Fault::Delay { link: l, .. }
            | Fault::Drop { link: l, .. }
            | Fault::Duplicate { link: l, .. }
            | Fault::Reorder { link: l, .. } => link(l),
            Fault::Partition { group, .. } => group.iter().map(String::as_str).collect(),
            Fault::Crash { actor, .. } | Fault::Withhold { actor, .. } => vec![actor.as_str()],
        }
    }

    /// The window `[from, until)` of a windowed fault, or a crash's `[at, restart)`
    /// (`None` for a crash without restart).
    pub fn window(&self) -> Option<(u64, u64)> {
        match *self {
            Fault::Delay {
                from_ms, until_ms, ..
            }
            | Fault::Drop {
                from_ms, until_ms, ..
            }
            | Fault::Duplicate {
                from_ms, until_ms, ..
            }
            | Fault::Reorder {
                from_ms, until_ms, ..
            }
            | Fault::Partition {
                from_ms, until_ms, ..
            }
            | Fault::Withhold {
                from_ms, until_ms, ..
            } => Some((from_ms, until_ms)),
            Fault::Crash {
                at_ms, restart_ms, ..
            } => restart_ms.map(|r| (at_ms, r)),
        }
    }

    /// The message kinds the fault selects (its link's, or a withheld kind).
    pub fn kinds(&self) -> Vec<&str> {
        match self {
            Fault::Delay { link, .. }
            | Fault::Drop { link, .. }
            | Fault::Duplicate { link, .. }
            | Fault::Reorder { link, .. } => link.kind.as_deref().into_iter().collect(),
            Fault::Withhold { kind, .. } => vec![kind.as_str()],
            Fault::Partition { .. } | Fault::Crash { .. } => Vec::new(),
        }
    }

    /// A one-line description for reports.
    pub fn describe(&self) -> String {
        let win = |a: &u64, b: &u64| format!("[{}s, {}s)", a / 1000, b / 1000);
        let link = |l: &Link| {
            format!(
                "{} -> {}{}",
                l.from.as_deref().unwrap_or("*"),
                l.to.as_deref().unwrap_or("*"),
                l.kind
                    .as_deref()
                    .map(|k| format!(" ({k})"))
                    .unwrap_or_default()
            )
        };
        match self {
            Fault::Delay {
                from_ms,
                until_ms,
                link: l,
                ms,
            } => format!("delay {ms} ms on {} {}", link(l), win(from_ms, until_ms)),
            Fault::Drop {
                from_ms,
                until_ms,
                link: l,
            } => format!("drop on {} {}", link(l), win(from_ms, until_ms)),
            Fault::Duplicate {
                from_ms,
                until_ms,
                link: l,
            } => format!("duplicate on {} {}", link(l), win(from_ms, until_ms)),
            Fault::Reorder {
                from_ms,
                until_ms,
                link: l,
                max_ms,
            } => format!(
                "reorder (up to {max_ms} ms) on {} {}",
                link(l),
                win(from_ms, until_ms)
            ),
            Fault::Partition {
                from_ms,
                until_ms,
                group,
            } => format!(
                "partition of {{{}}} {}",
                group.join(", "),
                win(from_ms, until_ms)
            ),
            Fault::Crash {
                actor,
                at_ms,
                restart_ms,
            } => match restart_ms {
                Some(r) => format!(
                    "{actor} crashes at {}s, restarts at {}s",
                    at_ms / 1000,
                    r / 1000
                ),
                None => format!("{actor} crashes at {}s", at_ms / 1000),
            },
            Fault::Withhold {
                from_ms,
                until_ms,
                actor,
                kind,
                release,
            } => format!(
                "{actor} withholds {kind} {}{}",
                win(from_ms, until_ms),
                if *release { ", released after" } else { "" }
            ),
        }
    }
}

/// The faults of a run, applied to every message the driver schedules.
#[derive(Clone, Debug)]
pub struct FaultPlan {
    faults: Vec<Fault>,
    /// Actors no fault touches (the run's instruments).
    exempt: Vec<String>,
    rng: SimRng,
    /// How many messages each fault touched, by position.
    pub hits: Vec<u64>,
}

fn inside(t: u64, from: u64, until: u64) -> bool {
    from <= t && t < until
}

impl FaultPlan {
    /// A plan for `faults`, its randomness drawn from `seed`.
    pub fn new(faults: Vec<Fault>, seed: u64) -> Self {
        let hits = vec![0; faults.len()];
        Self {
            faults,
            exempt: Vec::new(),
            rng: SimRng::stream(seed, "faults"),
            hits,
        }
    }

    /// The same plan, never touching `actors` (the run's instruments: the safety
    /// oracle must see everything, whatever the faults): their messages are delivered
    /// on time and they never crash.
    ///
    /// ```
    /// use zkarena_harness::sim::{Fault, FaultPlan, SimTime};
    /// let crash: Fault = serde_json::from_str(
    ///     r#"{ "fault": "crash", "actor": "referee", "at_ms": 0 }"#,
    /// ).unwrap();
    /// let plan = FaultPlan::new(vec![crash], 1).exempting(&["referee"]);
    /// assert!(!plan.is_down("referee", SimTime::from_millis(5)));
    /// ```
    pub fn exempting(mut self, actors: &[&str]) -> Self {
        self.exempt = actors.iter().map(|a| a.to_string()).collect();
        self
    }

    fn is_exempt(&self, actor: &str) -> bool {
        self.exempt.iter().any(|e| e == actor)
    }

    /// The faults.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Whether `actor` is down at `t`.
    pub fn is_down(&self, actor: &str, t: SimTime) -> bool {
        if self.is_exempt(actor) {
            return false;
        }
        let t = t.as_millis();
        self.faults.iter().any(|f| match f {
            Fault::Crash {
                actor: a,
                at_ms,
                restart_ms,
            } => a == actor && t >= *at_ms && restart_ms.is_none_or(|r| t < r),
            _ => false,
        })
    }

    /// Restart times: (actor, time).
    pub fn restarts(&self) -> Vec<(String, SimTime)> {
        self.faults
            .iter()
            .filter_map(|f| match f {
                Fault::Crash {
                    actor,
                    restart_ms: Some(r),
                    ..
                } => Some((actor.clone(), SimTime::from_millis(*r))),
                _ => None,
            })
            .collect()
    }

    /// Delivery times for a message sent at `now` from `from` to `to`, due at `due`:
    /// empty when it is lost, two entries when it is duplicated.
    pub fn route(
        &mut self,
        now: SimTime,
        from: &str,
        to: &str,
        kind: &str,
        due: SimTime,
    ) -> Vec<SimTime> {
        if self.is_exempt(from) || self.is_exempt(to) {
            return vec![due];
        }
        let t = now.as_millis();
        let mut times = vec![due.as_millis()];
        for (i, f) in self.faults.iter().enumerate() {
            let hit = match f {
                Fault::Delay {
                    from_ms,
                    until_ms,
                    link,
                    ms,
                } if inside(t, *from_ms, *until_ms) && link.matches(from, to, kind) => {
                    times.iter_mut().for_each(|x| *x = x.saturating_add(*ms));
                    true
                }
                Fault::Drop {
                    from_ms,
                    until_ms,
                    link,
                } if inside(t, *from_ms, *until_ms) && link.matches(from, to, kind) => {
                    times.clear();
                    true
                }
                Fault::Duplicate {
                    from_ms,
                    until_ms,
                    link,
                } if inside(t, *from_ms, *until_ms) && link.matches(from, to, kind) => {
                    if let Some(&x) = times.first() {
                        times.push(x);
                    }
                    true
                }
                Fault::Reorder {
                    from_ms,
                    until_ms,
                    link,
                    max_ms,
                } if inside(t, *from_ms, *until_ms) && link.matches(from, to, kind) => {
                    for x in times.iter_mut() {
                        *x = x.saturating_add(self.rng.below(max_ms.saturating_add(1)));
                    }
                    true
                }
                Fault::Partition {
                    from_ms,
                    until_ms,
                    group,
                } if inside(t, *from_ms, *until_ms)
                    && (group.iter().any(|g| g == from) != group.iter().any(|g| g == to)) =>
                {
                    times.clear();
                    true
                }
                Fault::Withhold {
                    from_ms,
                    until_ms,
                    actor,
                    kind: k,
                    release,
                } if inside(t, *from_ms, *until_ms) && actor == from && k == kind => {
                    if *release {
                        times.iter_mut().for_each(|x| *x = (*x).max(*until_ms));
                    } else {
                        times.clear();
                    }
                    true
                }
                _ => false,
            };
            if hit {
                self.hits[i] += 1;
            }
            if times.is_empty() {
                break;
            }
        }
        times.into_iter().map(SimTime::from_millis).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(from: &str, to: &str) -> Link {
        Link {
            from: Some(from.into()),
            to: Some(to.into()),
            kind: None,
        }
    }

    #[test]
    fn each_fault_acts_on_its_link_and_window_only() {
        let t = SimTime::from_millis;
        let mut plan = FaultPlan::new(
            vec![
                Fault::Delay {
                    from_ms: 0,
                    until_ms: 1000,
                    link: link("a", "b"),
                    ms: 50,
                },
                Fault::Drop {
                    from_ms: 1000,
                    until_ms: 2000,
                    link: link("a", "b"),
                },
                Fault::Duplicate {
                    from_ms: 0,
                    until_ms: 1000,
                    link: link("b", "a"),
                },
                Fault::Partition {
                    from_ms: 3000,
                    until_ms: 4000,
                    group: vec!["c".into()],
                },
                Fault::Withhold {
                    from_ms: 0,
                    until_ms: 5000,
                    actor: "c".into(),
                    kind: "proof".into(),
                    release: true,
                },
            ],
            1,
        );
        assert_eq!(plan.route(t(10), "a", "b", "x", t(10)), vec![t(60)]);
        assert_eq!(plan.route(t(1500), "a", "b", "x", t(1500)), vec![]);
        assert_eq!(plan.route(t(2500), "a", "b", "x", t(2500)), vec![t(2500)]);
        assert_eq!(plan.route(t(10), "b", "a", "x", t(10)), vec![t(10), t(10)]);
        assert_eq!(plan.route(t(3500), "c", "a", "x", t(3500)), vec![]);
        assert_eq!(plan.route(t(3500), "a", "b", "x", t(3500)), vec![t(3500)]);
        assert_eq!(plan.route(t(100), "c", "a", "proof", t(100)), vec![t(5000)]);
        assert_eq!(plan.hits, vec![1, 1, 1, 1, 1]);
    }

    #[test]
    fn extreme_delays_saturate_instead_of_overflowing() {
        let link = Link::default();
        let mut plan = FaultPlan::new(
            vec![
                Fault::Delay {
                    from_ms: 0,
                    until_ms: u64::MAX,
                    link: link.clone(),
                    ms: u64::MAX,
                },
                Fault::Reorder {
                    from_ms: 0,
                    until_ms: u64::MAX,
                    link,
                    max_ms: u64::MAX,
                },
            ],
            3,
        );
        let t = SimTime::from_millis;
        assert_eq!(plan.route(t(5), "a", "b", "x", t(5)), vec![t(u64::MAX)]);
    }

    #[test]
    fn crash_windows() {
        let plan = FaultPlan::new(
            vec![Fault::Crash {
                actor: "s".into(),
                at_ms: 100,
                restart_ms: Some(200),
            }],
            0,
        );
        assert!(!plan.is_down("s", SimTime::from_millis(99)));
        assert!(plan.is_down("s", SimTime::from_millis(100)));
        assert!(!plan.is_down("s", SimTime::from_millis(200)));
        assert_eq!(
            plan.restarts(),
            vec![("s".into(), SimTime::from_millis(200))]
        );
    }

    #[test]
    fn faults_parse_strictly() {
        let f: Fault = serde_json::from_str(
            r#"{"fault":"delay","from_ms":0,"until_ms":5,"link":{"from":"a"},"ms":3}"#,
        )
        .unwrap();
        assert!(matches!(f, Fault::Delay { ms: 3, .. }));
        assert!(serde_json::from_str::<Fault>(
            r#"{"fault":"delay","from_ms":0,"until_ms":5,"ms":3,"oops":1}"#
        )
        .is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"fault":"melt"}"#).is_err());
    }
}
