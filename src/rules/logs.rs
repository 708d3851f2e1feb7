//! From the log scanner's matches to findings: each match goes to its rule's `from_log` (declared
//! in its `RULE`), then the findings are weighed against where the app's data lives and
//! which app the container runs.

use crate::container::storage::{self, DataStorage};
use crate::finding::{Finding, Location, RuleId, Severity};
use crate::model::TaskDefinition;
use crate::profiles::Profiles;
use crate::scan::RuleMatch;

pub use crate::scan::EVIDENCE_LINES;

/// Turns scan results into findings at `location`.
pub fn findings(matches: Vec<RuleMatch>, profiles: &Profiles, location: &Location) -> Vec<Finding> {
    // An app whose lines show its embedded database is not failing to reach an external one.
    let embedded: Vec<Option<usize>> = matches
        .iter()
        .filter(|m| m.rule == RuleId::EmbeddedDatabaseInUse)
        .map(|m| m.profile)
        .collect();
    matches
        .into_iter()
        .map(|m| {
            let profile = m.profile.map(|index| profiles.get(index));
            let (severity, summary, fix) = match super::info(m.rule).from_log {
                Some(verdict) => verdict(profile, &m, embedded.contains(&m.profile)),
                // Profiles may name only rules raised by log lines (validated at load), each
                // of which declares `from_log`: not reached. Reported rather than dropped.
                None => (Severity::High, m.meaning.clone(), Vec::new()),
            };
            let summary = m.summary.clone().unwrap_or(summary);
            let fix = if m.fix.is_empty() { fix } else { m.fix.clone() };
            let mut finding = Finding::new(m.rule, severity, summary);
            finding.app = profile.map(|profile| profile.name.clone());
            finding.location = location.clone();
            finding.occurrences = m.count;
            finding.evidence = m
                .evidence
                .iter()
                .map(|evidence| {
                    format!(
                        "{}  {}",
                        format_timestamp(evidence.timestamp),
                        evidence.line
                    )
                })
                .collect();
            finding.facts.insert("meaning".to_string(), m.meaning);
            if let Some(path) = m.path {
                finding.facts.insert("data_path".to_string(), path);
            }
            finding.fix = fix;
            finding
        })
        .collect()
}

/// One line, one app: sibling profiles that share their log lines (Gitea and Forgejo both print
/// `PING DATABASE sqlite3`) each match the same lines. Of findings of one rule with the same
/// evidence, the container's own app's is kept when the task definition says which app runs
/// there (`container_app`), otherwise the first profile's.
pub fn one_app_per_line(findings: &mut Vec<Finding>, container_app: Option<&str>) {
    let mut index = 0;
    while index < findings.len() {
        let siblings: Vec<usize> = (0..findings.len())
            .filter(|&other| {
                findings[other].rule == findings[index].rule
                    && findings[other].evidence == findings[index].evidence
                    && findings[other].app != findings[index].app
            })
            .collect();
        if siblings.is_empty() {
            index += 1;
            continue;
        }
        let own = |position: usize| findings[position].app.as_deref() == container_app;
        // Drop this one if a sibling is the container's own app (and this one is not);
        // otherwise drop the siblings.
        if container_app.is_some() && !own(index) && siblings.iter().any(|&other| own(other)) {
            findings.remove(index);
            continue;
        }
        for &other in siblings.iter().rev() {
            findings.remove(other);
        }
        index = 0;
    }
}

/// Whether weighing `findings` needs the container's task definition: two apps claim the same
/// line, or a finding says where the app's data lives.
pub fn needs_task_definition(findings: &[Finding]) -> bool {
    let siblings = findings.iter().enumerate().any(|(index, finding)| {
        findings[..index]
            .iter()
            .any(|earlier| earlier.rule == finding.rule && earlier.evidence == finding.evidence)
    });
    siblings || findings.iter().any(about_storage)
}

/// Log findings weighed against the task definition of the container that wrote them (`None`:
/// not read or unreadable): one app per line, the container's own ([`one_app_per_line`]); an
/// embedded database on EFS survives the task, so its start-up line is no alarm, and on one
/// instance's storage it is weighed as such ([`weigh_against_storage`]). The one place the
/// log path and the sweep decide this.
pub fn weigh_against_task_definition(
    findings: &mut Vec<Finding>,
    definition: Option<&TaskDefinition>,
    container: &str,
    profiles: &Profiles,
) {
    one_app_per_line(
        findings,
        definition
            .and_then(|definition| storage::container_app(definition, container, profiles))
            .map(|(_, profile)| profile.name.as_str()),
    );
    let Some(definition) = definition else {
        return;
    };
    if !findings.iter().any(about_storage) {
        return;
    }
    let storage = storage::data_directory_storage(definition, container, profiles);
    if storage == Some(DataStorage::Persistent) {
        tracing::info!(container = %container, "embedded database on persistent storage: not alerted");
    }
    weigh_against_storage(findings, storage.as_ref());
}

/// Whether a log finding says the app's data lives where it may be lost.
pub fn about_storage(finding: &Finding) -> bool {
    matches!(
        finding.rule,
        RuleId::EmbeddedDatabaseInUse | RuleId::EphemeralDataDirectory
    )
}

/// Log findings about an embedded database weighed against where the app's data lives: on
/// persistent storage they are no alarm and are dropped; on one EC2 instance's storage the data
/// outlives the task there, so they are medium and say where the data stays (fact
/// `storage=instance`, which keeps the task out of `data-lost-on-stop`). Unknown storage
/// (`None`: the task definition could not be read, or the app's data directory is unknown)
/// leaves them as they are: we do not pass what we cannot see.
pub fn weigh_against_storage(findings: &mut Vec<Finding>, storage: Option<&DataStorage>) {
    match storage {
        Some(DataStorage::Persistent) => findings.retain(|finding| !about_storage(finding)),
        Some(DataStorage::Instance { mount }) => {
            for finding in findings.iter_mut().filter(|finding| about_storage(finding)) {
                let app = finding.app.clone().unwrap_or_else(|| "The app".to_string());
                finding.severity = Severity::Medium;
                finding.summary = format!(
                    "{}; its data stays on this EC2 instance ({mount})",
                    finding.summary
                );
                finding.evidence.push(format!(
                    "the data directory is on {mount}, which outlives the task on that instance only: a task placed on another instance starts empty"
                ));
                finding
                    .facts
                    .insert("storage".to_string(), "instance".to_string());
                finding.fix = vec![format!(
                    "Keep {app}'s data on Amazon EFS (or an external database) so that any instance can run the task; or pin the task to this instance with a placement constraint and back the directory up."
                )];
            }
        }
        Some(DataStorage::Task) | None => {}
    }
}

/// Milliseconds since the epoch as `2026-11-24T03:12:44.120Z` (UTC), without a date library.
pub fn format_timestamp(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let fraction = millis.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:03}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::scan_log as scan;

    #[test]
    fn a_line_two_sibling_profiles_share_is_one_apps_finding() {
        let line = "2025/03/02 10:15:04 ...s/setting/database.go:120:InitEngine() [I] PING DATABASE sqlite3";
        let both = scan(&[line]);
        let apps = |findings: &[Finding]| -> Vec<Option<String>> {
            findings.iter().map(|finding| finding.app.clone()).collect()
        };
        assert_eq!(
            apps(&both),
            vec![Some("Gitea".to_string()), Some("Forgejo".to_string())]
        );
        let mut unknown = both.clone();
        one_app_per_line(&mut unknown, None);
        assert_eq!(apps(&unknown), vec![Some("Gitea".to_string())]);
        let mut forgejo = both.clone();
        one_app_per_line(&mut forgejo, Some("Forgejo"));
        assert_eq!(apps(&forgejo), vec![Some("Forgejo".to_string())]);
        // Other lines of other apps stay.
        let mut two = scan(&[
            line,
            "Using built-in PostgreSQL (/home/coder/.config/coderv2/postgres)",
        ]);
        one_app_per_line(&mut two, Some("Forgejo"));
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(1_795_000_000_123),
            "2026-11-18T11:06:40.123Z"
        );
    }
}
