//! What the auditor remembers between events, on a versioned store ([`store`]: the
//! `StateStore` trait, [`MemoryStore`] in the process, DynamoDB in `aws::dynamodb`):
//!
//! - [`deliveries`]: deliveries already processed (EventBridge and CloudWatch Logs deliver at
//!   least once);
//! - [`alerts`]: alert claims and suppression, per rule and place;
//! - [`facts`]: typed records about services and tasks (last public address, newest task, a
//!   task seen on its embedded database, recent failed starts);
//! - [`record`]: how a typed record is stored (flat text attributes, conditional replace).

pub(crate) mod alerts;
pub(crate) mod deliveries;
pub(crate) mod facts;
pub(crate) mod record;
mod store;

pub use store::{Entry, Expect, MemoryStore, StateError, StateStore, now};
