//! `credentials-in-logs`: a log line holds a password. The scanner finds it with the
//! redactor's own URL pattern (`scan::CREDENTIALS_PATTERN`), so every password the redactor hides
//! is reported; profiles add secrets their app prints (Jenkins's initial admin password).

use super::declaration::{ConsolePage, RuleInfo, Suppression};
use crate::finding::{RuleId, Severity};
use crate::profiles::Profile;
use crate::scan::RuleMatch;

/// The rule's declaration: id, severities, texts, console links, suppression.
pub(crate) const RULE: RuleInfo = RuleInfo {
    id: RuleId::CredentialsInLogs,
    severity: Severity::High,
    other_severities: &[],
    fires_when: "a log line holds a URL with a password in it (scheme://user:password@), read as the redactor reads it, so that every password it hides is reported; or a secret an app prints at start (Jenkins's initial admin password)",
    why: "Everyone with read access to the log group can read the password, and it stays in the \
          log group for its whole retention period.",
    console: &[ConsolePage::Secrets],
    suppression: Suppression::Window,
    from_log: Some(from_log),
};

/// Severity, summary and fix for a log match of this rule: by a profile's signature (its
/// meaning says what was printed) or by the built-in URL pattern (`profile` is `None`).
fn from_log(
    profile: Option<&Profile>,
    log: &RuleMatch,
    _on_embedded: bool,
) -> (Severity, String, Vec<String>) {
    let summary = if profile.is_some() {
        log.meaning.clone()
    } else {
        "a log line contains a URL with a password".to_string()
    };
    (RULE.severity, summary, credentials_in_logs())
}

fn credentials_in_logs() -> Vec<String> {
    vec![
        "Rotate the password that appears in the log: treat it as disclosed.".to_string(),
        "Stop the app from printing its connection URL (lower the log level or remove the debug output), and keep the URL in Secrets Manager.".to_string(),
        "Delete the affected log streams or shorten the log group's retention once the password is rotated.".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use crate::finding::RuleId;
    use crate::rules::testing::scan_log as scan;

    #[test]
    fn credentials_in_logs_are_found_and_redacted() {
        let password = "xR7pf7MPgZyIChIXWqwO3srnp0GflgHwG7dMC7gvdHI=";
        let line = format!(
            "connecting to postgresql://coder:{password}@coder-postgres.example.com:5432/coder"
        );
        let findings = scan(&[&line]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::CredentialsInLogs);
        let json = serde_json::to_string(&findings).unwrap();
        assert!(!json.contains(password), "{json}");
    }

    #[test]
    fn a_signature_with_its_own_fix_says_it() {
        // Jenkins prints its initial admin password, not a URL: the URL advice does not fit.
        let findings = scan(&["Please use the following password to proceed to installation:"]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, RuleId::CredentialsInLogs);
        assert!(
            findings[0].fix[0].contains("setup wizard"),
            "{:?}",
            findings[0].fix
        );
        assert!(findings[0].fix.iter().all(|step| !step.contains("URL")));
    }

    #[test]
    fn urls_without_passwords_are_not_credentials() {
        let findings = scan(&[
            "Started HTTP listener at http://0.0.0.0:3000",
            "GET http://coder.example.com:8080/api@v2 200",
            "db postgres://coder:****@db:5432/coder",
            "db postgres://coder@db:5432/coder",
        ]);
        assert_eq!(findings, vec![]);
    }
}
