//! CloudFormation and SAM templates (YAML or JSON): every `AWS::ECS::TaskDefinition` in
//! `Resources`, its PascalCase properties read as the ECS API's camelCase (CloudFormation user
//! guide, `AWS::ECS::TaskDefinition`).
//!
//! Intrinsic functions are read as CloudFormation would resolve them, as far as that is known
//! before deployment: `!Ref P` and `${P}` in `!Sub` take the value given for `P`
//! (`--parameter`), else its `Default` (and the finding says it was judged on it); anything
//! else (`!GetAtt`, `!ImportValue`, an `!If` on an unknown condition, a parameter without a
//! `Default`, a `{{resolve:...}}` dynamic reference) is a value known only
//! at deployment, kept as written in `!Sub` syntax and never judged as if it were clean.
//! Conditions over parameters are decided the same way (`intrinsics.rs`): `!If` takes its
//! branch, and a task definition whose `Condition` is false is skipped.
//! `!Ref AWS::NoValue` removes the property, as in CloudFormation.

use super::document::{Document, InputError, pointer_segment};
use super::intrinsics::{Parameters, Rendered, Resolver, intrinsic, is_no_value};
use super::parameters::TemplateParameters;
use super::resource::{JudgedOnDefault, Resource};
use crate::model::{TaskDefinition, ValueOrigin};
use crate::profiles::Profiles;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const TASK_DEFINITION: &str = "AWS::ECS::TaskDefinition";

/// Properties whose value is a list or an object: an intrinsic there (`Environment: !If
/// [...]`) hides what the containers get, so the task definition cannot be checked.
const STRUCTURAL: [&str; 15] = [
    "ContainerDefinitions",
    "Volumes",
    "Environment",
    "Secrets",
    "MountPoints",
    "EntryPoint",
    "Command",
    "EnvironmentFiles",
    "VolumesFrom",
    "Links",
    "ExtraHosts",
    "LogConfiguration",
    "EFSVolumeConfiguration",
    "DockerVolumeConfiguration",
    "Host",
];

/// Properties of type Boolean that the rules read.
const BOOLEAN: [&str; 3] = ["Essential", "ReadOnly", "ConfiguredAtLaunch"];

/// Maps of free-form keys (log driver options, labels): their keys stay as written.
const FREE_FORM: [&str; 4] = ["Options", "DockerLabels", "DriverOpts", "Labels"];

/// Whether a document is a CloudFormation or SAM template.
pub(crate) fn is_template(value: &Value) -> bool {
    value.get("Resources").is_some_and(Value::is_object)
        || value.get("AWSTemplateFormatVersion").is_some()
}

/// The task definitions of a template, in the order written.
pub(crate) fn decode(
    document: &Document,
    profiles: &Profiles,
    given: &TemplateParameters,
) -> Result<Vec<Resource>, InputError> {
    let template = &document.value;
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or_else(|| InputError::Malformed {
            what: "CloudFormation template".to_string(),
            problem: "no Resources section".to_string(),
        })?;
    let parameters = Parameters::of(template);
    let resolver = Resolver {
        parameters: &parameters,
        given,
        conditions: template.get("Conditions").and_then(Value::as_object),
    };
    let mut found = Vec::new();
    for (logical_id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some(TASK_DEFINITION) {
            continue;
        }
        // A resource whose `Condition` is false is not created.
        if let Some(condition) = resource.get("Condition").and_then(Value::as_str)
            && resolver.condition(condition).value == Some(false)
        {
            continue;
        }
        let pointer = format!("/Resources/{}", pointer_segment(logical_id));
        let mut checked = task_definition(
            logical_id,
            resource.get("Properties").unwrap_or(&Value::Null),
            &resolver,
            profiles,
            document,
            &pointer,
        )?;
        checked.declared_parameters = parameters.declared();
        found.push(checked);
    }
    Ok(found)
}

fn task_definition(
    logical_id: &str,
    properties: &Value,
    resolver: &Resolver,
    profiles: &Profiles,
    document: &Document,
    pointer: &str,
) -> Result<Resource, InputError> {
    let mut reading = Reading {
        resolver,
        origins: BTreeMap::new(),
        hidden: Vec::new(),
    };
    let api = reading.property(properties, "", "");
    let mut resource = Resource {
        name: logical_id.to_string(),
        line: document.line(pointer),
        ..Default::default()
    };
    if !reading.hidden.is_empty() {
        resource.not_checked = reading
            .hidden
            .iter()
            .map(|(path, function)| {
                format!(
                    "{path} is chosen at deployment ({function}): what the containers get is not known, so none of them could be checked"
                )
            })
            .collect();
        return Ok(resource);
    }
    let mut api = match api {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => {
            return Err(InputError::Malformed {
                what: format!("{logical_id} ({TASK_DEFINITION})"),
                problem: "Properties is not a mapping".to_string(),
            });
        }
    };
    api.entry("family")
        .or_insert_with(|| Value::String(logical_id.to_string()));
    let api = Value::Object(api);
    let mut definition: TaskDefinition =
        serde_json::from_value(api).map_err(|error| InputError::Malformed {
            what: format!("{logical_id} ({TASK_DEFINITION})"),
            problem: error.to_string(),
        })?;
    reading.mark_origins(&mut definition);
    // A family known only at deployment (`!Sub ${AWS::StackName}-task`): the fixes name the
    // resource instead.
    if reading.origins.get("family") == Some(&ValueOrigin::AtDeployment) {
        definition.family = logical_id.to_string();
    }
    (resource.not_checked, resource.storage_undecided) =
        reading.unknown_that_matters(&definition, profiles);
    resource.lines = super::lines::Lines::of_containers(
        document,
        &format!("{pointer}/Properties/ContainerDefinitions"),
        &definition,
        ["Environment", "Secrets"],
    );
    resource.judged_on_defaults = reading.parameter_defaults(&definition);
    for origin in reading.origins.values() {
        if let ValueOrigin::ParameterDefault(parameters) = origin {
            for parameter in parameters {
                if !resource.parameter_defaults.contains(parameter) {
                    resource.parameter_defaults.push(parameter.clone());
                }
            }
        }
    }
    resource.definition = Some(definition);
    Ok(resource)
}

/// One task definition being read: where each value came from, and what hides its shape.
struct Reading<'a> {
    resolver: &'a Resolver<'a>,
    /// Origins of values not simply written, by API path (`containerDefinitions/0/image`).
    origins: BTreeMap<String, ValueOrigin>,
    /// Structural properties given by an intrinsic: (template path, function).
    hidden: Vec<(String, String)>,
}

impl Reading<'_> {
    /// Reads a property's value at `path` (template names, `ContainerDefinitions/0/Image`),
    /// written in the API's camelCase; `api_path` is the same path in API names.
    fn property(&mut self, value: &Value, path: &str, api_path: &str) -> Value {
        let key = path.rsplit('/').next().unwrap_or_default();
        // `Fn::If` on a condition known before deployment: the branch it takes, read in its
        // place (its parameters' Defaults noted).
        if let Some((chosen, defaults)) = self.resolver.branch(value) {
            if !defaults.is_empty() {
                self.origins.insert(
                    format!("{api_path}#condition"),
                    ValueOrigin::ParameterDefault(defaults),
                );
            }
            if is_no_value(chosen) {
                return Value::Null;
            }
            return self.property(chosen, path, api_path);
        }
        if let Some(function) = intrinsic(value) {
            let list_item = key.parse::<usize>().is_ok();
            if STRUCTURAL.contains(&key) || (list_item && parent_holds_objects(path)) {
                self.hidden.push((path.to_string(), function.to_string()));
                return Value::Null;
            }
            let rendered = self.resolver.render(value);
            if rendered.origin != ValueOrigin::Written {
                self.origins
                    .insert(api_path.to_string(), rendered.origin.clone());
            }
            if BOOLEAN.contains(&key) {
                // Unknown: as if not set, and said when it matters.
                return Value::Null;
            }
            return Value::String(rendered.text);
        }
        match value {
            Value::Object(map) => {
                let free_form = FREE_FORM.contains(&key);
                let mut api = Map::new();
                for (name, item) in map {
                    if is_no_value(item) {
                        continue;
                    }
                    let api_name = if free_form {
                        name.clone()
                    } else {
                        api_name(name)
                    };
                    let item = self.property(item, &join(path, name), &join(api_path, &api_name));
                    if !item.is_null() {
                        api.insert(api_name, item);
                    }
                }
                Value::Object(api)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter(|item| {
                        !is_no_value(item)
                            && !self
                                .resolver
                                .branch(item)
                                .is_some_and(|(chosen, _)| is_no_value(chosen))
                    })
                    .enumerate()
                    .map(|(index, item)| {
                        self.property(
                            item,
                            &join(path, &index.to_string()),
                            &join(api_path, &index.to_string()),
                        )
                    })
                    .collect(),
            ),
            // CloudFormation takes "true" and "false" for Boolean properties.
            Value::String(text) if BOOLEAN.contains(&key) => {
                match text.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::Null,
                }
            }
            Value::String(text) => {
                let rendered = Rendered::written(text.clone());
                if rendered.origin != ValueOrigin::Written {
                    self.origins.insert(api_path.to_string(), rendered.origin);
                }
                Value::String(text.clone())
            }
            // CloudFormation takes numbers and booleans for string properties.
            Value::Number(number) if !BOOLEAN.contains(&key) => Value::String(number.to_string()),
            Value::Bool(flag) if !BOOLEAN.contains(&key) => Value::String(flag.to_string()),
            Value::Number(_) | Value::Bool(_) | Value::Null => value.clone(),
        }
    }

    /// Sets `origin` on the environment and secrets entries that came from intrinsics.
    fn mark_origins(&self, definition: &mut TaskDefinition) {
        for (index, container) in definition.container_definitions.iter_mut().enumerate() {
            let base = format!("containerDefinitions/{index}");
            for (entry, variable) in container.environment.iter_mut().enumerate() {
                if let Some(origin) = self
                    .origins
                    .get(&format!("{base}/environment/{entry}/value"))
                {
                    variable.origin = origin.clone();
                }
            }
            for (entry, secret) in container.secrets.iter_mut().enumerate() {
                if let Some(origin) = self
                    .origins
                    .get(&format!("{base}/secrets/{entry}/valueFrom"))
                {
                    secret.origin = origin.clone();
                }
            }
        }
    }

    /// Values known only at deployment that the rules would have judged: a container's image
    /// when no profile recognises it by its settings, the settings a recognised app reads,
    /// and where volumes are mounted; and the containers whose data storage is therefore
    /// undecided (a mount point or the data directory setting known only at deployment).
    fn unknown_that_matters(
        &self,
        definition: &TaskDefinition,
        profiles: &Profiles,
    ) -> (Vec<String>, Vec<String>) {
        let mut not_checked = Vec::new();
        let mut storage_undecided = Vec::new();
        for (index, container) in definition.container_definitions.iter().enumerate() {
            let base = format!("containerDefinitions/{index}");
            let at_deployment =
                |path: &str| self.origins.get(path) == Some(&ValueOrigin::AtDeployment);
            let names: Vec<&str> = container.setting_names().collect();
            let profile = profiles.recognise(&container.image, &names);
            if at_deployment(&format!("{base}/image")) && profile.is_none() {
                not_checked.push(format!(
                    "container '{}': image {} is known only at deployment, so which app it runs could not be decided",
                    container.name, container.image
                ));
            }
            if let Some(profile) = profile {
                let facts = profile.facts_of(&profile.version_of(&container.image));
                for variable in &container.environment {
                    if variable.value_known() || !reads_setting(facts, &variable.name) {
                        continue;
                    }
                    if facts.data_directory_setting.as_deref() == Some(variable.name.as_str()) {
                        storage_undecided.push(container.name.clone());
                    }
                    not_checked.push(format!(
                        "container '{}': {} = {} is resolved at deployment, so its value could not be checked",
                        container.name,
                        variable.name,
                        crate::redact::display_setting_value(&variable.name, &variable.value)
                    ));
                }
            }
            for (entry, mount) in container.mount_points.iter().enumerate() {
                let mount_path = format!("{base}/mountPoints/{entry}");
                if at_deployment(&format!("{mount_path}/containerPath"))
                    || at_deployment(&format!("{mount_path}/sourceVolume"))
                {
                    storage_undecided.push(container.name.clone());
                    not_checked.push(format!(
                        "container '{}': mount point {} -> {} is resolved at deployment, so what it keeps could not be checked",
                        container.name, mount.source_volume, mount.container_path
                    ));
                }
            }
        }
        (not_checked, storage_undecided)
    }

    /// Values taken from parameters' `Default`s: the container, the value (`image`, or the
    /// setting's name) and the parameters.
    fn parameter_defaults(&self, definition: &TaskDefinition) -> Vec<JudgedOnDefault> {
        let mut judged = Vec::new();
        for (index, container) in definition.container_definitions.iter().enumerate() {
            let base = format!("containerDefinitions/{index}");
            let mut add = |path: String, field: &str| {
                if let Some(ValueOrigin::ParameterDefault(parameters)) = self.origins.get(&path) {
                    judged.push(JudgedOnDefault {
                        container: container.name.clone(),
                        field: field.to_string(),
                        parameters: parameters.clone(),
                    });
                }
            };
            add(format!("{base}/image"), "image");
            for (entry, variable) in container.environment.iter().enumerate() {
                add(format!("{base}/environment/{entry}/value"), &variable.name);
            }
            for (entry, secret) in container.secrets.iter().enumerate() {
                add(format!("{base}/secrets/{entry}/valueFrom"), &secret.name);
            }
            for entry in 0..container.mount_points.len() {
                add(format!("{base}/mountPoints/{entry}/containerPath"), "mount");
                add(format!("{base}/mountPoints/{entry}/sourceVolume"), "mount");
            }
        }
        judged
    }
}

/// Whether an app reads a setting whose value decides a rule: its database URL and type
/// settings, its data directory setting, its volatile-storage switches (a group's members and
/// passwords count by being set, whatever their value).
fn reads_setting(facts: &crate::profiles::Facts, name: &str) -> bool {
    facts.database.as_ref().is_some_and(|database| {
        database.settings.iter().any(|setting| setting == name)
            || database.type_settings.iter().any(|kind| kind.name == name)
    }) || facts.data_directory_setting.as_deref() == Some(name)
        || facts
            .volatile_switches
            .iter()
            .any(|switch| switch.setting == name)
}

/// Whether the list at the end of `path` (`.../Environment/3` -> `Environment`) holds objects.
fn parent_holds_objects(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    parts.next();
    parts.next().is_some_and(|parent| {
        [
            "ContainerDefinitions",
            "Volumes",
            "Environment",
            "Secrets",
            "MountPoints",
            "EnvironmentFiles",
            "VolumesFrom",
            "ExtraHosts",
        ]
        .contains(&parent)
    })
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
    }
}

/// A CloudFormation property name in the ECS API's camelCase: the leading capitals lowered
/// (`EFSVolumeConfiguration` -> `efsVolumeConfiguration`), and the names that differ.
fn api_name(name: &str) -> String {
    match name {
        "FilesystemId" => return "fileSystemId".to_string(),
        "FSxWindowsFileServerVolumeConfiguration" => {
            return "fsxWindowsFileServerVolumeConfiguration".to_string();
        }
        _ => {}
    }
    let chars: Vec<char> = name.chars().collect();
    let capitals = chars.iter().take_while(|c| c.is_ascii_uppercase()).count();
    // Before a lower-case letter, the last capital starts the next word.
    let lower = if capitals > 1 && capitals < chars.len() {
        capitals - 1
    } else {
        capitals
    };
    chars
        .iter()
        .enumerate()
        .map(|(index, c)| {
            if index < lower {
                c.to_ascii_lowercase()
            } else {
                *c
            }
        })
        .collect()
}
