//! Every shipped profile: a bad task definition fires its rules, a good one fires none, and
//! its start-up log lines are recognised and attributed to it.

use ecs_auditor::RuleId;
use ecs_auditor::finding::Location;
use ecs_auditor::model::{TaskContext, TaskDefinition};
use ecs_auditor::profiles::Profiles;
use ecs_auditor::rules;
use ecs_auditor::scan::LogScanner;
use serde_json::{Value, json};

/// A good or bad container definition for a shipped profile, from
/// `src/profiles/<file>.cases.json` beside the profile file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    profile: String,
    name: String,
    image: String,
    /// Exactly the rules the case raises; empty for a correct setup.
    fires: Vec<String>,
    container: Value,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    #[allow(dead_code)]
    about: String,
    cases: Vec<Case>,
}

fn profiles_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/profiles")
}

/// Every profile file's cases, with the file they come from.
fn cases() -> Vec<(String, Case)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(profiles_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.ends_with(".cases.json") {
            continue;
        }
        let file: CasesFile = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        all.extend(file.cases.into_iter().map(|case| (name.clone(), case)));
    }
    all
}

fn secret(name: &str) -> Value {
    json!({"secrets": [{"name": name, "valueFrom": format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{}-AbCdEf", name.to_lowercase().replace('_', "-"))}]})
}

fn env(pairs: &[(&str, &str)]) -> Value {
    json!({"environment": pairs.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>()})
}

fn merge(a: Value, b: Value) -> Value {
    let mut out = a.as_object().unwrap().clone();
    out.extend(b.as_object().unwrap().clone());
    Value::Object(out)
}

fn evaluate(profiles: &Profiles, image: &str, container: Value) -> Vec<String> {
    let mut definition = json!({"name": "app", "image": image});
    definition
        .as_object_mut()
        .unwrap()
        .extend(container.as_object().unwrap().clone());
    let definition: TaskDefinition = serde_json::from_value(json!({
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1",
        "family": "app", "revision": 1,
        "containerDefinitions": [definition, {
            "name": "data", "image": "busybox", "essential": false,
            "mountPoints": [{"sourceVolume": "home", "containerPath": "/var/lib/grafana"}]
        }],
        "volumes": [
            {"name": "home", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}},
            {"name": "host", "host": {"sourcePath": "/mnt/grafana"}}
        ]
    }))
    .unwrap();
    let task = TaskContext {
        cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/apps".to_string(),
        task_arn: "arn:aws:ecs:us-east-1:123456789012:task/apps/0123456789abcdef0123456789abcdef"
            .to_string(),
        task_definition_arn: definition.arn.clone(),
        task_definition: Some(definition),
        ..Default::default()
    };
    let mut rules: Vec<String> = rules::evaluate_task(&task, profiles)
        .into_iter()
        .map(|finding| {
            if let Some(app) = &finding.app {
                assert!(profiles.all().iter().any(|p| &p.name == app));
            }
            assert!(
                rules::severity_declared(&finding),
                "{} at {}, not declared: {}",
                finding.rule,
                finding.severity,
                finding.summary
            );
            finding.rule.to_string()
        })
        .collect();
    rules.sort();
    rules
}

#[test]
fn every_shipped_profile_has_a_good_and_a_bad_case_beside_its_file() {
    let profiles = Profiles::built_in().unwrap();
    let cases = cases();
    for (file, _) in ecs_auditor::profiles::BUILT_IN {
        let cases_file = file.replace(".toml", ".cases.json");
        assert!(
            profiles_dir().join(&cases_file).is_file(),
            "{file} has no {cases_file} beside it"
        );
    }
    for profile in profiles.all() {
        let of_profile = || cases.iter().filter(|(_, case)| case.profile == profile.id);
        assert!(
            of_profile().any(|(_, case)| case.fires.is_empty()),
            "{} has no correct-setup case",
            profile.id
        );
        assert!(
            of_profile().any(|(_, case)| !case.fires.is_empty()),
            "{} has no misconfigured case",
            profile.id
        );
    }
}

#[test]
fn every_case_gets_exactly_its_verdict() {
    let profiles = Profiles::built_in().unwrap();
    let mut wrong = Vec::new();
    for (file, case) in cases() {
        let recognised = profiles.recognise(&case.image, &[]).map(|p| p.id.as_str());
        if recognised != Some(case.profile.as_str()) {
            wrong.push(format!(
                "{file}: {} is recognised as {recognised:?}, not {}",
                case.image, case.profile
            ));
        }
        let mut expected = case.fires.clone();
        expected.sort();
        let fired = evaluate(&profiles, &case.image, case.container.clone());
        if fired != expected {
            wrong.push(format!(
                "{file}: {} \"{}\": raised {fired:?}, expected {expected:?}",
                case.profile, case.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn settings_read_from_files_count_where_the_app_reads_them() {
    let profiles = Profiles::built_in().unwrap();
    let image = "vaultwarden/server:1.32.0";
    // (EFS at /data: Vaultwarden keeps attachments and its signing key there whatever its database.)
    let from_file = merge(
        env(&[("DATABASE_URL_FILE", "/run/secrets/vaultwarden-db-url")]),
        efs_at("/data"),
    );
    assert_eq!(evaluate(&profiles, image, from_file), Vec::<String>::new());
    // Grafana's image reads GF_X from the file GF_X__FILE names (two underscores).
    let grafana = "grafana/grafana-oss:11.4.0";
    let type_from_file = env(&[("GF_DATABASE_TYPE__FILE", "/run/secrets/gf-db-type")]);
    assert_eq!(
        evaluate(&profiles, grafana, type_from_file),
        Vec::<String>::new()
    );
    assert_eq!(
        evaluate(
            &profiles,
            grafana,
            env(&[("GF_DATABASE_TYPE_FILE", "/run/secrets/gf-db-type")])
        ),
        vec!["ephemeral-data-directory", "no-external-database"]
    );
    // Coder has no such convention: CODER_PG_CONNECTION_URL_FILE is just an unknown name.
    assert_eq!(
        evaluate(
            &profiles,
            "ghcr.io/coder/coder:v2.18.0",
            env(&[("CODER_PG_CONNECTION_URL_FILE", "/run/secrets/pg")])
        ),
        vec!["ephemeral-data-directory", "no-external-database"]
    );
}

fn efs_at(path: &str) -> Value {
    json!({"mountPoints": [{"sourceVolume": "home", "containerPath": path}]})
}

#[test]
fn image_tags_and_subdirectories_change_where_data_lives_and_what_is_read() {
    let profiles = Profiles::built_in().unwrap();
    let sqlite = env(&[("GITEA__database__DB_TYPE", "sqlite3")]);
    // A rootless Gitea keeps its data in /var/lib/gitea: EFS at /data does not hold it.
    assert_eq!(
        evaluate(
            &profiles,
            "gitea/gitea:1.22-rootless",
            merge(sqlite.clone(), efs_at("/data"))
        ),
        vec!["ephemeral-data-directory", "no-external-database"]
    );
    // Gitea supports SQLite in production (docs.gitea.com database-prep): on EFS, no alarm.
    assert_eq!(
        evaluate(
            &profiles,
            "gitea/gitea:1.22-rootless",
            merge(sqlite.clone(), efs_at("/var/lib/gitea"))
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        evaluate(
            &profiles,
            "gitea/gitea:1.22",
            merge(sqlite, efs_at("/data"))
        ),
        Vec::<String>::new()
    );
    // Uptime Kuma 1.x reads no database setting: a MariaDB type there still means SQLite.
    let mariadb = merge(
        env(&[
            ("UPTIME_KUMA_DB_TYPE", "mariadb"),
            ("UPTIME_KUMA_DB_HOSTNAME", "db"),
        ]),
        secret("UPTIME_KUMA_DB_PASSWORD"),
    );
    for v1 in [
        "louislam/uptime-kuma:1",
        "louislam/uptime-kuma:1.23.16-debian",
    ] {
        assert_eq!(
            evaluate(&profiles, v1, mariadb.clone()),
            vec!["database-setting-invalid", "ephemeral-data-directory"],
            "{v1}"
        );
    }
    for v2 in [
        "louislam/uptime-kuma:2.0.2",
        "louislam/uptime-kuma:latest",
        "louislam/uptime-kuma",
    ] {
        assert_eq!(
            evaluate(&profiles, v2, mariadb.clone()),
            Vec::<String>::new(),
            "{v2}"
        );
    }
    // 1.x takes no external database: only where its data lives is a finding.
    assert_eq!(
        evaluate(&profiles, "louislam/uptime-kuma:1.23", json!({})),
        vec!["ephemeral-data-directory"]
    );
    // n8n keeps its data in $N8N_USER_FOLDER/.n8n; on EFS there, its SQLite is a setup n8n
    // supports.
    let folder = env(&[("N8N_USER_FOLDER", "/data")]);
    assert_eq!(
        evaluate(
            &profiles,
            "n8nio/n8n:1.70.0",
            merge(folder.clone(), efs_at("/data/.n8n"))
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        evaluate(
            &profiles,
            "n8nio/n8n:1.70.0",
            merge(folder, efs_at("/data/other"))
        ),
        vec!["ephemeral-data-directory", "no-external-database"]
    );
}

#[test]
fn every_start_up_line_is_recognised_for_its_app() {
    let profiles = Profiles::built_in().unwrap();
    let scanner = LogScanner::new(&profiles, 16 * 1024).unwrap();
    for signature in profiles.signatures() {
        for example in signature.all_examples() {
            let app = &profiles.get(signature.profile).name;
            let line = ecs_auditor::events::logs::LogLine {
                id: "1".into(),
                timestamp: 1,
                message: example.into(),
            };
            let findings = rules::logs::findings(
                scanner.scan_lines(std::slice::from_ref(&line)),
                &profiles,
                &Location::default(),
            );
            assert!(
                findings
                    .iter()
                    .any(|f| f.rule == signature.rule && f.app.as_deref() == Some(app.as_str())),
                "{app}: {example:?} does not raise {}",
                signature.rule
            );
        }
    }
    // Lines of a healthy start do not.
    for healthy in [
        "logger=sqlstore t=2022-08-20T15:24:28.83593716Z level=info msg=\"Connecting to DB\" dbtype=postgres",
        "2026-10-01 22:22:54,982 INFO db.setup :: Successfully verified PostgreSQL 18.6 application database connection.",
        "2025/03/02 10:15:04 ...s/setting/database.go:120:InitEngine() [I] PING DATABASE postgres",
        "2026-05-03T14:41:35Z [DB] INFO: Database Type: mariadb",
        "Installing with MySQL database",
        "[STARTUP][2024-03-10 22:52:14] Using provided external postgres at mydb.abc.eu-west-1.rds.amazonaws.com or the  DATABASE_URL",
    ] {
        let line = ecs_auditor::events::logs::LogLine {
            id: "1".into(),
            timestamp: 1,
            message: healthy.into(),
        };
        let matches = scanner.scan_lines(std::slice::from_ref(&line));
        assert!(
            matches
                .iter()
                .all(|m| m.rule != RuleId::EmbeddedDatabaseInUse),
            "{healthy} is a healthy start"
        );
    }
}

fn command(entry_point: &[&str], command: &[&str]) -> Value {
    json!({"entryPoint": entry_point, "command": command})
}

/// One row: an image, its container's settings, what the profile must make of it, and why.
struct Row {
    image: &'static str,
    container: Value,
    rules: &'static [&'static str],
    why: &'static str,
}

#[test]
fn versions_roles_and_the_makers_word() {
    let profiles = Profiles::built_in().unwrap();
    let none: &[&str] = &[];
    let rows = vec![
        // Image versions.
        Row {
            image: "quay.io/keycloak/keycloak:12.0.2",
            container: env(&[("DB_VENDOR", "POSTGRES"), ("DB_ADDR", "db")]),
            rules: none,
            why: "the WildFly image reads DB_VENDOR (keycloak-containers docker-entrypoint.sh)",
        },
        Row {
            image: "jboss/keycloak:16.1.1",
            container: env(&[("KC_DB", "postgres")]),
            rules: &["audit-incomplete"],
            why: "the WildFly image ignores KC_DB, but may still find a host named postgres",
        },
        Row {
            image: "jboss/keycloak:16.1.1",
            container: merge(
                env(&[("KC_DB", "postgres")]),
                json!({"links": ["db:mysql"]}),
            ),
            rules: none,
            why: "KC_DB is ignored, and the linked host mysql is what the image uses",
        },
        Row {
            image: "quay.io/keycloak/keycloak:legacy",
            container: json!({}),
            rules: &["audit-incomplete"],
            why: "with nothing set the WildFly image looks for a host named postgres, mysql, ...",
        },
        Row {
            image: "jboss/keycloak",
            container: json!({"links": ["keycloak-db:postgres"]}),
            rules: none,
            why: "a linked host named postgres is the legacy image's database",
        },
        Row {
            image: "sonarqube:8.9.10-community",
            container: secret("SONARQUBE_JDBC_URL"),
            rules: none,
            why: "8.0-9.8 images map SONARQUBE_JDBC_URL in run.sh",
        },
        Row {
            image: "sonarqube:9.9.0-community",
            container: secret("SONARQUBE_JDBC_URL"),
            rules: &["database-setting-misnamed", "ephemeral-data-directory"],
            why: "9.9 removed run.sh and with it SONARQUBE_JDBC_URL",
        },
        Row {
            image: "sonarqube:7.9.6-community",
            container: secret("SONAR_JDBC_URL"),
            rules: &["database-setting-misnamed", "ephemeral-data-directory"],
            why: "7.9 does not read SONAR_JDBC_URL (docker-sonarqube#622)",
        },
        Row {
            image: "sonarqube:10.6-datacenter-app",
            container: json!({}),
            rules: none,
            why: "Data Center nodes refuse H2: a missing URL fails loudly",
        },
        Row {
            image: "sonarqube:10-community",
            container: command(&[], &["-Dsonar.jdbc.url=jdbc:postgresql://db/sonar"]),
            rules: none,
            why: "-Dsonar.jdbc.url= on the command line sets the JDBC URL",
        },
        Row {
            image: "n8nio/n8n:1.80.0",
            container: merge(
                env(&[("DB_TYPE", "postgres")]),
                secret("N8N_ENCRYPTION_KEY"),
            ),
            rules: none,
            why: "before 1.94.1 an unknown DB_TYPE stops n8n: loud, not silent",
        },
        Row {
            image: "n8nio/n8n:2.1.0",
            container: merge(env(&[("DB_TYPE", "mysqldb")]), secret("N8N_ENCRYPTION_KEY")),
            rules: none,
            why: "n8n 2.0-2.6 still read MySQL",
        },
        Row {
            image: "n8nio/n8n:2.8.0",
            container: env(&[("DB_TYPE", "mysqldb")]),
            rules: &["database-setting-invalid", "ephemeral-data-directory"],
            why: "from 2.7 mysqldb silently falls back to SQLite",
        },
        Row {
            image: "n8nio/n8n:0.236.0",
            container: json!({"mountPoints": [{"sourceVolume": "home", "containerPath": "/root/.n8n"}]}),
            rules: none,
            why: "the 0.x image links a mounted /root/.n8n into its home; SQLite is supported",
        },
        Row {
            image: "codeberg.org/forgejo/forgejo:7.0.12",
            container: merge(
                env(&[("FORGEJO__database__DB_TYPE", "mssql")]),
                efs_at("/data"),
            ),
            rules: none,
            why: "Forgejo before 8 reads SQL Server",
        },
        Row {
            image: "gitea/gitea:1.13.7",
            container: env(&[("GITEA__database__DB_TYPE", "postgres")]),
            rules: &["database-setting-misnamed", "ephemeral-data-directory"],
            why: "before 1.14 the image has no environment-to-ini",
        },
        Row {
            image: "directus/directus:v8-apache",
            container: json!({}),
            rules: none,
            why: "Directus 8 has no embedded database",
        },
        Row {
            image: "baserow/baserow:1.8.0",
            container: json!({}),
            rules: none,
            why: "no all-in-one image, no embedded database before 1.9",
        },
        Row {
            image: "louislam/uptime-kuma:2.0.0-beta.2",
            container: env(&[("UPTIME_KUMA_DB_TYPE", "mariadb")]),
            rules: none,
            why: "the 2.0 betas read UPTIME_KUMA_DB_TYPE",
        },
        Row {
            image: "vaultwarden/server:1.37.0",
            container: merge(
                env(&[("DATABASE_URL", "sqlite:///data/db.sqlite3")]),
                efs_at("/data"),
            ),
            rules: none,
            why: "sqlite:// is Vaultwarden's own SQLite, supported on a volume",
        },
        // Roles.
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(&["/opt/coder"], &["wsproxy", "server"]),
            rules: none,
            why: "workspace proxies make no database connections (Coder docs)",
        },
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(&["/opt/coder"], &["provisionerd", "start"]),
            rules: none,
            why: "an external provisioner daemon talks to coderd only",
        },
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(&["/opt/coder"], &["login", "https://coder.example.com"]),
            rules: &["audit-incomplete"],
            why: "a command the profile does not know gets no verdict",
        },
        Row {
            image: "n8nio/n8n:1.123.0",
            container: command(&[], &["worker"]),
            rules: none,
            why: "a worker keeps no data of its own",
        },
        Row {
            image: "n8nio/n8n:1.123.0",
            container: merge(command(&[], &["worker"]), env(&[("DB_TYPE", "postgres")])),
            rules: &["database-setting-invalid"],
            why: "a worker still opens the database: its DB_TYPE must be right",
        },
        Row {
            image: "nextcloud:30-apache",
            container: command(&["/cron.sh"], &[]),
            rules: none,
            why: "the cron container uses the app container's installed config",
        },
        Row {
            image: "metabase/metabase:v0.50.0",
            container: command(&[], &["migrate", "release-locks"]),
            rules: none,
            why: "a migration job opens the database and exits",
        },
        Row {
            image: "grafana/grafana:11.4.0",
            container: command(&["grafana"], &["cli", "plugins", "ls"]),
            rules: none,
            why: "grafana cli is not the server",
        },
        Row {
            image: "grafana/grafana:11.4.0",
            container: command(
                &[],
                &["cfg:database.url=postgres://grafana@db:5432/grafana"],
            ),
            rules: none,
            why: "cfg:database.url= arguments set [database] url",
        },
        Row {
            image: "jenkins/jenkins:lts",
            container: merge(
                command(&[], &["--httpPort=8081"]),
                efs_at("/var/jenkins_home"),
            ),
            rules: none,
            why: "-- arguments go to the controller",
        },
        // Settings given as command-line flags.
        Row {
            image: "quay.io/keycloak/keycloak:26.0",
            container: merge(
                command(&[], &["start", "--db=postgres", "--db-url-host=db"]),
                secret("KC_DB_PASSWORD"),
            ),
            rules: none,
            why: "--db=postgres is KC_DB (every option is also a kc.sh flag)",
        },
        Row {
            image: "quay.io/keycloak/keycloak:26.0",
            container: merge(
                command(&[], &["start", "--db", "postgres"]),
                secret("KC_DB_PASSWORD"),
            ),
            rules: none,
            why: "--db postgres, the two-word form",
        },
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(
                &[],
                &["--postgres-url=postgres://coder:N0tS3cret@db:5432/coder"],
            ),
            rules: &["plaintext-database-credentials"],
            why: "--postgres-url is the database setting, and its password is in plain sight",
        },
        Row {
            image: "sonarqube:10-community",
            container: command(
                &[],
                &[
                    "-Dsonar.jdbc.url=jdbc:postgresql://db/sonar",
                    "-Dsonar.jdbc.password=N0tS3cret",
                ],
            ),
            rules: &["plaintext-database-credentials"],
            why: "a password argument is as readable as an environment variable",
        },
        // Storage reached another way.
        Row {
            image: "grafana/grafana:11.4.0",
            container: json!({"volumesFrom": [{"sourceContainer": "data"}]}),
            rules: none,
            why: "EFS at /var/lib/grafana through volumesFrom (the data container mounts it)",
        },
        Row {
            image: "grafana/grafana:11.4.0",
            container: json!({"mountPoints": [{"sourceVolume": "host", "containerPath": "/var/lib/grafana"}]}),
            rules: &["ephemeral-data-directory"],
            why: "a host path keeps the data on one instance (medium, said so)",
        },
        // Where the setting may come from: no verdict.
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(
                &["/bin/sh", "-c"],
                &[". /config/db.env && exec /opt/coder server"],
            ),
            rules: &["audit-incomplete"],
            why: "a sourced file may set CODER_PG_CONNECTION_URL",
        },
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: command(
                &["/bin/sh", "-c"],
                &["export CODER_PG_CONNECTION_URL=$(cat /run/db) && exec /opt/coder server"],
            ),
            rules: none,
            why: "the shell command sets CODER_PG_CONNECTION_URL",
        },
        Row {
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/platform/dev-portal:3",
            container: env(&[("CODER_ACCESS_URL", "https://coder.example.com")]),
            rules: &["audit-incomplete"],
            why: "a custom image's Dockerfile may set the database setting",
        },
        // The makers' word on an embedded database that is on persistent storage.
        Row {
            image: "ghcr.io/coder/coder:v2.28.3",
            container: efs_at("/home/coder/.config"),
            rules: &["no-external-database"],
            why: "Coder recommends an external PostgreSQL for production (medium)",
        },
        Row {
            image: "grafana/grafana:11.4.0",
            container: efs_at("/var/lib/grafana"),
            rules: none,
            why: "SQLite is Grafana's supported single-instance store",
        },
        Row {
            image: "vaultwarden/server:1.32.0",
            container: efs_at("/data"),
            rules: none,
            why: "SQLite on a volume is Vaultwarden's documented setup",
        },
        Row {
            image: "louislam/uptime-kuma:2",
            container: merge(
                env(&[("UPTIME_KUMA_DB_TYPE", "sqlite")]),
                efs_at("/app/data"),
            ),
            rules: &["no-external-database"],
            why: "Uptime Kuma does not support NFS, and EFS is NFS",
        },
        Row {
            image: "louislam/uptime-kuma:2",
            container: efs_at("/app/data"),
            rules: &["audit-incomplete"],
            why: "without UPTIME_KUMA_DB_TYPE a setup page asks, and its answer is on the volume",
        },
        Row {
            image: "nextcloud:30-apache",
            container: efs_at("/var/www/html"),
            rules: &["audit-incomplete"],
            why: "without database settings Nextcloud's installer asks, and config.php keeps the answer",
        },
        // Files the app keeps whatever its database.
        Row {
            image: "gitea/gitea:1.22",
            container: merge(
                env(&[("GITEA__database__DB_TYPE", "postgres")]),
                secret("GITEA__database__PASSWD"),
            ),
            rules: &["ephemeral-data-directory"],
            why: "git repositories stay in /data/git whatever the database",
        },
        Row {
            image: "nextcloud:30-apache",
            container: merge(
                env(&[
                    ("MYSQL_HOST", "db"),
                    ("MYSQL_DATABASE", "nc"),
                    ("MYSQL_USER", "nc"),
                ]),
                secret("MYSQL_PASSWORD"),
            ),
            rules: &["ephemeral-data-directory"],
            why: "config.php and users' files stay in /var/www/html",
        },
        Row {
            image: "n8nio/n8n:1.123.0",
            container: merge(
                env(&[("DB_TYPE", "postgresdb")]),
                secret("DB_POSTGRESDB_PASSWORD"),
            ),
            rules: &["ephemeral-data-directory"],
            why: "without N8N_ENCRYPTION_KEY the generated key lives in ~/.n8n/config",
        },
        Row {
            image: "directus/directus:11",
            container: env(&[("DB_CLIENT", "pg"), ("STORAGE_LOCATIONS", "local")]),
            rules: &["ephemeral-data-directory"],
            why: "local storage keeps uploads in /directus/uploads",
        },
        Row {
            image: "directus/directus:11",
            container: env(&[("DB_CLIENT", "pg"), ("STORAGE_LOCATIONS", "s3")]),
            rules: none,
            why: "uploads go to S3",
        },
        Row {
            image: "vaultwarden/server:1.32.0",
            container: secret("DATABASE_URL"),
            rules: &["ephemeral-data-directory"],
            why: "attachments and the login signing key stay in /data",
        },
        Row {
            image: "quay.io/keycloak/keycloak:26.0",
            container: merge(command(&[], &["start"]), efs_at("/opt/keycloak/data")),
            rules: &["no-external-database"],
            why: "dev-file is not for production (keycloak.org/server/db)",
        },
    ];
    let mut failures = Vec::new();
    for row in rows {
        let fired = evaluate(&profiles, row.image, row.container.clone());
        if fired != row.rules {
            failures.push(format!(
                "{} {}: got {fired:?}, want {:?} ({})",
                row.image, row.container, row.rules, row.why
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn on_persistent_storage_the_finding_is_medium_and_quotes_the_makers() {
    let profiles = Profiles::built_in().unwrap();
    let definition: TaskDefinition = serde_json::from_value(json!({
        "family": "coder", "revision": 1,
        "containerDefinitions": [{"name": "coder", "image": "ghcr.io/coder/coder:v2.28.3",
            "mountPoints": [{"sourceVolume": "home", "containerPath": "/home/coder/.config"}]}],
        "volumes": [{"name": "home", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]
    }))
    .unwrap();
    let task = TaskContext {
        task_definition: Some(definition),
        ..Default::default()
    };
    let findings = rules::evaluate_task(&task, &profiles);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, ecs_auditor::Severity::Medium);
    assert!(
        findings[0]
            .summary
            .contains("EFS fs-1 at /home/coder/.config"),
        "{}",
        findings[0].summary
    );
    assert!(
        findings[0].evidence.iter().any(|line| line
            .contains("we recommend using an external PostgreSQL database")
            && line.contains("coder.com/docs/install/database")),
        "{:?}",
        findings[0].evidence
    );
}

#[test]
fn an_image_that_names_no_version_is_judged_as_the_newest_and_says_so() {
    let profiles = Profiles::built_in().unwrap();
    let definition: TaskDefinition = serde_json::from_value(json!({
        "family": "sonar", "revision": 1,
        "containerDefinitions": [{"name": "sonar", "image": "sonarqube:lts-community",
            "environment": [{"name": "SONARQUBE_JDBC_URL", "value": "jdbc:postgresql://db/sonar"}]}]
    }))
    .unwrap();
    let task = TaskContext {
        task_definition: Some(definition),
        ..Default::default()
    };
    let findings = rules::evaluate_task(&task, &profiles);
    let misnamed = findings
        .iter()
        .find(|f| f.rule == RuleId::DatabaseSettingMisnamed)
        .expect("judged by the newest version, which ignores SONARQUBE_JDBC_URL");
    assert!(
        misnamed
            .evidence
            .iter()
            .any(|line| line.contains("does not say which version of SonarQube it runs")),
        "{:?}",
        misnamed.evidence
    );
    assert_eq!(
        misnamed.facts.get("image_version").map(String::as_str),
        Some("unknown (lts-community): judged by the newest version")
    );
}
