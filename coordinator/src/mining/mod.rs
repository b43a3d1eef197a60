//! Host-side mining helpers: kernel selection and multi-threaded scanning.

pub mod parallel;
pub mod select;

pub use parallel::{
    Candidate, DEFAULT_CHUNK, ParallelOutcome, SpawnError, Watch, scan_parallel,
    scan_parallel_watched,
};
pub use select::{KernelChoice, choose_kernel};
