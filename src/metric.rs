//! The metrics an expectation names, typed: run-wide ones (`batches_verified`), an
//! actor's field (`fast.proofs_accepted`), and the metrics of the mechanism's report
//! section (`slots_canonical` under proof of stake). A metric the scenario's mechanism
//! does not report is refused at `check`, not NaN at the end of a run.

use std::collections::BTreeSet;

use zkarena_harness::report::{ActorReport, Fate, Report};

use crate::mechanisms::{Mechanism, MechanismConfig};

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// Its name in scenarios.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value named `text`.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

named_enum! {
    /// A run-wide metric.
    RunMetric {
        /// Batches sequenced on L1.
        BatchesSequenced = "batches_sequenced",
        /// Batches whose range was verified.
        BatchesVerified = "batches_verified",
        /// Users' L2 transactions applied.
        TxsApplied = "txs_applied",
        /// Users' L2 transactions sequenced but skipped.
        TxsSkipped = "txs_skipped",
        /// Users' L2 transactions still waiting at the end.
        TxsPending = "txs_pending",
        /// Users' L2 transactions lost.
        TxsLost = "txs_lost",
        /// Finalized roots the referee's replay does not reach.
        FinalizedInvalidRoots = "finalized_invalid_roots",
        /// Longest inclusion delay (ms).
        WorstInclusionDelayMs = "worst_inclusion_delay_ms",
        /// User transactions an attacker in the cast targets.
        TargetedTxs = "targeted_txs",
        /// Worst inclusion delay of a targeted transaction (ms).
        TargetedWorstDelayMs = "targeted_worst_delay_ms",
        /// Targeted transactions never included.
        TargetedNeverIncluded = "targeted_never_included",
        /// Longest time without a finalization (ms).
        LongestFinalizationGapMs = "longest_finalization_gap_ms",
        /// Nakamoto coefficient of sequencing.
        NakamotoSequencers = "nakamoto_sequencers",
        /// Nakamoto coefficient of proving.
        NakamotoProvers = "nakamoto_provers",
        /// User transactions never included (pending at the end, or lost).
        NeverIncluded = "never_included",
        /// Gini coefficient of what the actors that earn earned (0 = equal).
        GiniRewards = "gini_rewards",
        /// Share of MEV profit in all actors' earnings (0..1).
        MevShare = "mev_share",
    }
}

named_enum! {
    /// A field of an actor's report (`<actor>.<field>`).
    ActorField {
        /// L1 gas used.
        L1Gas = "l1_gas",
        /// L2 fees earned (L2 units).
        L2FeesEarned = "l2_fees_earned",
        /// Batches it sequenced.
        BatchesSequenced = "batches_sequenced",
        /// Proofs it submitted.
        ProofsSubmitted = "proofs_submitted",
        /// Proofs the L1 accepted.
        ProofsAccepted = "proofs_accepted",
        /// L2 transactions it sent.
        L2TxsSent = "l2_txs_sent",
        /// An attacker's L2 value change (gwei).
        MevProfit = "mev_profit",
        /// Earnings before L1 costs (gwei of ETH).
        EarningsGwei = "earnings_gwei",
        /// Profit (gwei of ETH).
        ProfitGwei = "profit_gwei",
        /// Proving time thrown away (ms).
        ProvingWastedMs = "proving_wasted_ms",
        /// Network-token balance change (1e-9 token).
        L1TokenDelta = "l1_token_delta",
        /// Fines (1e-9 token).
        Fines = "fines",
        /// Rewards (1e-9 token).
        Rewards = "rewards",
    }
}

/// A metric an expectation names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Run-wide.
    Run(RunMetric),
    /// An actor's field.
    Actor {
        /// The actor's name.
        actor: String,
        /// The field.
        field: ActorField,
    },
    /// A metric of the mechanism's report section.
    Section(&'static str),
}

impl Metric {
    /// Reads `text` for a scenario under `mechanism` whose cast is `names` with
    /// `users` users; the error says why it is not a metric of that scenario.
    pub fn parse(
        text: &str,
        mechanism: &dyn Mechanism,
        names: &BTreeSet<String>,
        users: usize,
    ) -> Result<Metric, String> {
        if let Some(m) = RunMetric::parse(text) {
            return Ok(Metric::Run(m));
        }
        if let Some(m) = mechanism.section_metrics().iter().find(|m| **m == text) {
            return Ok(Metric::Section(m));
        }
        if let Some(other) = MechanismConfig::registered()
            .iter()
            .find(|c| c.rules().section_metrics().contains(&text))
        {
            return Err(format!(
                "`{text}` is a metric of {}, not of {}",
                other.name(),
                mechanism.name()
            ));
        }
        let unknown = || format!("unknown metric `{text}`");
        let (actor, field) = text.rsplit_once('.').ok_or_else(unknown)?;
        let field = ActorField::parse(field).ok_or_else(unknown)?;
        // A user is named `user-<i>` exactly (not `user-01` or `user-+1`).
        let known = names.contains(actor)
            || actor
                .strip_prefix("user-")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n < users && actor == format!("user-{n}"));
        if !known {
            return Err(format!("unknown metric `{text}`: no actor `{actor}`"));
        }
        Ok(Metric::Actor {
            actor: actor.into(),
            field,
        })
    }

    /// Its value in `report` (NaN if the report lacks it).
    pub fn value(&self, report: &Report, mechanism: &dyn Mechanism) -> f64 {
        match self {
            Metric::Run(m) => run_metric(report, *m),
            Metric::Section(m) => mechanism.section_metric(report, m).unwrap_or(f64::NAN),
            Metric::Actor { actor, field } => report
                .actors
                .iter()
                .find(|a| &a.name == actor)
                .map_or(f64::NAN, |a| actor_field(a, *field)),
        }
    }
}

fn run_metric(report: &Report, m: RunMetric) -> f64 {
    let fates = |f: Fate| report.user_txs(f) as f64;
    let c = &report.scorecard;
    match m {
        RunMetric::BatchesSequenced => report.batches.len() as f64,
        RunMetric::BatchesVerified => {
            report.batches.iter().filter(|b| b.prover.is_some()).count() as f64
        }
        RunMetric::TxsApplied => fates(Fate::Applied),
        RunMetric::TxsSkipped => fates(Fate::Skipped),
        RunMetric::TxsPending => fates(Fate::Pending),
        RunMetric::TxsLost => fates(Fate::Lost),
        RunMetric::FinalizedInvalidRoots => c.finalized_invalid_roots as f64,
        RunMetric::WorstInclusionDelayMs => c.worst_inclusion_delay_ms as f64,
        RunMetric::TargetedTxs => c.targeted_txs as f64,
        RunMetric::TargetedWorstDelayMs => c.targeted_worst_delay_ms as f64,
        RunMetric::TargetedNeverIncluded => c.targeted_never_included as f64,
        RunMetric::LongestFinalizationGapMs => c.longest_finalization_gap_ms as f64,
        RunMetric::NakamotoSequencers => c.nakamoto_sequencers as f64,
        RunMetric::NakamotoProvers => c.nakamoto_provers as f64,
        RunMetric::NeverIncluded => c.never_included as f64,
        RunMetric::GiniRewards => c.gini_rewards,
        RunMetric::MevShare => c.mev_share,
    }
}

fn actor_field(a: &ActorReport, field: ActorField) -> f64 {
    match field {
        ActorField::L1Gas => a.l1_gas as f64,
        ActorField::L2FeesEarned => a.l2_fees_earned as f64,
        ActorField::BatchesSequenced => a.batches_sequenced as f64,
        ActorField::ProofsSubmitted => a.proofs_submitted as f64,
        ActorField::ProofsAccepted => a.proofs_accepted as f64,
        ActorField::L2TxsSent => a.l2_txs_sent as f64,
        ActorField::MevProfit => a.mev_profit as f64,
        ActorField::EarningsGwei => a.earnings_gwei as f64,
        ActorField::ProfitGwei => a.profit_gwei as f64,
        ActorField::ProvingWastedMs => a.proving_wasted_ms as f64,
        ActorField::L1TokenDelta => a.l1_token_delta as f64,
        ActorField::Fines => a.fines as f64,
        ActorField::Rewards => a.rewards as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mechanisms::poe::ProofOfEfficiency;
    use crate::mechanisms::pos::ProofOfStake;

    fn parse(text: &str, mechanism: &dyn Mechanism) -> Result<Metric, String> {
        let names = ["seq".to_string()].into_iter().collect();
        Metric::parse(text, mechanism, &names, 3)
    }

    #[test]
    fn metrics_name_what_the_scenario_reports_and_nothing_else() {
        let (poe, pos) = (ProofOfEfficiency::default(), ProofOfStake::default());
        assert_eq!(
            parse("batches_verified", &poe),
            Ok(Metric::Run(RunMetric::BatchesVerified))
        );
        assert_eq!(
            parse("slots_canonical", &pos),
            Ok(Metric::Section("slots_canonical"))
        );
        let err = parse("slots_canonical", &poe).unwrap_err();
        assert!(
            err.contains("a metric of proof_of_stake, not of proof_of_efficiency"),
            "{err}"
        );
        assert!(parse("user-2.l2_txs_sent", &poe).is_ok());
        // Users are named exactly: another spelling of the same number would be NaN.
        for bad in [
            "user-3.l1_gas",
            "user-01.l1_gas",
            "user-+1.l1_gas",
            "seq.speed",
            "seq",
        ] {
            assert!(parse(bad, &poe).is_err(), "{bad}");
        }
    }
}
