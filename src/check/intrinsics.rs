//! CloudFormation's intrinsic functions as far as they resolve before deployment: `!Ref` and
//! `${...}` in `!Sub` to a parameter's given value or `Default`, `!Join` of what resolves;
//! everything else (`!GetAtt`, `!ImportValue`, `!If`, a parameter without a `Default`, a
//! `{{resolve:...}}` dynamic reference) kept as written in `!Sub` syntax and marked
//! `ValueOrigin::AtDeployment` (CloudFormation user guide, intrinsic function reference).

use super::parameters::{TemplateParameters, text_of};
use crate::model::ValueOrigin;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Template parameters and their `Default`s, as text. A parameter of an SSM type
/// (`AWS::SSM::Parameter::Value<String>`) has no `Default` here: its `Default`, like any value
/// given for it, names an SSM parameter whose value CloudFormation reads at deployment.
pub(super) struct Parameters {
    defaults: BTreeMap<String, Option<String>>,
    /// Parameters of an SSM type.
    ssm: Vec<String>,
}

impl Parameters {
    pub(super) fn of(template: &Value) -> Parameters {
        let declared = template.get("Parameters").and_then(Value::as_object);
        let ssm = declared
            .into_iter()
            .flatten()
            .filter(|(_, parameter)| {
                parameter
                    .get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|kind| kind.starts_with("AWS::SSM::Parameter::Value<"))
            })
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>();
        let defaults = declared
            .into_iter()
            .flatten()
            .map(|(name, parameter)| {
                // An empty Default is a value left to whoever deploys, not one to judge.
                let default = parameter
                    .get("Default")
                    .filter(|value| {
                        !matches!(value, Value::Null | Value::Object(_))
                            && !value.as_str().is_some_and(|text| text.trim().is_empty())
                    })
                    .map(text_of);
                (name.clone(), default.filter(|_| !ssm.contains(name)))
            })
            .collect();
        Parameters { defaults, ssm }
    }

    /// The parameters the template declares.
    pub(super) fn declared(&self) -> Vec<String> {
        self.defaults.keys().cloned().collect()
    }

    /// A parameter's `Default`, if the template declares it with one.
    fn default_of(&self, name: &str) -> Option<&str> {
        self.defaults
            .get(name)
            .and_then(|default| default.as_deref())
    }

    /// Whether a value given for the parameter (`--parameter`) is its value: not for an SSM
    /// type, where it names the SSM parameter.
    fn takes_value(&self, name: &str) -> bool {
        !self.ssm.iter().any(|ssm| ssm == name)
    }
}

/// A value written with intrinsics, as text in `!Sub` syntax, and where it comes from.
pub(super) struct Rendered {
    pub text: String,
    pub origin: ValueOrigin,
}

impl Rendered {
    pub(super) fn written(text: String) -> Rendered {
        let origin = if text.contains("{{resolve:") {
            ValueOrigin::AtDeployment
        } else {
            ValueOrigin::Written
        };
        Rendered { text, origin }
    }

    fn at_deployment(text: String) -> Rendered {
        Rendered {
            text,
            origin: ValueOrigin::AtDeployment,
        }
    }

    pub(super) fn absorb(&mut self, other: ValueOrigin) {
        self.origin = match (std::mem::take(&mut self.origin), other) {
            (ValueOrigin::AtDeployment, _) | (_, ValueOrigin::AtDeployment) => {
                ValueOrigin::AtDeployment
            }
            (ValueOrigin::ParameterDefault(mut mine), ValueOrigin::ParameterDefault(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
                ValueOrigin::ParameterDefault(mine)
            }
            (ValueOrigin::ParameterDefault(mine), ValueOrigin::Written)
            | (ValueOrigin::Written, ValueOrigin::ParameterDefault(mine)) => {
                ValueOrigin::ParameterDefault(mine)
            }
            (ValueOrigin::Written, ValueOrigin::Written) => ValueOrigin::Written,
        };
    }
}

/// Resolves intrinsics with a template's parameters and the values given for them.
pub(super) struct Resolver<'a> {
    pub parameters: &'a Parameters,
    /// Values given for parameters (`--parameter`): they win over `Default`s.
    pub given: &'a TemplateParameters,
    /// The template's `Conditions`, by name.
    pub conditions: Option<&'a Map<String, Value>>,
}

/// A condition's value where it is known before deployment, and the parameters whose
/// `Default` it rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Decided {
    pub value: Option<bool>,
    pub defaults: Vec<String>,
}

impl Decided {
    fn unknown() -> Decided {
        Decided::default()
    }

    fn known(value: bool, defaults: Vec<String>) -> Decided {
        Decided {
            value: Some(value),
            defaults,
        }
    }
}

/// Conditions that refer to conditions: deeper than this is a loop (CloudFormation rejects
/// those) and stays unknown.
const CONDITION_DEPTH: usize = 16;

impl Resolver<'_> {
    /// A named condition of the template (`Conditions: {IsProd: !Equals [...]}`).
    pub(super) fn condition(&self, name: &str) -> Decided {
        self.condition_at(name, 0)
    }

    fn condition_at(&self, name: &str, depth: usize) -> Decided {
        match self.conditions.and_then(|conditions| conditions.get(name)) {
            Some(expression) if depth < CONDITION_DEPTH => self.decide(expression, depth + 1),
            _ => Decided::unknown(),
        }
    }

    /// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `{"Condition": name}` over values
    /// known before deployment (CloudFormation user guide, condition functions); anything
    /// else is unknown.
    fn decide(&self, expression: &Value, depth: usize) -> Decided {
        if let Some(name) = expression.get("Condition").and_then(Value::as_str) {
            return self.condition_at(name, depth);
        }
        let Some(function) = intrinsic(expression) else {
            return Decided::unknown();
        };
        let arguments: Vec<&Value> = expression[function]
            .as_array()
            .map(|items| items.iter().collect())
            .unwrap_or_default();
        let mut defaults = Vec::new();
        let mut note = |origin: &ValueOrigin| {
            if let ValueOrigin::ParameterDefault(names) = origin {
                defaults.extend(names.iter().cloned());
            }
        };
        match function {
            "Fn::Equals" if arguments.len() == 2 => {
                let (left, right) = (self.render(arguments[0]), self.render(arguments[1]));
                if left.origin == ValueOrigin::AtDeployment
                    || right.origin == ValueOrigin::AtDeployment
                {
                    return Decided::unknown();
                }
                note(&left.origin);
                note(&right.origin);
                Decided::known(left.text == right.text, defaults)
            }
            "Fn::Not" if arguments.len() == 1 => {
                let inner = self.decide(arguments[0], depth + 1);
                Decided {
                    value: inner.value.map(|value| !value),
                    defaults: inner.defaults,
                }
            }
            "Fn::And" | "Fn::Or" => {
                let and = function == "Fn::And";
                let mut unknown = false;
                for argument in arguments {
                    let decided = self.decide(argument, depth + 1);
                    defaults.extend(decided.defaults);
                    match decided.value {
                        // One false decides an And, one true an Or.
                        Some(value) if value != and => return Decided::known(value, defaults),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                if unknown {
                    Decided::unknown()
                } else {
                    Decided::known(and, defaults)
                }
            }
            _ => Decided::unknown(),
        }
    }

    /// The branch `Fn::If [condition, then, else]` takes, where its condition is known.
    pub(super) fn branch<'v>(&self, value: &'v Value) -> Option<(&'v Value, Vec<String>)> {
        let arguments = value.get("Fn::If")?.as_array()?;
        let [name, then, otherwise] = arguments.as_slice() else {
            return None;
        };
        let decided = self.condition(name.as_str()?);
        let chosen = if decided.value? { then } else { otherwise };
        Some((chosen, decided.defaults))
    }

    /// An intrinsic's value as text: parameter defaults substituted, the rest kept as
    /// `${...}`.
    pub(super) fn render(&self, value: &Value) -> Rendered {
        let Some(function) = intrinsic(value) else {
            return match value {
                Value::String(text) => Rendered::written(text.clone()),
                Value::Null => Rendered::written(String::new()),
                other => Rendered::written(other.to_string()),
            };
        };
        let argument = &value[function];
        match function {
            "Ref" => {
                let name = argument.as_str().unwrap_or_default();
                self.reference(name)
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Value::Array(parts) => (
                        parts.first().and_then(Value::as_str).unwrap_or_default(),
                        parts.get(1).and_then(Value::as_object),
                    ),
                    other => (other.as_str().unwrap_or_default(), None),
                };
                self.substitute(text, variables)
            }
            "Fn::Join" => {
                let delimiter = argument.get(0).and_then(Value::as_str).unwrap_or_default();
                let Some(parts) = argument.get(1).and_then(Value::as_array) else {
                    return Rendered::at_deployment("${Fn::Join}".to_string());
                };
                let mut joined = Rendered::written(String::new());
                let mut texts = Vec::new();
                for part in parts {
                    let rendered = self.render(part);
                    joined.absorb(rendered.origin);
                    texts.push(rendered.text);
                }
                joined.text = texts.join(delimiter);
                joined
            }
            "Fn::GetAtt" => {
                let name = match argument {
                    Value::Array(parts) => parts
                        .iter()
                        .map(|part| part.as_str().unwrap_or("?"))
                        .collect::<Vec<_>>()
                        .join("."),
                    other => other.as_str().unwrap_or("?").to_string(),
                };
                Rendered::at_deployment(format!("${{{name}}}"))
            }
            "Fn::If" => match self.branch(value) {
                Some((chosen, defaults)) => {
                    let mut rendered = self.render(chosen);
                    if !defaults.is_empty() {
                        rendered.absorb(ValueOrigin::ParameterDefault(defaults));
                    }
                    rendered
                }
                None => Rendered::at_deployment("${Fn::If}".to_string()),
            },
            other => Rendered::at_deployment(format!("${{{other}}}")),
        }
    }

    /// `!Ref name` or `${name}`: a parameter's default, else known only at deployment.
    fn reference(&self, name: &str) -> Rendered {
        if let Some(given) = self
            .given
            .get(name)
            .filter(|_| self.parameters.takes_value(name))
        {
            return Rendered::written(given.to_string());
        }
        match self.parameters.default_of(name) {
            Some(default) => Rendered {
                text: default.to_string(),
                origin: ValueOrigin::ParameterDefault(vec![name.to_string()]),
            },
            None => Rendered::at_deployment(format!("${{{name}}}")),
        }
    }

    /// `!Sub`: `${Name}` from the variables given, a parameter's default, or kept;
    /// `${!Literal}` is `${Literal}` (CloudFormation user guide, `Fn::Sub`).
    fn substitute(&self, text: &str, variables: Option<&Map<String, Value>>) -> Rendered {
        let mut result = Rendered::written(String::new());
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let rendered = match variables.and_then(|variables| variables.get(name)) {
                    Some(value) => self.render(value),
                    None => self.reference(name),
                };
                result.absorb(rendered.origin);
                out.push_str(&rendered.text);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        let written = Rendered::written(out);
        result.absorb(written.origin);
        result.text = written.text;
        result
    }
}

/// The intrinsic function a value is (`{"Ref": ...}`, `{"Fn::Sub": ...}`), if it is one.
pub(super) fn intrinsic(value: &Value) -> Option<&str> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (name, _) = map.iter().next()?;
    (name == "Ref" || name.starts_with("Fn::")).then_some(name.as_str())
}

pub(super) fn is_no_value(value: &Value) -> bool {
    value.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}
