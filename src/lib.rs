//! ecs-auditor: an event-driven auditor for stateful apps on Amazon ECS.
//!
//! Decode ([`events`]), decide ([`rules`], pure), act ([`inventory`], [`publish`] and their
//! SDK implementations in [`aws`]). [`audit::Auditor`] ties them together and is called by
//! both front doors: the Lambda handler ([`lambda`]) and the CLI ([`cli`]).

#![warn(unreachable_pub)]

pub mod alert;
pub(crate) mod assembly;
pub mod audit;
pub mod aws;
pub mod check;
pub mod cli;
pub mod config;
pub(crate) mod container;
pub mod doctor;
pub mod events;
pub mod finding;
pub mod inspect;
pub mod inventory;
pub(crate) mod lambda;
pub mod memory;
pub mod model;
pub mod profiles;
pub mod publish;
pub mod redact;
#[cfg(test)]
mod redaction_properties;
pub mod rules;
pub mod scan;

pub use audit::{AuditError, Auditor, Outcome, Report};
pub use finding::{Finding, RuleId, Severity};
