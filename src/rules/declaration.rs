//! What a rule declares about itself, once, in its own file (its `RULE` constant): its
//! id, default severity and the documented conditions for any other, its texts for the README
//! and the alert, the console pages its alert links to, and how long its alert is suppressed.

use crate::finding::{RuleId, Severity};
use crate::profiles::Profile;
use crate::scan::RuleMatch;

/// One rule's declaration. The registry (`rules::CATALOG`) lists every rule's; the README's rule
/// catalog is checked against it by a test.
pub struct RuleInfo {
    pub id: RuleId,
    /// The severity the rule's findings carry unless one of `other_severities` applies.
    pub severity: Severity,
    /// Each other severity the rule may emit, with when (the README's "fires when" says so too).
    pub other_severities: &'static [(Severity, &'static str)],
    /// When the rule fires, in one sentence (the README's "fires when" column).
    pub fires_when: &'static str,
    /// Why it matters, for the alert's "Why it matters" section.
    pub why: &'static str,
    /// Console pages the alert links to, besides the task, service and log links every alert has.
    pub console: &'static [ConsolePage],
    pub suppression: Suppression,
    /// How the rule reads a match of a profile's log signature, for the rules a signature may
    /// raise ([`RuleId::raised_by_log_lines`]); `None` for the others.
    pub from_log: Option<LogVerdict>,
}

/// What a rule makes of a log match: severity, summary and fix steps. `profile` is the app
/// whose signature matched (`None`: the built-in credentials pattern); `on_embedded`: the same
/// app's lines in this batch show its embedded database.
pub type LogVerdict = fn(
    profile: Option<&Profile>,
    log: &RuleMatch,
    on_embedded: bool,
) -> (Severity, String, Vec<String>);

impl RuleInfo {
    /// Whether a finding of this rule may carry `severity`: the default or a declared other.
    pub fn allows(&self, severity: Severity) -> bool {
        severity == self.severity
            || self
                .other_severities
                .iter()
                .any(|(other, _)| *other == severity)
    }
}

/// A console page an alert links to, in the finding's region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsolePage {
    /// The RDS databases and EFS file systems lists: where an external database or a persistent
    /// volume for the app's data would be found or made.
    Databases,
    /// The Secrets Manager list: where a database setting's secret lives.
    Secrets,
}

/// How long the same finding stays quiet after its alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suppression {
    /// For `SUPPRESS_MINUTES`, or until its facts change or its severity rises.
    Window,
    /// Once per configuration: until the facts change (a new revision, a changed service),
    /// however long that takes (remembered for 400 days).
    OncePerConfiguration,
}
