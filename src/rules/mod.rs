//! Detection rules: pure functions from typed contexts to [`crate::finding::Finding`]s.
//! No I/O happens here; everything a rule needs is in its argument.

pub mod app_container;
pub mod catalog;
pub mod configuration;
pub mod database_url;
pub mod deployment;
mod fingerprints;
pub mod logs;
mod prefilter;
pub mod remedy;
pub mod secret_reference;
pub mod task_failed_to_start;

pub use configuration::evaluate as evaluate_task;
pub use logs::LogScanner;
