//! The doctor: why a profiled app cannot reach its external database, answered from read-only
//! AWS calls (issue 16). `network.rs`: the path from a task to the database's port.

pub mod network;
