//! The doctor's IAM read (issue 16): `iam:SimulatePrincipalPolicy`, whether a task's execution
//! role may read its secret, as a signed Query request (IAM API reference,
//! `SimulatePrincipalPolicy`), parsed with `roxmltree`. No `aws-sdk-iam` crate for one call.
//!
//! The emulator does not simulate policies: `tests/doctor_against_emulator.rs` answers this
//! call from a scripted endpoint with responses in AWS's recorded shape.

use super::signed_http::{AttemptError, SignedHttp, with_retries};
use super::xml::{child, text};
use crate::doctor::policy_simulation::{Decision, Simulation, SimulationRequest, Statement};
use crate::model::{ReadError, ReadFailure};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use roxmltree::{Document, Node};

/// Form encoding keeps RFC 3986's unreserved characters as they are.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Asks IAM's policy simulator.
#[derive(Debug)]
pub(crate) struct IamReader {
    http: SignedHttp,
    endpoint: String,
}

impl IamReader {
    /// Built on the inventory's connection (one for every reader).
    pub(crate) fn sharing(sdk: &aws_config::SdkConfig, http: SignedHttp) -> Self {
        let china = http.region().starts_with("cn-");
        let (endpoint, signing_region) = if china {
            ("https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1")
        } else {
            ("https://iam.amazonaws.com", "us-east-1")
        };
        IamReader {
            endpoint: SignedHttp::custom_endpoint(sdk, "IAM")
                .unwrap_or_else(|| endpoint.to_string()),
            http: http.signing_in(signing_region),
        }
    }

    /// One action on one resource, for the request's principal.
    pub(crate) async fn simulate(
        &self,
        request: &SimulationRequest,
    ) -> Result<Simulation, ReadError> {
        let body = form(request);
        let page = with_retries("iam:SimulatePrincipalPolicy", &request.principal, || {
            self.attempt(body.clone())
        })
        .await?;
        simulation(&page).map_err(|problem| ReadError {
            operation: "iam:SimulatePrincipalPolicy",
            resource: request.principal.clone(),
            failure: ReadFailure::Other,
            message: problem,
        })
    }

    async fn attempt(&self, body: String) -> Result<String, AttemptError> {
        self.http.query("iam", &self.endpoint, body, 1 << 20).await
    }
}

/// The request's form body.
fn form(request: &SimulationRequest) -> String {
    let encode = |value: &str| utf8_percent_encode(value, FORM).to_string();
    let mut body = format!(
        "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn={}&ActionNames.member.1={}&ResourceArns.member.1={}",
        encode(&request.principal),
        encode(request.action),
        encode(&request.resource)
    );
    for (index, (key, value)) in request.context.iter().enumerate() {
        let n = index + 1;
        body.push_str(&format!(
            "&ContextEntries.member.{n}.ContextKeyName={}&ContextEntries.member.{n}.ContextKeyType=string&ContextEntries.member.{n}.ContextKeyValues.member.1={}",
            encode(key),
            encode(value)
        ));
    }
    body
}

fn members<'a, 'i>(node: Option<Node<'a, 'i>>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.into_iter()
        .flat_map(|node| node.children().filter(|child| child.has_tag_name("member")))
}

/// The first evaluation result of an answer (one action was asked).
fn simulation(xml: &str) -> Result<Simulation, String> {
    let document =
        Document::parse(xml).map_err(|error| format!("not the IAM answer expected: {error}"))?;
    let result = child(document.root_element(), "SimulatePrincipalPolicyResult")
        .ok_or("no SimulatePrincipalPolicyResult")?;
    let evaluation = members(child(result, "EvaluationResults"))
        .next()
        .ok_or("no EvaluationResults")?;
    let decision = match text(evaluation, "EvalDecision") {
        Some("allowed") => Decision::Allowed,
        Some("explicitDeny") => Decision::ExplicitDeny,
        Some("implicitDeny") => Decision::ImplicitDeny,
        other => return Err(format!("unknown EvalDecision {other:?}")),
    };
    let flag = |detail: &str, name: &str| {
        child(evaluation, detail).and_then(|node| text(node, name)) == Some("false")
    };
    Ok(Simulation {
        action: text(evaluation, "EvalActionName")
            .unwrap_or_default()
            .to_string(),
        resource: text(evaluation, "EvalResourceName")
            .unwrap_or_default()
            .to_string(),
        decision,
        matched: members(child(evaluation, "MatchedStatements"))
            .map(|statement| Statement {
                policy: text(statement, "SourcePolicyId")
                    .unwrap_or_default()
                    .to_string(),
                policy_type: text(statement, "SourcePolicyType")
                    .unwrap_or_default()
                    .to_string(),
                line: child(statement, "StartPosition")
                    .and_then(|position| text(position, "Line"))
                    .and_then(|line| line.parse().ok()),
            })
            .collect(),
        missing_context: members(child(evaluation, "MissingContextValues"))
            .filter_map(|key| key.text())
            .map(|key| key.trim().to_string())
            .collect(),
        denied_by_organizations: flag("OrganizationsDecisionDetail", "AllowedByOrganizations"),
        denied_by_boundary: flag(
            "PermissionsBoundaryDecisionDetail",
            "AllowedByPermissionsBoundary",
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the IAM API reference's `SimulatePrincipalPolicy` example answer.
    pub(crate) const EXPLICIT_DENY: &str = r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>false</IsTruncated>
    <EvaluationResults>
      <member>
        <MatchedStatements>
          <member>
            <SourcePolicyId>coder-ecs-secrets-policy</SourcePolicyId>
            <SourcePolicyType>IAM Policy</SourcePolicyType>
            <EndPosition><Column>6</Column><Line>12</Line></EndPosition>
            <StartPosition><Column>5</Column><Line>4</Line></StartPosition>
          </member>
        </MatchedStatements>
        <MissingContextValues/>
        <EvalResourceName>arn:aws:secretsmanager:us-east-1:132880019009:secret:coder-postgres-url-PO7CI7</EvalResourceName>
        <EvalDecision>explicitDeny</EvalDecision>
        <EvalDecisionDetails/>
        <EvalActionName>secretsmanager:GetSecretValue</EvalActionName>
        <OrganizationsDecisionDetail><AllowedByOrganizations>true</AllowedByOrganizations></OrganizationsDecisionDetail>
      </member>
    </EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>004d7059-4c14-11e5-b121-bd8c7EXAMPLE</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>"#;

    #[test]
    fn an_answer_gives_its_decision_and_deciding_statement() {
        let simulation = simulation(EXPLICIT_DENY).unwrap();
        assert_eq!(simulation.decision, Decision::ExplicitDeny);
        assert_eq!(simulation.action, "secretsmanager:GetSecretValue");
        assert_eq!(
            simulation.matched,
            vec![Statement {
                policy: "coder-ecs-secrets-policy".to_string(),
                policy_type: "IAM Policy".to_string(),
                line: Some(4),
            }]
        );
        assert!(simulation.missing_context.is_empty());
        assert!(!simulation.denied_by_organizations);
        let scp = EXPLICIT_DENY
            .replace("explicitDeny", "implicitDeny")
            .replace(
                "<AllowedByOrganizations>true",
                "<AllowedByOrganizations>false",
            )
            .replace(
                "<MissingContextValues/>",
                "<MissingContextValues><member>aws:SourceVpce</member></MissingContextValues>",
            );
        let simulation = super::simulation(&scp).unwrap();
        assert_eq!(simulation.decision, Decision::ImplicitDeny);
        assert!(simulation.denied_by_organizations);
        assert_eq!(simulation.missing_context, vec!["aws:SourceVpce"]);
        assert!(super::simulation("<x/>").is_err());
    }

    #[test]
    fn the_form_names_the_role_action_resource_and_context() {
        let body = form(&SimulationRequest {
            principal: "arn:aws:iam::132880019009:role/exec".to_string(),
            action: "secretsmanager:GetSecretValue",
            resource: "arn:aws:secretsmanager:us-east-1:132880019009:secret:db-AbCdEf".to_string(),
            context: vec![("aws:RequestedRegion", "us-east-1".to_string())],
        });
        assert!(body.starts_with("Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A132880019009%3Arole%2Fexec&ActionNames.member.1=secretsmanager%3AGetSecretValue&ResourceArns.member.1=arn%3Aaws"), "{body}");
        // No ResourcePolicy: for a role the simulator refuses one without an IAM user as
        // CallerArn (doctor::secrets weighs the secret's policy instead).
        assert!(!body.contains("ResourcePolicy"));
        assert!(body.ends_with("&ContextEntries.member.1.ContextKeyName=aws%3ARequestedRegion&ContextEntries.member.1.ContextKeyType=string&ContextEntries.member.1.ContextKeyValues.member.1=us-east-1"), "{body}");
    }
}
