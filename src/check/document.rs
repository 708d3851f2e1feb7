//! A file `check` reads, as JSON values with the line each value starts on: JSON, or YAML
//! (CloudFormation and SAM templates) with its short-form intrinsics (`!Ref X`, `!Sub ...`)
//! written in their long form (`{"Ref": "X"}`, `{"Fn::Sub": ...}`), as CloudFormation reads
//! them. YAML is parsed with `saphyr` (YAML 1.2), which gives every node's line; JSON with
//! `serde_json`, and its lines from `saphyr` (JSON is YAML 1.2) where `saphyr` reads it.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// A file that cannot be read as any input `check` knows. The message names the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not YAML: {0}")]
    NotYaml(String),
    #[error(
        "not a task definition (no containerDefinitions), a CloudFormation template (no Resources) nor a Terraform plan (no resource_changes)"
    )]
    UnknownKind,
    #[error("{what}: {problem}")]
    Malformed { what: String, problem: String },
}

/// Lines are kept to this depth of JSON pointer (a CloudFormation `Environment` entry is at
/// 7: `/Resources/T/Properties/ContainerDefinitions/0/Environment/1`), so a large plan does
/// not keep a pointer for every value.
const LINE_DEPTH: usize = 8;

/// A parsed file: its value and the line (1-based) where the value at a JSON pointer starts.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub value: Value,
    lines: HashMap<String, usize>,
}

impl Document {
    /// Parses `text` as JSON (when it starts with `{` or `[`) or YAML. Errors name the line
    /// and column where parsing stopped.
    pub(crate) fn parse(text: &str) -> Result<Document, InputError> {
        if text.trim_start().starts_with(['{', '[']) {
            // JSON's own parser decides what is JSON (YAML would take `{"a": }`); YAML's gives
            // the lines, where it reads the file (not with a tab before a key).
            let value = serde_json::from_str(text)
                .map_err(|error| InputError::NotJson(error.to_string()))?;
            let mut lines = HashMap::new();
            if let Some(root) = MarkedYaml::load_from_str(text)
                .ok()
                .and_then(|nodes| nodes.into_iter().next())
            {
                convert(&root, &mut String::new(), 0, &mut lines)?;
            }
            return Ok(Document { value, lines });
        }
        let nodes = MarkedYaml::load_from_str(text)
            .map_err(|error| InputError::NotYaml(error.to_string()))?;
        let Some(root) = nodes.first() else {
            return Err(InputError::NotYaml("the file is empty".to_string()));
        };
        let mut lines = HashMap::new();
        let value = convert(root, &mut String::new(), 0, &mut lines)?;
        Ok(Document { value, lines })
    }

    /// The line where the value at `pointer` (RFC 6901, e.g. `/Resources/T`) starts, if known.
    pub(crate) fn line(&self, pointer: &str) -> Option<usize> {
        self.lines.get(pointer).copied()
    }
}

/// A key as one segment of a JSON pointer (RFC 6901: `~` is `~0`, `/` is `~1`).
pub(super) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Converts a YAML node to JSON, recording lines by pointer.
fn convert(
    node: &MarkedYaml,
    pointer: &mut String,
    depth: usize,
    lines: &mut HashMap<String, usize>,
) -> Result<Value, InputError> {
    // A tagged scalar's own span is empty: its tag's line is where it starts.
    if depth <= LINE_DEPTH && node.span.start.line() > 0 {
        lines.insert(pointer.clone(), node.span.start.line());
    }
    Ok(match &node.data {
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => {
            let mut values = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                values.push(convert(item, pointer, depth + 1, lines)?);
                pointer.truncate(length);
            }
            Value::Array(values)
        }
        YamlData::Mapping(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (key, item) in entries {
                let key = match convert(key, &mut String::new(), LINE_DEPTH + 1, lines)? {
                    Value::String(key) => key,
                    other => other.to_string(),
                };
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&pointer_segment(&key));
                let value = convert(item, pointer, depth + 1, lines)?;
                pointer.truncate(length);
                map.insert(key, value);
            }
            Value::Object(map)
        }
        YamlData::Tagged(tag, inner) => {
            let inner = convert(inner, pointer, depth, lines)?;
            if tag.handle != "!" {
                // A YAML core tag (`!!str`) or another handle: the value as written.
                return Ok(inner);
            }
            // CloudFormation's short forms: `!Ref` and `!Condition` keep their names, every
            // other `!X` is `Fn::X` (`!GetAtt`, `!Sub`, `!Join`, `!If`, `!Base64`, ...).
            let name = match tag.suffix.as_str() {
                "Ref" | "Condition" => tag.suffix.clone(),
                other => format!("Fn::{other}"),
            };
            let mut map = Map::new();
            map.insert(name, inner);
            Value::Object(map)
        }
        YamlData::Alias(_) => {
            return Err(InputError::NotYaml(
                "a YAML alias (*name): ecs-auditor check does not follow aliases; write the value out"
                    .to_string(),
            ));
        }
        YamlData::BadValue => Value::Null,
    })
}

fn scalar_value(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(value) => Value::Bool(*value),
        Scalar::Integer(value) => Value::Number((*value).into()),
        Scalar::FloatingPoint(value) => Number::from_f64(value.into_inner())
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(value.to_string())),
        Scalar::String(text) => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_intrinsics_read_in_their_long_form_with_lines() {
        let text = "Resources:\n  Td:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      Family: !Ref Name\n      Image: !Sub '${AWS::AccountId}.dkr.ecr/x:1'\n      Port: !GetAtt Db.Endpoint.Port\n      Joined: !Join [':', [a, !Ref B]]\n      When: !If [IsProd, 1, !Ref 'AWS::NoValue']\n";
        let document = Document::parse(text).unwrap();
        let properties = &document.value["Resources"]["Td"]["Properties"];
        assert_eq!(properties["Family"], json!({"Ref": "Name"}));
        assert_eq!(
            properties["Image"],
            json!({"Fn::Sub": "${AWS::AccountId}.dkr.ecr/x:1"})
        );
        assert_eq!(
            properties["Port"],
            json!({"Fn::GetAtt": "Db.Endpoint.Port"})
        );
        assert_eq!(
            properties["Joined"],
            json!({"Fn::Join": [":", ["a", {"Ref": "B"}]]})
        );
        assert_eq!(
            properties["When"],
            json!({"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(document.line("/Resources/Td"), Some(3));
        assert_eq!(document.line("/Resources/Td/Properties/Image"), Some(6));
    }

    #[test]
    fn json_reads_with_lines_and_errors_say_where() {
        let document = Document::parse("{\n  \"a\": [\n    {\"b\": 1}\n  ]\n}\n").unwrap();
        assert_eq!(document.value, json!({"a": [{"b": 1}]}));
        assert_eq!(document.line("/a/0"), Some(3));
        // A tab before a key is JSON but not YAML: still read.
        let tabbed = Document::parse("{\n\t\"a\": \"x\\/y\"\n}").unwrap();
        assert_eq!(tabbed.value, json!({"a": "x/y"}));
        assert!(matches!(
            Document::parse("{\"a\": }"),
            Err(InputError::NotJson(_))
        ));
        let error = Document::parse("Resources:\n  - a\n  b: c\n").unwrap_err();
        assert!(error.to_string().contains("line"), "{error}");
    }
}
