//! The IAM policy simulator's answers and the verdicts drawn from them, shared by the doctor's
//! checks of who may do what: the execution role reading a secret (`secrets.rs`), the task
//! role connecting to RDS with an IAM token (`database_auth.rs`). The call itself
//! (`iam:SimulatePrincipalPolicy`) is `aws/iam.rs`.

use crate::model::ReadError;
use std::future::Future;

/// How IAM decided one action on one resource (`EvalDecision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

/// A statement the simulator matched (`MatchedStatements`): the policy and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `SourcePolicyId`: an inline policy's name, a managed policy's name or ARN, or
    /// `ResourcePolicy`.
    pub policy: String,
    /// `SourcePolicyType`: `IAM Policy`, `resource`, `user`, `group`, `role`, `aws-managed`...
    pub policy_type: String,
    /// `StartPosition.Line`: the statement's first line in the policy document.
    pub line: Option<u32>,
}

impl Statement {
    pub fn describe(&self) -> String {
        match self.line {
            Some(line) => format!("the statement at line {line} of policy {}", self.policy),
            None => format!("a statement of policy {}", self.policy),
        }
    }
}

/// One result of `iam:SimulatePrincipalPolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
    pub matched: Vec<Statement>,
    /// `MissingContextValues`: condition keys the policies use that were not given.
    pub missing_context: Vec<String>,
    /// `OrganizationsDecisionDetail.AllowedByOrganizations = false`: an SCP denies it.
    pub denied_by_organizations: bool,
    /// `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary = false`.
    pub denied_by_boundary: bool,
}

/// One question for the simulator: may `principal` do `action` on `resource`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationRequest {
    pub principal: String,
    pub action: &'static str,
    pub resource: String,
    /// Condition keys as the real call would carry them: `(key, value)`.
    pub context: Vec<(&'static str, String)>,
}

/// Whether a role may do what was asked: one action on one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    Yes,
    No {
        action: String,
        resource: String,
        /// The deciding statement or cause, for the alert.
        deciding: String,
    },
    /// Could not decide, and why.
    Undecided(String),
}

/// The verdict of one simulation: a deny names its statement (explicit), the SCP or
/// permissions boundary, or says that no statement allows it (implicit).
pub fn simulated(simulation: &Simulation, role: &str) -> Permission {
    match simulation.decision {
        Decision::Allowed => Permission::Yes,
        _ if !simulation.missing_context.is_empty() => Permission::Undecided(format!(
            "the policies for {} on {} test condition keys the simulation was not given: {}",
            simulation.action,
            simulation.resource,
            simulation.missing_context.join(", ")
        )),
        Decision::ExplicitDeny => Permission::No {
            action: simulation.action.clone(),
            resource: simulation.resource.clone(),
            deciding: match simulation.matched.first() {
                Some(statement) => format!("{} denies it", statement.describe()),
                None if simulation.denied_by_organizations => {
                    "a service control policy of the organization denies it".to_string()
                }
                None => "an explicit deny".to_string(),
            },
        },
        Decision::ImplicitDeny => Permission::No {
            action: simulation.action.clone(),
            resource: simulation.resource.clone(),
            deciding: if simulation.denied_by_organizations {
                "a service control policy of the organization does not allow it".to_string()
            } else if simulation.denied_by_boundary {
                format!("the permissions boundary of {role} does not allow it")
            } else {
                format!("no statement in the policies of {role} allows it")
            },
        },
    }
}

/// The policy simulator (`iam:SimulatePrincipalPolicy`), owned here and implemented for AWS in
/// `aws/secrets.rs` (through `aws/iam.rs`).
pub trait PolicySimulator: Send + Sync {
    /// One action on one resource for one principal.
    fn simulate(
        &self,
        request: &SimulationRequest,
    ) -> impl Future<Output = Result<Simulation, ReadError>> + Send;
}

/// Asks the simulator one question; the verdict names what was asked (one action on one
/// resource), whatever the answer echoes.
pub async fn ask(
    simulator: &impl PolicySimulator,
    request: SimulationRequest,
) -> Result<Simulation, ReadError> {
    let mut answer = simulator.simulate(&request).await?;
    answer.action = request.action.to_string();
    answer.resource = request.resource;
    Ok(answer)
}
