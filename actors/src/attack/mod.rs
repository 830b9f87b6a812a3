//! Attackers: actors whose strategy is to extract value from, or break, the mechanism
//! under test.

pub mod copier;
pub mod frontrunner;
pub mod garbage;

pub use copier::{CopierParams, ProofCopier};
pub use frontrunner::{Frontrunner, FrontrunnerParams};
pub use garbage::GarbagePoster;
