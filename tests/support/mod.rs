//! Test support: a private `moto_server` (the local AWS API emulator) per test, on a free
//! loopback port, and helpers to seed it the way the demo account looks.
#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A running moto_server, stopped on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto_server from `MOTO_SERVER` or the project venv (`make test` installs it).
    pub fn start() -> Moto {
        let binary = std::env::var("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| repo_path(".venv/bin/moto_server"));
        assert!(
            binary.exists(),
            "moto_server not found at {}: run `make test`, which installs it in .venv",
            binary.display()
        );
        for _attempt in 0..5 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("moto_server starts");
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // lost the port to someone else: try another
                }
                if http(port, "GET", "/moto-api/", &[], "").is_some_and(|(status, _)| status == 200)
                {
                    return Moto {
                        child,
                        port,
                        endpoint: format!("http://127.0.0.1:{port}"),
                    };
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto_server did not become ready");
    }

    /// SDK configuration pointing every client at this emulator.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    /// Environment for a child process (the CLI) that should talk to this emulator only.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_CONFIG_FILE", "/dev/null".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
        ]
    }

    /// Calls an AWS JSON-protocol API directly (used to register task definitions from the
    /// JSON files in `events/task-definitions`, which are RegisterTaskDefinition inputs).
    pub fn json_call(&self, target: &str, body: &str) -> String {
        // moto_server routes by the credential scope's service.
        let service = match target.split_once('.') {
            Some(("secretsmanager", _)) => "secretsmanager",
            Some(("TrentService", _)) => "kms",
            _ => "ecs",
        };
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let (status, response) = http(
            self.port,
            "POST",
            "/",
            &[
                ("X-Amz-Target", target),
                ("Content-Type", "application/x-amz-json-1.1"),
                ("Authorization", &authorization),
            ],
            body,
        )
        .expect("moto answers");
        assert_eq!(status, 200, "{target} failed: {response}");
        response
    }

    /// Calls an AWS Query-protocol API (EC2) directly.
    pub fn query_call(&self, service: &str, params: &str) -> String {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let (status, response) = http(
            self.port,
            "POST",
            "/",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Authorization", &authorization),
            ],
            params,
        )
        .expect("moto answers");
        assert_eq!(status, 200, "{params} failed: {response}");
        response
    }

    /// Creates `bucket` (if needed) and puts `text` at `key`, path-style, as S3 would take it.
    pub fn put_object(&self, bucket: &str, key: &str, text: &str) {
        let authorization = "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
        for (path, body) in [
            (format!("/{bucket}"), ""),
            (format!("/{bucket}/{key}"), text),
        ] {
            let (status, response) = http(
                self.port,
                "PUT",
                &path,
                &[("Authorization", authorization)],
                body,
            )
            .expect("moto answers");
            assert!(
                status == 200 || status == 409,
                "PUT {path} failed: {status} {response}"
            );
        }
    }

    pub fn register_task_definition(&self, file: &str) -> String {
        let body = std::fs::read_to_string(repo_path(file)).expect("task definition file");
        let response = self.json_call(
            "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
            &body,
        );
        let value: serde_json::Value = serde_json::from_str(&response).unwrap();
        value["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A minimal HTTP/1.1 client for the emulator's own API.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Text between `<tag>` and `</tag>` (first occurrence) in an XML answer.
pub fn xml_value(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    xml[start..end].to_string()
}

/// An SNS topic with an SQS queue subscribed to it: what the auditor publishes can be read
/// back as a machine subscriber sees it.
pub struct AlertInbox {
    pub topic_arn: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

/// One alert as delivered to the queue.
#[derive(Debug)]
pub struct DeliveredAlert {
    pub subject: String,
    pub document: serde_json::Value,
    pub attributes: serde_json::Value,
    pub raw: String,
}

impl AlertInbox {
    pub async fn create(config: &SdkConfig, name: &str) -> AlertInbox {
        let sns = aws_sdk_sns::Client::new(config);
        let sqs = aws_sdk_sqs::Client::new(config);
        let topic_arn = sns
            .create_topic()
            .name(name)
            .send()
            .await
            .unwrap()
            .topic_arn()
            .unwrap()
            .to_string();
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{name}-inbox"))
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .unwrap();
        AlertInbox {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// Drains the queue: every alert delivered so far.
    pub async fn drain(&self) -> Vec<DeliveredAlert> {
        let mut alerts = Vec::new();
        loop {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .unwrap();
            let messages = output.messages();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let raw = message.body().unwrap().to_string();
                let envelope: serde_json::Value = serde_json::from_str(&raw).unwrap();
                let document: serde_json::Value =
                    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
                alerts.push(DeliveredAlert {
                    subject: envelope["Subject"].as_str().unwrap_or_default().to_string(),
                    document,
                    attributes: envelope["MessageAttributes"].clone(),
                    raw,
                });
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        alerts
    }
}

/// Task ids the sample events use; [`DemoAccount::event`] puts the emulator's in their place.
pub const SEED_TASK_ID: &str = "4d8c3a3c9f2e4a0b8e7d6c5b4a392817";
pub const FIXED_TASK_ID: &str = "b1c2d3e4f5a60718293a4b5c6d7e8f90";
pub const SEED_ENI: &str = "eni-0a1b2c3d4e5f60718";
pub const FIXED_ENI: &str = "eni-0f1e2d3c4b5a69788";
/// The subnet the sample events' ENI attachments name.
pub const SEED_SUBNET: &str = "subnet-0a1b2c3d4e5f60718";

/// The demo account, as `make demo` seeds it: cluster `coder-cluster`, service `coder-service`
/// (public IP, no load balancer) on the seed's task definition `coder:1`, the fixed one as
/// `coder:2`, and one running task of each with an Elastic IP on its ENI.
pub struct DemoAccount {
    pub seed_task: String,
    pub fixed_task: String,
    pub seed_eni: String,
    pub fixed_eni: String,
    pub seed_ip: String,
    pub fixed_ip: String,
    pub subnet: String,
    pub security_group: String,
}

pub struct RunningTask {
    pub arn: String,
    pub id: String,
    pub eni: String,
    pub public_ip: String,
}

/// The network a Fargate task needs in the emulator (DNS hostnames on, a security group),
/// created through the EC2 Query API (the auditor itself needs no EC2 SDK).
pub async fn network(moto: &Moto) -> (String, String) {
    let vpc = xml_value(
        &moto.query_call(
            "ec2",
            "Action=CreateVpc&CidrBlock=10.0.0.0/16&Version=2016-11-15",
        ),
        "vpcId",
    );
    moto.query_call(
        "ec2",
        &format!(
            "Action=ModifyVpcAttribute&VpcId={vpc}&EnableDnsHostnames.Value=true&Version=2016-11-15"
        ),
    );
    let subnet = xml_value(
        &moto.query_call(
            "ec2",
            &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0/24&Version=2016-11-15"),
        ),
        "subnetId",
    );
    let group = xml_value(
        &moto.query_call(
            "ec2",
            &format!("Action=CreateSecurityGroup&GroupName=coder&GroupDescription=coder&VpcId={vpc}&Version=2016-11-15"),
        ),
        "groupId",
    );
    (subnet, group)
}

pub fn awsvpc(subnet: &str, group: &str) -> aws_sdk_ecs::types::NetworkConfiguration {
    aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .subnets(subnet)
                .security_groups(group)
                .assign_public_ip(aws_sdk_ecs::types::AssignPublicIp::Enabled)
                .build()
                .unwrap(),
        )
        .build()
}

/// Runs a service task in the emulator and gives its ENI an Elastic IP.
#[allow(clippy::too_many_arguments)]
pub async fn run_service_task(
    moto: &Moto,
    config: &SdkConfig,
    cluster: &str,
    service: &str,
    task_definition: &str,
    started_by: &str,
    subnet: &str,
    group: &str,
) -> RunningTask {
    let ecs = aws_sdk_ecs::Client::new(config);
    let output = ecs
        .run_task()
        .cluster(cluster)
        .task_definition(task_definition)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .started_by(started_by)
        .group(format!("service:{service}"))
        .network_configuration(awsvpc(subnet, group))
        .send()
        .await
        .unwrap();
    let task = &output.tasks()[0];
    let arn = task.task_arn().unwrap().to_string();
    let eni = task.attachments()[0]
        .details()
        .iter()
        .find(|detail| detail.name() == Some("networkInterfaceId"))
        .and_then(|detail| detail.value())
        .unwrap()
        .to_string();
    let address = moto.query_call(
        "ec2",
        "Action=AllocateAddress&Domain=vpc&Version=2016-11-15",
    );
    let allocation = xml_value(&address, "allocationId");
    moto.query_call(
        "ec2",
        &format!("Action=AssociateAddress&AllocationId={allocation}&NetworkInterfaceId={eni}&Version=2016-11-15"),
    );
    RunningTask {
        id: arn.rsplit('/').next().unwrap().to_string(),
        arn,
        eni,
        public_ip: xml_value(&address, "publicIp"),
    }
}

pub async fn seed_demo_account(moto: &Moto, config: &SdkConfig) -> DemoAccount {
    let ecs = aws_sdk_ecs::Client::new(config);
    ecs.create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    assert!(
        moto.register_task_definition("events/task-definitions/coder-seed.json")
            .ends_with("coder:1")
    );
    assert!(
        moto.register_task_definition("events/task-definitions/coder-fixed.json")
            .ends_with("coder:2")
    );
    moto.register_task_definition("events/task-definitions/coder-plaintext.json");
    // One misconfigured task definition per application profile and the real-world setups
    // beside them, each its family's revision 1.
    let mut others: Vec<String> = std::fs::read_dir(repo_path("events/task-definitions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| {
            ![
                "coder-seed.json",
                "coder-fixed.json",
                "coder-plaintext.json",
            ]
            .contains(&name.as_str())
        })
        .collect();
    others.sort();
    for name in others {
        moto.register_task_definition(&format!("events/task-definitions/{name}"));
    }
    let (subnet, group) = network(moto).await;
    ecs.create_service()
        .cluster("coder-cluster")
        .service_name("coder-service")
        .task_definition("coder:1")
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(awsvpc(&subnet, &group))
        .send()
        .await
        .unwrap();
    keep_tasks_running(moto);
    let run = |definition: &'static str, started_by: &'static str| {
        let (subnet, group) = (subnet.clone(), group.clone());
        async move {
            run_service_task(
                moto,
                config,
                "coder-cluster",
                "coder-service",
                definition,
                started_by,
                &subnet,
                &group,
            )
            .await
        }
    };
    let seed = run("coder:1", "ecs-svc/1234567890123456789").await;
    let fixed = run("coder:2", "ecs-svc/9876543210987654321").await;
    DemoAccount {
        seed_task: seed.id,
        fixed_task: fixed.id,
        seed_eni: seed.eni,
        fixed_eni: fixed.eni,
        seed_ip: seed.public_ip,
        fixed_ip: fixed.public_ip,
        subnet,
        security_group: group,
    }
}

impl DemoAccount {
    /// A sample event with the emulator's task ids and ENIs in place of the samples' own.
    pub fn event(&self, name: &str) -> Vec<u8> {
        let replacements = [
            (SEED_TASK_ID, self.seed_task.as_str()),
            (FIXED_TASK_ID, self.fixed_task.as_str()),
            (SEED_ENI, self.seed_eni.as_str()),
            (SEED_SUBNET, self.subnet.as_str()),
            (FIXED_ENI, self.fixed_eni.as_str()),
        ];
        rewrite_event(&read_event(name), &replacements)
    }
}

/// Replaces text in an event; CloudWatch Logs payloads are unpacked, edited and packed again.
pub fn rewrite_event(event: &[u8], replacements: &[(&str, &str)]) -> Vec<u8> {
    use base64::Engine;
    use std::io::Read;
    let replace = |mut text: String| {
        for (from, to) in replacements {
            text = text.replace(from, to);
        }
        text
    };
    let mut value: serde_json::Value = serde_json::from_slice(event).unwrap();
    if let Some(data) = value["awslogs"]["data"].as_str() {
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let mut inflated = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut inflated)
            .unwrap();
        value["awslogs"]["data"] = serde_json::Value::String(encode_logs(&replace(inflated)));
        return value.to_string().into_bytes();
    }
    replace(String::from_utf8(event.to_vec()).unwrap()).into_bytes()
}

/// base64(gzip(json)), as CloudWatch Logs delivers a subscription payload.
pub fn encode_logs(json: &str) -> String {
    use base64::Engine;
    use std::io::Write;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(json.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap())
}

pub fn read_event(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("events/{name}"))).expect("event file")
}

/// A local HTTP endpoint standing in for an AWS API the emulator lacks: it answers each request
/// with the next scripted `(status, body)` (the last one again once they run out) and records
/// every request body, to assert what was asked.
pub struct ScriptedEndpoint {
    pub endpoint: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ScriptedEndpoint {
    pub fn start(answers: Vec<(u16, String)>) -> ScriptedEndpoint {
        use std::io::BufRead;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let mut answers = answers.into_iter().peekable();
            let mut last = (500, String::new());
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).to_string());
                if let Some(next) = answers.next() {
                    last = next;
                }
                let (status, text) = &last;
                let response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        ScriptedEndpoint { endpoint, requests }
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// `iam:SimulatePrincipalPolicy`'s answer in AWS's recorded shape (the IAM API reference's
/// example, with this decision, action, resource and matched statements).
pub fn simulation_answer(
    decision: &str,
    action: &str,
    resource: &str,
    matched: &[(&str, u32)],
) -> String {
    let statements: String = matched
        .iter()
        .map(|(policy, line)| {
            format!(
                "<member><SourcePolicyId>{policy}</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType><EndPosition><Column>6</Column><Line>{}</Line></EndPosition><StartPosition><Column>5</Column><Line>{line}</Line></StartPosition></member>",
                line + 8
            )
        })
        .collect();
    format!(
        r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <SimulatePrincipalPolicyResult>
    <IsTruncated>false</IsTruncated>
    <EvaluationResults>
      <member>
        <MatchedStatements>{statements}</MatchedStatements>
        <MissingContextValues/>
        <EvalResourceName>{resource}</EvalResourceName>
        <EvalDecision>{decision}</EvalDecision>
        <EvalDecisionDetails/>
        <EvalActionName>{action}</EvalActionName>
        <ResourceSpecificResults>
          <member><EvalResourceName>{resource}</EvalResourceName><EvalResourceDecision>{decision}</EvalResourceDecision><MatchedStatements>{statements}</MatchedStatements><MissingContextValues/></member>
        </ResourceSpecificResults>
      </member>
    </EvaluationResults>
  </SimulatePrincipalPolicyResult>
  <ResponseMetadata><RequestId>004d7059-4c14-11e5-b121-bd8c7EXAMPLE</RequestId></ResponseMetadata>
</SimulatePrincipalPolicyResponse>"#
    )
}

/// Keeps emulated tasks RUNNING however often they are described (moto advances a task's
/// status on each read otherwise).
pub fn keep_tasks_running(moto: &Moto) {
    let (status, body) = http(
        moto.port,
        "POST",
        "/moto-api/state-manager/set-transition",
        &[],
        r#"{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}"#,
    )
    .unwrap();
    assert!((200..300).contains(&status), "{body}");
}

/// Registers the seed's task definition (`coder:1` in a fresh emulator) with `secret` (an ARN
/// the emulator gave) in place of the sample's, and gives its JSON.
pub fn register_seed_with_secret(moto: &Moto, secret: &str) -> String {
    let definition = std::fs::read_to_string(repo_path("events/task-definitions/coder-seed.json"))
        .unwrap()
        .replace(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:coder-postgres-url-PO7CI7",
            secret,
        );
    moto.json_call(
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
        &definition,
    );
    definition
}

/// An RDS instance the emulator made: its own security group and endpoint host.
pub struct Database {
    pub group: String,
    pub host: String,
}

/// `coder-postgres` (PostgreSQL) in a DB subnet group of two new subnets of the task's VPC,
/// behind a security group of its own that lets nothing in; `create` adds parameters to its
/// `CreateDBInstance` (`&EnableIAMDatabaseAuthentication=true`).
pub fn rds_instance_behind_its_own_group(moto: &Moto, task_subnet: &str, create: &str) -> Database {
    let ec2 = |params: &str| moto.query_call("ec2", &format!("Version=2016-11-15&{params}"));
    let vpc = xml_value(
        &ec2(&format!("Action=DescribeSubnets&SubnetId.1={task_subnet}")),
        "vpcId",
    );
    let subnet = |cidr: &str| {
        xml_value(
            &ec2(&format!(
                "Action=CreateSubnet&VpcId={vpc}&CidrBlock={}",
                cidr.replace('/', "%2F")
            )),
            "subnetId",
        )
    };
    let (a, b) = (subnet("10.0.2.0/24"), subnet("10.0.3.0/24"));
    let database_group = xml_value(
        &ec2(&format!(
            "Action=CreateSecurityGroup&GroupName=coder-db&GroupDescription=db&VpcId={vpc}"
        )),
        "groupId",
    );
    let rds = |params: &str| moto.query_call("rds", &format!("Version=2014-10-31&{params}"));
    rds(&format!(
        "Action=CreateDBSubnetGroup&DBSubnetGroupName=coder&DBSubnetGroupDescription=coder&SubnetIds.SubnetIdentifier.1={a}&SubnetIds.SubnetIdentifier.2={b}"
    ));
    let host = xml_value(
        &rds(&format!(
            "Action=CreateDBInstance&DBInstanceIdentifier=coder-postgres&Engine=postgres&DBInstanceClass=db.t3.micro&MasterUsername=coder&MasterUserPassword=not-a-real-one&AllocatedStorage=20&DBSubnetGroupName=coder&VpcSecurityGroupIds.VpcSecurityGroupId.1={database_group}{create}"
        )),
        "Address",
    );
    Database {
        group: database_group,
        host,
    }
}

/// The auditor as the emulator tests run it: the real AWS adapters on `config`, nothing
/// published, state in memory.
pub fn dry_run_auditor(
    config: &SdkConfig,
) -> ecs_auditor::Auditor<
    ecs_auditor::aws::AwsInventory,
    ecs_auditor::publish::DryRun,
    ecs_auditor::memory::MemoryStore,
> {
    ecs_auditor::Auditor::new(
        ecs_auditor::config::Config::default(),
        ecs_auditor::aws::AwsInventory::new(config, vec![]),
        ecs_auditor::publish::DryRun,
        ecs_auditor::memory::MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap()
}

/// The seed's task definition registered as `coder:1` with `environment` in place of its
/// secrets (and `task_role`, when given), running as a task of `coder-service` in
/// `coder-cluster` in `subnet` behind `group`; and the sample RUNNING event rewritten for it.
pub async fn run_seed_with_environment(
    moto: &Moto,
    config: &SdkConfig,
    environment: serde_json::Value,
    task_role: Option<&str>,
    subnet: &str,
    group: &str,
) -> (RunningTask, Vec<u8>) {
    aws_sdk_ecs::Client::new(config)
        .create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    let mut definition: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("events/task-definitions/coder-seed.json")).unwrap(),
    )
    .unwrap();
    if let Some(role) = task_role {
        definition["taskRoleArn"] = serde_json::Value::String(role.to_string());
    }
    let container = &mut definition["containerDefinitions"][0];
    container["secrets"] = serde_json::json!([]);
    container["environment"] = environment;
    moto.json_call(
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
        &definition.to_string(),
    );
    let task = run_service_task(
        moto,
        config,
        "coder-cluster",
        "coder-service",
        "coder:1",
        "ecs-svc/1234567890123456789",
        subnet,
        group,
    )
    .await;
    let event = rewrite_event(
        &read_event("task-running-seed.json"),
        &[
            (SEED_TASK_ID, task.id.as_str()),
            (SEED_ENI, task.eni.as_str()),
        ],
    );
    (task, event)
}

/// A value as a Query API form carries it (what an asserted request body contains).
pub fn form_encoded(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%5F", "_")
        .replace("%2E", ".")
}
