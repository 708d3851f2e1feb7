//! The rule catalog: one entry per [`RuleId`] with its default severity, a title and why it
//! matters. The README's rule catalog is checked against this table by a test.

use crate::finding::{RuleId, Severity};

pub struct RuleInfo {
    pub id: RuleId,
    pub severity: Severity,
    /// When the rule fires, in one sentence (the README's "fires when" column).
    pub fires_when: &'static str,
    /// Why it matters, for the alert's "Why it matters" section.
    pub why: &'static str,
}

pub const CATALOG: [RuleInfo; 16] = [
    RuleInfo {
        id: RuleId::EmbeddedDatabaseInUse,
        severity: Severity::Critical,
        fires_when: "the app's log shows it started (or tried to start) its embedded database, in any format the app writes; medium when its data directory is on one EC2 instance's storage, none on EFS",
        why: "The embedded database lives in the container's storage. On ECS that storage belongs to \
              the task: the next deployment, scale-in, health-check replacement or host retirement \
              starts a new task with an empty database, and every user, workspace and setting is gone.",
    },
    RuleInfo {
        id: RuleId::DatabaseSettingMisnamed,
        severity: Severity::Critical,
        fires_when: "a container sets a near-miss database setting (environment or secrets) but not the one the app reads",
        why: "The app never reads the misnamed setting, so it silently starts its embedded database \
              instead of the external one you provisioned. Everything looks healthy until the task is \
              replaced and the data disappears.",
    },
    RuleInfo {
        id: RuleId::DatabaseSettingInvalid,
        severity: Severity::Critical,
        fires_when: "a database setting has a value the app does not accept, or only part of a group the app needs, and the app silently falls back to its embedded database (n8n's DB_TYPE=postgres)",
        why: "The setting looks right at a glance, so nobody suspects it. The app ignores it, \
              starts its embedded database in the container instead, and the data disappears with \
              the next task.",
    },
    RuleInfo {
        id: RuleId::NoExternalDatabase,
        severity: Severity::High,
        fires_when: "a profiled container that owns the app's data sets no external database setting; medium when its data directory is on persistent storage and the app's makers advise against their embedded database there",
        why: "Without an external database the app runs on its embedded one. Inside the task the \
              data lasts only as long as the task; on persistent storage it survives, but the app's \
              makers advise against it (the alert quotes them).",
    },
    RuleInfo {
        id: RuleId::EphemeralDataDirectory,
        severity: Severity::High,
        fires_when: "the app keeps its data in the container (no external database) and no EFS volume is mounted at or above its data directory",
        why: "Task storage is deleted when the task stops. Each deployment replaces the task, so the \
              app starts over with an empty data directory.",
    },
    RuleInfo {
        id: RuleId::DatabaseUrlMalformed,
        severity: Severity::High,
        fires_when: "a plain database URL does not parse, has a duplicate or non-numeric port, an unknown scheme, or reserved characters left unencoded in the password",
        why: "The app cannot connect with this URL. Depending on the app it retries and exits \
              (ECS restarts it in a loop) or reports a misleading error such as \"invalid port\".",
    },
    RuleInfo {
        id: RuleId::PlaintextDatabaseCredentials,
        severity: Severity::High,
        fires_when: "a database URL with a password sits in plain `environment` rather than `secrets`",
        why: "Plain environment values are visible to anyone who can describe the task definition \
              (ecs:DescribeTaskDefinition), appear in the console, in CloudTrail and in CI logs, and \
              cannot be rotated without a new revision.",
    },
    RuleInfo {
        id: RuleId::SecretReferenceMalformed,
        severity: Severity::High,
        fires_when: "the database setting's `valueFrom` is a reference ECS rejects or that cannot resolve (a Secrets Manager ARN of other than 7 or 10 parts, an SSM name with characters ECS refuses, an ARN of another service)",
        why: "ECS cannot resolve the reference, so the task fails to start and the app never gets \
              its database setting.",
    },
    RuleInfo {
        id: RuleId::VolatileStorageAcknowledged,
        severity: Severity::High,
        fires_when: "the app's own switch that accepts non-persistent storage is set (Vaultwarden's I_REALLY_WANT_VOLATILE_STORAGE, Baserow's DISABLE_VOLUME_CHECK) and no persistent volume holds its data",
        why: "The app checks for persistent storage and refuses to run without it; this switch \
              silences that check. Its data lives in the task and is gone when the task stops.",
    },
    RuleInfo {
        id: RuleId::DatabaseConnectionFailing,
        severity: Severity::High,
        fires_when: "the app logs that it cannot connect to or ping its external database (human or JSON log format)",
        why: "The app is configured for an external database but cannot reach it (network, security \
              group, credentials or URL). It will exit and ECS will restart it in a loop.",
    },
    RuleInfo {
        id: RuleId::CredentialsInLogs,
        severity: Severity::High,
        fires_when: "a log line holds a URL with a password in it (scheme://user:password@), read as the redactor reads it, so that every password it hides is reported; or a secret an app prints at start (Jenkins's initial admin password)",
        why: "Everyone with read access to the log group can read the password, and it stays in the \
              log group for its whole retention period.",
    },
    RuleInfo {
        id: RuleId::EndpointWithoutLoadBalancer,
        severity: Severity::Medium,
        fires_when: "a service's tasks get a public IP (assignPublicIp ENABLED) with no load balancer and no service discovery; once per service until its configuration changes",
        why: "Users reach the app at the task's public IP, and every deployment, restart or host \
              replacement starts a new task with a new IP: bookmarks, DNS records and \
              CODER_ACCESS_URL-style settings break each time.",
    },
    RuleInfo {
        id: RuleId::PublicIpChanged,
        severity: Severity::Medium,
        fires_when: "a single-task service's new task has another public IP than the last one recorded (high when the service has no load balancer); the first sighting is recorded silently",
        why: "Whoever reaches the app by its IP address (users, DNS records, webhooks, the app's own \
              access URL) is now pointed at nothing, or at someone else's task.",
    },
    RuleInfo {
        id: RuleId::DataLostOnStop,
        severity: Severity::Critical,
        fires_when: "a task that ran stopped, and its data lived in the container (its task definition had ephemeral-data-directory, or its log showed embedded-database-in-use); never for a task that never ran, nor for data on EFS or on one instance's storage",
        why: "The task's storage is deleted when it stops: whatever the app stored there (users, \
              workspaces, settings) is gone, and a replacement task starts empty.",
    },
    RuleInfo {
        id: RuleId::TaskFailedToStart,
        severity: Severity::High,
        fires_when: "a task stopped before its app ran (stopCode TaskFailedToStart, no startedAt because an essential container failed, or an essential container that exited within a minute; not one stopped on purpose while pending), classified from stoppedReason: secret or parameter access denied, KMS not allowed, secret or JSON key not found, no network path to Secrets Manager, SSM or the registry, image pull, EFS mount, essential container exited, other; critical when it concerns a profiled app's database secret or data volume; a crash loop is one alert with a count",
        why: "The service cannot start its app: ECS keeps replacing the task, and nothing runs until \
              the cause is fixed. The reason ECS gives is precise but terse; the alert says what it \
              means and what to change.",
    },
    RuleInfo {
        id: RuleId::AuditIncomplete,
        severity: Severity::Medium,
        fires_when: "something the audit needed could not be read (access denied, throttling, not found), or a setting that decides may come from where the auditor cannot look (an unread environment file, a shell command, a custom image), or a container runs a command its profile does not know",
        why: "Part of the audit did not run. The auditor never reports a clean bill for what it could \
              not see, so this alert says what is missing instead.",
    },
];

pub fn info(rule: RuleId) -> &'static RuleInfo {
    CATALOG
        .iter()
        .find(|info| info.id == rule)
        .expect("every rule has a catalog entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_exactly_one_entry() {
        for rule in RuleId::ALL {
            assert_eq!(CATALOG.iter().filter(|info| info.id == rule).count(), 1);
        }
    }
}
