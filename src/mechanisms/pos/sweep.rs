//! The PoS sweep knob `cartel_pct`: a sweep plan's grid sets the stake cartel's share of
//! the total stake (`fixtures/plans/pos-uncle-sweep.json` runs it from 0 % to 50 %),
//! which no single JSON path expresses since every validator's stake moves with it.

use serde_json::Value;

use crate::mechanisms::Knob;
use crate::scenario::{CastMember, Scenario};

/// The knobs of proof of stake.
pub const KNOBS: &[Knob] = &[Knob {
    name: "cartel_pct",
    about: "the stake cartel's share of the total stake, in percent (0..=95): split evenly \
            among its members, the rest evenly among the honest validators; members left \
            without stake leave the cast",
    apply: cartel_share_knob,
}];

/// Whether `m` is a validator of the stake cartel.
fn in_cartel(m: &CastMember) -> bool {
    m.validator().is_some_and(|p| p.strategy.is_cartel())
}

fn cartel_share_knob(s: &mut Scenario, value: &Value) -> Result<(), String> {
    let pct = value
        .as_u64()
        .filter(|p| *p <= 95)
        .ok_or_else(|| format!("{value} is not a whole percentage in 0..=95"))?;
    let validators = s
        .cast
        .iter()
        .filter(|m| matches!(m, CastMember::Validator { .. }));
    let cartel = validators.clone().filter(|m| in_cartel(m)).count();
    if cartel == 0 || cartel == validators.count() {
        return Err(
            "needs both cartel validators (a strategy other than honest) and honest ones".into(),
        );
    }
    set_cartel_share(s, pct);
    Ok(())
}

/// Gives the cartel `pct` percent of the total stake (split evenly among its members,
/// the rest evenly among the honest validators); members left without stake leave the
/// cast.
pub fn set_cartel_share(s: &mut Scenario, pct: u64) {
    let total: u64 = s
        .cast
        .iter()
        .map(|m| match m {
            CastMember::Validator { stake, .. } => *stake,
            _ => 0,
        })
        .sum();
    let cartel = s.cast.iter().filter(|m| in_cartel(m)).count() as u64;
    let honest = s
        .cast
        .iter()
        .filter(|m| matches!(m, CastMember::Validator { .. }) && !in_cartel(m))
        .count() as u64;
    let cartel_total = total * pct / 100;
    let flags: Vec<bool> = s.cast.iter().map(in_cartel).collect();
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
}
