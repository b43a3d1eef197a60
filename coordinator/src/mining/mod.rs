//! Host-side mining helpers: kernel selection and multi-threaded scanning.

pub mod parallel;
pub mod select;

pub use parallel::{DEFAULT_CHUNK, ParallelOutcome, SpawnError, scan_parallel};
pub use select::{KernelChoice, choose_kernel};
