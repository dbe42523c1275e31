//! Yuma Consensus: the pure, fixed-point epoch that turns a subnet's stake, weights and bonds
//! into incentive, dividends, emission and new bonds (economics.md §5).

mod bonds;
mod epoch;
mod exp;
mod math;
mod types;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use epoch::run_epoch;
pub use math::max_upscale_u16;
pub use types::{
    BondsUpdate, EpochError, EpochInput, EpochOutput, LiquidAlphaParams, MAX_BONDS_MOVING_AVERAGE,
    MAX_NEURONS, NeuronEpochOutput, NeuronEpochState,
};
