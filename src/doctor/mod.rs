//! The doctor: why a profiled app cannot reach its external database, answered from read-only
//! AWS calls (issue 16). `network.rs`: the path from a task to the database's port, a pure
//! evaluation; `facts.rs`: what is read; `read.rs`: the reads (a trait the AWS adapter
//! implements) and the paths they give; `secrets.rs`: whether a secret reference resolves and
//! the execution role may read it; `policy_simulation.rs`: the IAM policy simulator's answers
//! and verdicts; `database_auth.rs`: may the task role connect with an IAM token;
//! `key_policy.rs`: may a role decrypt with a KMS key, its key policy and grants weighed; `checklist.rs`: the seed's debugging steps, answered.

pub mod cache;
pub mod checklist;
pub mod database_auth;
pub mod egress;
pub mod endpoint;
pub mod facts;
pub mod key_policy;
pub mod network;
pub mod policy_simulation;
pub mod read;
pub mod secrets;
