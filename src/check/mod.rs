//! `ecs-auditor check PATH...`: the configuration rules on task definitions in files, before
//! anything is deployed and with no AWS account (CI, pre-commit). The third front door to the
//! same rules ([`crate::rules::evaluate_task`]).
//!
//! Inputs (`document.rs` reads JSON or YAML, with lines): an ECS task definition file
//! (`task_definition_file.rs`: RegisterTaskDefinition input, as `aws ecs
//! register-task-definition --cli-input-json` takes it, or DescribeTaskDefinition output,
//! `{"taskDefinition": {...}}`), a CloudFormation or SAM template (`cloudformation.rs`) and a
//! Terraform plan (`terraform show -json`, `terraform.rs`, with the secrets it writes,
//! `planned_secrets.rs`). What cannot be known before deployment is never called clean: it is
//! reported as not checked, with why. Reports: `output.rs` (text, JSON), `sarif.rs`.

mod cloudformation;
mod document;
mod intrinsics;
mod lines;
pub mod output;
mod parameters;
mod planned_secrets;
mod resource;
pub mod sarif;
mod task_definition_file;
mod terraform;

use crate::finding::{Finding, RuleId, Severity};
use crate::model::TaskContext;
use crate::profiles::Profiles;
use document::Document;
pub use document::InputError;
pub use parameters::TemplateParameters;
use resource::Resource;

/// One task definition found in a file, and what the rules made of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// The file, as given on the command line.
    pub file: String,
    /// The task definition's name in that file: `family:revision`, or the Terraform address.
    pub resource: String,
    pub findings: Vec<Finding>,
    /// What could not be checked, and why (a value unknown until apply).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<String>,
    /// The line (1-based) where the task definition starts in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The template parameters whose `Default`s it was read with, when no value was given
    /// (`--parameter`): another stack's values may give another verdict, a pass included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_defaults: Vec<String>,
    /// Where its containers and settings start.
    #[serde(skip)]
    pub lines: lines::Lines,
    /// The parameters its template declares (for a value given for none of them).
    #[serde(skip)]
    pub declared_parameters: Vec<String>,
}

impl Checked {
    /// The line a finding points at: its setting's (`facts["setting"]`), else its
    /// container's, else the task definition's.
    pub fn line_of(&self, finding: &Finding) -> Option<usize> {
        let container = finding.location.container.as_deref();
        let setting = finding.facts.get("setting").map(String::as_str);
        self.lines
            .settings
            .iter()
            .find(|(name, set, _)| {
                Some(name.as_str()) == container && Some(set.as_str()) == setting
            })
            .map(|(_, _, line)| *line)
            .or_else(|| {
                self.lines
                    .containers
                    .iter()
                    .find(|(name, _)| Some(name.as_str()) == container)
                    .map(|(_, line)| *line)
            })
            .or(self.line)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub checked: Vec<Checked>,
    /// Files that could not be read, and why: the run exits 2, the others still reported.
    pub unreadable: Vec<(String, String)>,
    /// Files read that hold no task definition (a template of other resources, a plan that
    /// changes none): nothing to check there, said so.
    pub without_task_definitions: Vec<String>,
}

impl CheckReport {
    /// Whether any finding is at or above `fail_on`, or anything could not be checked (a file
    /// not read, what `not_checked` lists, an `audit-incomplete` finding at any severity):
    /// what was not seen is never a pass.
    pub fn fails(&self, fail_on: Severity) -> bool {
        !self.unreadable.is_empty()
            || self.checked.iter().any(|checked| {
                !checked.not_checked.is_empty()
                    || checked.findings.iter().any(|finding| {
                        finding.severity >= fail_on || finding.rule == RuleId::AuditIncomplete
                    })
            })
    }
}

/// Checks the task definitions in `text`, the content of `file`.
pub fn check_text(file: &str, text: &str, profiles: &Profiles) -> Result<Vec<Checked>, InputError> {
    check_text_with(file, text, profiles, &TemplateParameters::default())
}

/// [`check_text`], with values for a template's parameters (as the stack will be deployed).
pub fn check_text_with(
    file: &str,
    text: &str,
    profiles: &Profiles,
    parameters: &TemplateParameters,
) -> Result<Vec<Checked>, InputError> {
    let resources = decode(text, profiles, parameters)?;
    Ok(resources
        .into_iter()
        .map(|resource| check_resource(file, resource, profiles))
        .collect())
}

/// The task definitions in a file, by its kind: a Terraform plan (`resource_changes`), a
/// CloudFormation or SAM template (`Resources`), or an ECS task definition file.
fn decode(
    text: &str,
    profiles: &Profiles,
    parameters: &TemplateParameters,
) -> Result<Vec<Resource>, InputError> {
    let document = Document::parse(text)?;
    let value = &document.value;
    if value.get("resource_changes").is_some() || value.get("planned_values").is_some() {
        terraform::decode(&document)
    } else if cloudformation::is_template(value) {
        cloudformation::decode(&document, profiles, parameters)
    } else {
        task_definition_file::decode(&document)
    }
}

fn check_resource(file: &str, resource: Resource, profiles: &Profiles) -> Checked {
    let findings = match &resource.definition {
        Some(definition) => {
            let task = TaskContext {
                task_definition_arn: definition.arn.clone(),
                task_definition: Some(definition.clone()),
                ..Default::default()
            };
            let findings = match &resource.before {
                Some(before) => {
                    crate::rules::evaluate_change(before, &task, &resource.name, profiles)
                }
                None => crate::rules::evaluate_task(&task, profiles),
            };
            findings
                .into_iter()
                // Where the data lives is undecided for such a container: say nothing rather
                // than guess (not_checked says why).
                .filter(|finding| {
                    !(finding.rule.judges_data_storage()
                        && finding
                            .location
                            .container
                            .as_ref()
                            .is_some_and(|container| {
                                resource.storage_undecided.contains(container)
                            }))
                })
                .map(|mut finding| {
                    finding.location.task_definition = Some(resource.name.clone());
                    let mut parameters: Vec<&str> = Vec::new();
                    for judged in &resource.judged_on_defaults {
                        if judged.concerns(&finding) {
                            parameters.extend(judged.parameters.iter().map(String::as_str));
                        }
                    }
                    parameters.dedup();
                    if !parameters.is_empty() {
                        finding.evidence.push(judged_on(&parameters));
                    }
                    finding
                })
                .collect()
        }
        None => Vec::new(),
    };
    Checked {
        file: file.to_string(),
        resource: resource.name,
        findings,
        not_checked: resource.not_checked,
        line: resource.line,
        parameter_defaults: resource.parameter_defaults,
        declared_parameters: resource.declared_parameters,
        lines: resource.lines,
    }
}

/// The evidence line of a finding judged on parameters' `Default`s.
pub(crate) fn judged_on(parameters: &[&str]) -> String {
    format!(
        "judged on the Defaults of template parameters {}; a stack deployed with other values may differ",
        parameters.join(", ")
    )
}

#[cfg(test)]
mod tests;
