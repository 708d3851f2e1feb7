//! Value inspectors: what a single setting's value says, read as the program that consumes it
//! reads it (a database URL as the app's driver parses it, a secret reference as the ECS agent
//! resolves it). Pure functions over strings; the rules decide what a problem means.

pub mod database_url;
pub(crate) mod secret_reference;
