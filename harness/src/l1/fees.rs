//! Fee-market arithmetic of the L1: the EIP-1559 base fee update and the EIP-4844 blob
//! fee market (excess blob gas and blob base fee), as the EIPs specify them.

use revm::context_interface::block::calc_blob_gasprice;

/// Denominator bounding the base fee change between blocks (EIP-1559: 8, i.e. 12.5%).
pub const BASE_FEE_MAX_CHANGE_DENOMINATOR: u64 = 8;
/// Ratio of gas limit to gas target (EIP-1559: 2).
pub const ELASTICITY_MULTIPLIER: u64 = 2;

/// The base fee of the block after one with `parent_base_fee`, `parent_gas_used` and
/// `parent_gas_target`, by the formula of EIP-1559.
pub fn next_base_fee(parent_base_fee: u64, parent_gas_used: u64, parent_gas_target: u64) -> u64 {
    if parent_gas_target == 0 {
        return parent_base_fee;
    }
    let base = u128::from(parent_base_fee);
    let target = u128::from(parent_gas_target);
    let used = u128::from(parent_gas_used);
    let denom = u128::from(BASE_FEE_MAX_CHANGE_DENOMINATOR);
    let next = match used.cmp(&target) {
        std::cmp::Ordering::Equal => base,
        std::cmp::Ordering::Greater => {
            let delta = (base * (used - target) / target / denom).max(1);
            base + delta
        }
        std::cmp::Ordering::Less => {
            let delta = base * (target - used) / target / denom;
            base - delta
        }
    };
    u64::try_from(next).unwrap_or(u64::MAX)
}

/// Excess blob gas of a block from its parent's (EIP-4844 `calc_excess_blob_gas`).
pub fn next_excess_blob_gas(
    parent_excess_blob_gas: u64,
    parent_blob_gas_used: u64,
    target_blob_gas_per_block: u64,
) -> u64 {
    (parent_excess_blob_gas + parent_blob_gas_used).saturating_sub(target_blob_gas_per_block)
}

/// Blob base fee (wei per blob gas) for a block with `excess_blob_gas`.
pub fn blob_base_fee(excess_blob_gas: u64, update_fraction: u64) -> u128 {
    calc_blob_gasprice(excess_blob_gas, update_fraction)
}

/// The priority fee per gas a transaction actually pays at `base_fee`, or `None` when its
/// max fee is below the base fee (it cannot be included yet).
pub fn effective_tip(
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
    base_fee: u64,
) -> Option<u128> {
    let base = u128::from(base_fee);
    if max_fee_per_gas < base {
        return None;
    }
    Some(max_priority_fee_per_gas.min(max_fee_per_gas - base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_moves_by_at_most_one_eighth() {
        assert_eq!(
            next_base_fee(1_000_000_000, 30_000_000, 15_000_000),
            1_125_000_000
        );
        assert_eq!(next_base_fee(1_000_000_000, 0, 15_000_000), 875_000_000);
        assert_eq!(
            next_base_fee(1_000_000_000, 15_000_000, 15_000_000),
            1_000_000_000
        );
        // A tiny excess still raises the fee by one wei.
        assert_eq!(next_base_fee(7, 15_000_001, 15_000_000), 8);
    }

    #[test]
    fn blob_fee_starts_at_one_wei() {
        assert_eq!(blob_base_fee(0, 5_007_716), 1);
        assert_eq!(next_excess_blob_gas(0, 6 << 17, 6 << 17), 0);
        assert_eq!(next_excess_blob_gas(0, 9 << 17, 6 << 17), 3 << 17);
    }

    #[test]
    fn effective_tip_is_capped_by_max_fee() {
        assert_eq!(effective_tip(100, 5, 90), Some(5));
        assert_eq!(effective_tip(100, 20, 90), Some(10));
        assert_eq!(effective_tip(80, 5, 90), None);
    }
}
