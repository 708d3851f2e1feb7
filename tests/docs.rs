//! Keeps the README true to the code: the rule catalog and the configuration table.

use ecs_auditor::rules::CATALOG;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// Rows of the first table after `heading`: cells without the surrounding pipes.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README lacks {heading}"));
    text[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_rule_catalog_lists_every_rule_with_its_severity() {
    let rows = table_after(&readme(), "## Rule catalog");
    let documented: Vec<(String, String)> = rows
        .iter()
        .map(|row| (row[0].trim_matches('`').to_string(), row[1].clone()))
        .collect();
    let actual: Vec<(String, String)> = CATALOG
        .iter()
        .map(|info| {
            (
                info.id.as_str().to_string(),
                info.severity.as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(documented, actual);
}

#[test]
fn the_configuration_table_lists_every_setting_with_its_default() {
    let rows = table_after(&readme(), "## Configuration");
    for setting in ecs_auditor::config::SETTINGS {
        let row = rows
            .iter()
            .find(|row| row[0] == format!("`{}`", setting.variable))
            .unwrap_or_else(|| panic!("README configuration table lacks {}", setting.variable));
        assert!(
            row[1].starts_with(&setting.shown_default()),
            "README says {}'s default is {:?}; the code's is {}",
            setting.variable,
            row[1],
            setting.shown_default()
        );
    }
}

#[test]
fn the_worked_profile_example_is_a_valid_profile() {
    let readme = readme();
    let section = &readme[readme.find("### Writing a profile").expect("section")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = section[start..].find("```").unwrap() + start;
    let example = &section[start..end];
    let profiles = ecs_auditor::profiles::Profiles::from_sources([("README.md", example)])
        .unwrap_or_else(|error| panic!("the README's example profile is invalid: {error}"));
    let profile = &profiles.all()[0];
    assert_eq!(profile.id, "label-studio");
    assert_eq!(profiles.signatures().len(), 1);
    assert_eq!(profile.variants.len(), 1);
    assert_eq!(
        profile.variants[0].facts.data_directory.as_deref(),
        Some("/root/.local/share/label-studio")
    );
    assert_eq!(
        profile.variants[0]
            .facts
            .database
            .as_ref()
            .map(|d| d.type_settings.len()),
        Some(1),
        "a variant keeps the database fields it does not give"
    );
    let commands = profile.facts.commands.as_ref().expect("the command table");
    assert_eq!(commands.roles.len(), 1);
    assert!(profile.facts.embedded_in_production.is_some());
    assert_eq!(profile.facts.kept_files.len(), 1);
    assert_eq!(profile.other_images.len(), 1);
}

#[test]
fn every_source_file_is_named_in_the_architecture() {
    let architecture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ARCHITECTURE.md")).unwrap();
    let rule_files: Vec<String> = ecs_auditor::rules::CATALOG
        .iter()
        .map(|info| format!("src/rules/{}.rs", info.id.as_str().replace('-', "_")))
        .collect();
    let mut missing = Vec::new();
    let mut directories = vec![std::path::PathBuf::from("src")];
    while let Some(directory) = directories.pop() {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&directory);
        for entry in std::fs::read_dir(full).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let path = directory.join(&name);
            if path.is_dir()
                || std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(&path)
                    .is_dir()
            {
                directories.push(path);
                continue;
            }
            let path = path.to_str().unwrap().to_string();
            // Rule files are named by the `src/rules/<rule_id>.rs` row, profiles by theirs.
            let covered = (path.ends_with(".rs") && architecture.contains(&format!("`{path}`")))
                || rule_files.contains(&path)
                || (path.starts_with("src/profiles/")
                    && (path.ends_with(".toml") || path.ends_with(".cases.json")))
                || !path.ends_with(".rs");
            if !covered {
                missing.push(path);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name {missing:?}"
    );
}
