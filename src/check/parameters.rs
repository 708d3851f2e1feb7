//! Values for a template's parameters given to `check` (`--parameters FILE`, `--parameter
//! KEY=VALUE`), as a stack would be deployed with them: what `!Ref P` and `${P}` resolve to
//! instead of `P`'s `Default`.

use std::collections::BTreeMap;

/// Parameter values by name. Empty: every parameter takes its `Default`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateParameters(BTreeMap<String, String>);

impl TemplateParameters {
    /// Reads a parameters file in either form the AWS tools write: the CloudFormation CLI's
    /// `[{"ParameterKey": "K", "ParameterValue": "V"}, ...]` (`aws cloudformation create-stack
    /// --parameters file://...`), or `{"K": "V", ...}`. Errors say which form was expected.
    pub fn from_json(text: &str) -> Result<TemplateParameters, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let mut parameters = BTreeMap::new();
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    let key = item.get("ParameterKey").and_then(|key| key.as_str());
                    let value = item.get("ParameterValue").map(text_of);
                    let (Some(key), Some(value)) = (key, value) else {
                        return Err(
                            "each entry needs ParameterKey and ParameterValue (the form `aws cloudformation create-stack --parameters file://...` takes)"
                                .to_string(),
                        );
                    };
                    parameters.insert(key.to_string(), value);
                }
            }
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    parameters.insert(key, text_of(&value));
                }
            }
            _ => {
                return Err(
                    "expected [{\"ParameterKey\": ..., \"ParameterValue\": ...}] or {\"Name\": \"value\"}"
                        .to_string(),
                );
            }
        }
        Ok(TemplateParameters(parameters))
    }

    /// Adds `KEY=VALUE` (a later value wins). Errors name what is missing.
    pub fn set(&mut self, pair: &str) -> Result<(), String> {
        match pair.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                self.0.insert(key.trim().to_string(), value.to_string());
                Ok(())
            }
            _ => Err(format!("`{pair}` is not KEY=VALUE")),
        }
    }

    /// The value given for a parameter, if any.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The names given values.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// A parameter value as CloudFormation passes it: text, a number or Boolean as written, a
/// list (CommaDelimitedList) joined with commas.
pub(super) fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        // A CommaDelimitedList's value as a list.
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map_or(item.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_file_forms_and_pairs() {
        let cli = TemplateParameters::from_json(
            r#"[{"ParameterKey": "ImagePath", "ParameterValue": "docker.n8n.io/n8nio/n8n"}, {"ParameterKey": "Port", "ParameterValue": 5678}]"#,
        )
        .unwrap();
        assert_eq!(cli.get("ImagePath"), Some("docker.n8n.io/n8nio/n8n"));
        assert_eq!(cli.get("Port"), Some("5678"));
        let mut map = TemplateParameters::from_json(r#"{"A": "x", "L": ["a", "b"]}"#).unwrap();
        assert_eq!(map.get("L"), Some("a,b"));
        map.set("A=y=z").unwrap();
        assert_eq!(map.get("A"), Some("y=z"));
        assert!(map.set("novalue").unwrap_err().contains("KEY=VALUE"));
        assert!(TemplateParameters::from_json(r#"[{"Key": "A"}]"#).is_err());
        assert!(TemplateParameters::from_json("7").is_err());
    }
}
