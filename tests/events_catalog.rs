//! Keeps `events/README.md` true: every sample event is listed, and running each through the
//! pipeline (against the emulator's demo account) yields exactly the alerts the table names.

mod support;

use ecs_auditor::alert::Alert;
use ecs_auditor::aws::AwsInventory;
use ecs_auditor::config::Config;
use ecs_auditor::events::{self, DecodeLimits, Decoded, Event};
use ecs_auditor::memory::MemoryStore;
use ecs_auditor::publish::{AlertSink, PublishError};
use ecs_auditor::{Auditor, Outcome};
use std::collections::BTreeSet;
use support::*;

struct Row {
    file: String,
    alerts: String,
}

fn catalog() -> Vec<Row> {
    let readme = std::fs::read_to_string(repo_path("events/README.md")).unwrap();
    readme
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 3, "malformed row: {line}");
            Row {
                file: cells[0].trim_matches('`').to_string(),
                alerts: cells[2].to_string(),
            }
        })
        .collect()
}

#[test]
fn every_sample_event_is_listed_and_every_listed_file_exists() {
    let listed: BTreeSet<String> = catalog().into_iter().map(|row| row.file).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo_path("events"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".json"))
        .collect();
    assert_eq!(listed, on_disk);
}

#[test]
fn log_samples_match_their_readable_sources() {
    for entry in std::fs::read_dir(repo_path("events/logs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let source = std::fs::read_to_string(&path).unwrap();
        let expected: Vec<&str> = source
            .lines()
            .skip_while(|line| line.starts_with("# "))
            .collect();
        let event = read_event(&format!("logs-{name}.json"));
        let mut scratch = String::new();
        let decoded = events::decode(&event, &DecodeLimits::default(), &mut scratch).unwrap();
        match decoded {
            Decoded::Event(Event::Logs(batch)) => {
                let lines: Vec<&str> = batch
                    .log_events
                    .iter()
                    .map(|line| line.message.trim_end_matches('\r'))
                    .collect();
                assert_eq!(
                    lines, expected,
                    "events/logs-{name}.json is stale: run `make events`"
                );
            }
            Decoded::Ignored(_) => assert!(source.contains("CONTROL_MESSAGE"), "{name}"),
            other => panic!("{name}: unexpected {other:?}"),
        }
    }
}

/// Counts what would have been sent, like an SNS subscriber would.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl AlertSink for Recorder {
    async fn publish(&self, alert: &Alert) -> Result<(), PublishError> {
        self.0.lock().unwrap().push(alert.rule.as_str().to_string());
        Ok(())
    }
}

/// The table is replayed in its order through one function with memory, as in `make demo`:
/// a finding already alerted on is not alerted again.
#[tokio::test]
async fn each_sample_yields_the_alerts_its_row_names() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let auditor = Auditor::new(
        Config::default(),
        AwsInventory::new(&config, vec![]),
        Recorder::default(),
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap();
    for row in catalog() {
        let report = auditor
            .process(&account.event(&row.file))
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", row.file));
        let mut sent = std::mem::take(&mut *auditor.sink().0.lock().unwrap());
        sent.sort();
        let actual = match report.outcome {
            Outcome::Ignored(_) => "ignored".to_string(),
            Outcome::Audited(_) if sent.is_empty() => "none".to_string(),
            Outcome::Audited(_) => sent.join(", "),
        };
        assert_eq!(actual, row.alerts, "events/{}", row.file);
    }
}
