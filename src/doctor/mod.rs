//! The doctor: why a profiled app cannot reach its external database, answered from read-only
//! AWS calls (issue 16). `network.rs`: the path from a task to the database's port, a pure
//! evaluation; `read.rs`: the facts it needs, read from EC2.

pub mod network;
pub mod read;
