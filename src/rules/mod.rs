//! Detection rules: pure functions from typed contexts to [`crate::finding::Finding`]s.
//! No I/O happens here; everything a rule needs is in its argument.

pub mod catalog;
pub mod configuration;
pub mod deployment;
pub mod logs;
pub mod remediation;
pub mod task_failed_to_start;

pub use configuration::evaluate as evaluate_task;
