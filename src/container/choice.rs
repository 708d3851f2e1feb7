//! What a profiled container's settings choose for its database (worked out in
//! `database.rs`).

use super::setting::{Setting, Unseen};

/// What a container's settings make of its database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DatabaseChoice<'a> {
    /// These settings select an external database.
    External(Vec<Setting<'a>>),
    /// The embedded database: chosen by this setting, or by setting nothing.
    Embedded(Option<Setting<'a>>),
    /// A setting the app cannot use, so it silently falls back to its embedded database.
    Invalid(Invalid<'a>),
    /// A value the app rejects at start-up, or an image that refuses its embedded database:
    /// it fails loudly, so nothing to report here.
    Unrecognised,
    /// The deciding setting may come from where the auditor cannot look.
    Undecided(Vec<Unseen>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid<'a> {
    pub setting: Setting<'a>,
    pub problem: String,
    /// A missing part of a group that an unseen source may still provide.
    pub incomplete_group: bool,
}
