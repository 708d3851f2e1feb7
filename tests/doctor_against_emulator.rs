//! The doctor's network path against the emulator's EC2: the seed's VPC (the task and the
//! database in their own security groups), the database's group missing the ingress rule, then
//! fixed (issue 16's first "done when").

mod support;

use ecs_auditor::aws::network::AwsNetwork;
use ecs_auditor::doctor::network::{Blocker, Path};
use ecs_auditor::doctor::read::{Side, database_path, rds_path, task_side};
use support::*;

#[tokio::test]
async fn the_database_group_without_the_ingress_rule_is_named_then_the_path_opens() {
    let moto = Moto::start();
    let ec2 = |params: &str| moto.query_call("ec2", &format!("Version=2016-11-15&{params}"));
    let vpc = xml_value(&ec2("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId");
    let subnet = |cidr: &str| {
        xml_value(
            &ec2(&format!(
                "Action=CreateSubnet&VpcId={vpc}&CidrBlock={}",
                cidr.replace('/', "%2F")
            )),
            "subnetId",
        )
    };
    let (task_subnet, database_subnet) = (subnet("10.0.1.0/24"), subnet("10.0.2.0/24"));
    let group = |name: &str| {
        xml_value(
            &ec2(&format!(
                "Action=CreateSecurityGroup&GroupName={name}&GroupDescription={name}&VpcId={vpc}"
            )),
            "groupId",
        )
    };
    let (task_group, database_group) = (group("coder-task"), group("coder-db"));
    let task = Side {
        name: "task".to_string(),
        address: "10.0.1.25/32".parse().unwrap(),
        subnet_id: task_subnet,
        security_groups: vec![task_group.clone()],
    };
    let database = Side {
        name: "RDS instance coder-postgres".to_string(),
        address: "10.0.2.0/24".parse().unwrap(),
        subnet_id: database_subnet,
        security_groups: vec![database_group.clone()],
    };
    let sdk = moto.sdk_config().await;
    let doctor = AwsNetwork::new(&sdk);

    let path = database_path(&doctor, &task, &database, 5432)
        .await
        .unwrap();
    let Path::Blocked(blocker) = path else {
        panic!("{path:?}")
    };
    assert_eq!(
        blocker,
        Blocker::DatabaseIngress {
            groups: vec![database_group.clone()],
            port: 5432
        }
    );
    assert!(blocker.describe().contains(&database_group));

    // The fix: the database's group allows 5432 from the task's group.
    ec2(&format!(
        "Action=AuthorizeSecurityGroupIngress&GroupId={database_group}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId={task_group}"
    ));
    let path = database_path(&doctor, &task, &database, 5432)
        .await
        .unwrap();
    let Path::Open(why) = path else {
        panic!("{path:?}")
    };
    assert!(
        why.iter()
            .any(|line| line.contains(&format!("inbound from security group {task_group}"))),
        "{why:?}"
    );

    // The same by the database URL's host: the RDS instance in a DB subnet group of two
    // subnets, its group the one just opened.
    let other_subnet = subnet("10.0.3.0/24");
    let rds = |params: &str| moto.query_call("rds", &format!("Version=2014-10-31&{params}"));
    rds(&format!(
        "Action=CreateDBSubnetGroup&DBSubnetGroupName=coder&DBSubnetGroupDescription=coder&SubnetIds.SubnetIdentifier.1={}&SubnetIds.SubnetIdentifier.2={other_subnet}",
        database.subnet_id
    ));
    let created = rds(&format!(
        "Action=CreateDBInstance&DBInstanceIdentifier=coder-postgres&Engine=postgres&DBInstanceClass=db.t3.micro&MasterUsername=coder&MasterUserPassword=not-a-real-one&AllocatedStorage=20&DBSubnetGroupName=coder&VpcSecurityGroupIds.VpcSecurityGroupId.1={database_group}"
    ));
    let host = xml_value(&created, "Address");
    // The task's side from its network interface, as its ENI attachment names it.
    let interface = xml_value(
        &ec2(&format!(
            "Action=CreateNetworkInterface&SubnetId={}&PrivateIpAddress=10.0.1.25&SecurityGroupId.1={task_group}",
            task.subnet_id
        )),
        "networkInterfaceId",
    );
    let from_interface = task_side(&doctor, "task", &interface)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(from_interface, task);
    assert_eq!(
        task_side(&doctor, "task", "eni-0000000000000000")
            .await
            .unwrap(),
        None
    );
    let path = rds_path(&doctor, &task, &host, None).await.unwrap();
    assert_eq!(path.database, "RDS instance coder-postgres");
    assert!(matches!(path.path, Path::Open(_)), "{path:?}");
    let path = rds_path(&doctor, &task, "elsewhere.example.com", None)
        .await
        .unwrap();
    assert!(matches!(path.path, Path::Undecided(_)), "{path:?}");
    // An Aurora cluster, reached at its writer or reader endpoint, in its members' subnets,
    // behind a group of its own that lets nothing in.
    let cluster_group = xml_value(
        &ec2(&format!(
            "Action=CreateSecurityGroup&GroupName=coder-aurora&GroupDescription=aurora&VpcId={vpc}"
        )),
        "groupId",
    );
    let cluster = rds(&format!(
        "Action=CreateDBCluster&DBClusterIdentifier=coder-aurora&Engine=aurora-postgresql&MasterUsername=coder&MasterUserPassword=not-a-real-one&DBSubnetGroupName=coder&VpcSecurityGroupIds.VpcSecurityGroupId.1={cluster_group}"
    ));
    rds(
        "Action=CreateDBInstance&DBInstanceIdentifier=coder-aurora-1&Engine=aurora-postgresql&DBInstanceClass=db.t3.medium&DBClusterIdentifier=coder-aurora&DBSubnetGroupName=coder",
    );
    for endpoint in [
        xml_value(&cluster, "Endpoint"),
        xml_value(&cluster, "ReaderEndpoint"),
    ] {
        let path = rds_path(&doctor, &task, &endpoint, None).await.unwrap();
        assert_eq!(path.database, "Aurora cluster coder-aurora", "{endpoint}");
        assert_eq!(
            path.path,
            Path::Blocked(Blocker::DatabaseIngress {
                groups: vec![cluster_group.clone()],
                port: 5432
            }),
            "{endpoint}"
        );
    }

    // A subnet that does not exist is a read error, never a pass.
    let nowhere = Side {
        subnet_id: "subnet-0000000000000000".to_string(),
        ..task.clone()
    };
    assert!(
        database_path(&doctor, &nowhere, &database, 5432)
            .await
            .is_err()
    );
}

/// Through the whole function: a Coder task whose database URL names an RDS instance its
/// security group does not let the task reach gets `database-unreachable` naming that group.
#[tokio::test]
async fn a_running_task_that_cannot_reach_its_rds_instance_is_told_which_group_blocks_it() {
    use ecs_auditor::RuleId;

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (task_subnet, task_group) = network(&moto).await;
    let Database {
        group: database_group,
        host,
    } = rds_instance_behind_its_own_group(&moto, &task_subnet, "");
    // The seed's service with its URL in plain environment (no password: IAM authentication),
    // registered as coder:1, the revision the sample RUNNING event names.
    let (task, event) = run_seed_with_environment(
        &moto,
        &config,
        serde_json::json!([
            {"name": "CODER_PG_AUTH", "value": "awsiamrds"},
            {"name": "CODER_PG_CONNECTION_URL", "value": format!("postgres://coder@{host}:5432/coder?sslmode=require")}
        ]),
        None,
        &task_subnet,
        &task_group,
    )
    .await;
    let auditor = dry_run_auditor(&config);
    let report = auditor.process(&event).await.unwrap();
    let unreachable: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DatabaseUnreachable)
        .collect();
    assert_eq!(unreachable.len(), 1, "{:?}", report.findings);
    assert!(
        unreachable[0].summary.contains(&database_group)
            && unreachable[0]
                .summary
                .contains("RDS instance coder-postgres"),
        "{}",
        unreachable[0].summary
    );
    assert!(unreachable[0].fix[0].contains(&database_group));

    // CODER_PG_AUTH=awsiamrds, and the emulated instance has IAM authentication off.
    assert!(
        report
            .findings
            .iter()
            .any(|finding| finding.rule == RuleId::DatabaseAuthMisconfigured),
        "{:#?}",
        report.findings
    );

    // Coder's log says it cannot connect: the alert says why, with the same fix first.
    let logs = rewrite_event(
        &read_event("logs-connection-failing.json"),
        &[(FIXED_TASK_ID, task.id.as_str())],
    );
    let report = auditor.process(&logs).await.unwrap();
    let failing: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DatabaseConnectionFailing)
        .collect();
    assert!(!failing.is_empty(), "{:#?}", report.findings);
    let evidence = failing[0].evidence.join("\n");
    assert!(
        evidence.contains("diagnosis (database-unreachable): container coder cannot reach RDS instance coder-postgres on port 5432")
            && evidence.contains(&database_group),
        "{evidence}"
    );
    assert!(
        failing[0].fix[0].starts_with(&format!(
            "Add an inbound rule to security group {database_group}"
        )),
        "{:?}",
        failing[0].fix
    );
}

/// `ecs-auditor doctor` on the seed's account: the URL is inside the secret the seed's task
/// definition names (under the misnamed `CODER_POSTGRES_URL`); with `--read-secrets` the doctor
/// finds the RDS instance it names, fails the network step naming the database's security group,
/// and passes it once the ingress rule is added. Without `--read-secrets` it could not decide.
/// IAM's simulator (which the emulator lacks) answers from a scripted endpoint.
#[tokio::test]
async fn the_doctor_answers_the_seeds_checklist_and_the_network_step_passes_once_fixed() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (task_subnet, task_group) = network(&moto).await;
    let ec2 = |params: &str| moto.query_call("ec2", &format!("Version=2016-11-15&{params}"));
    let Database {
        group: database_group,
        host,
    } = rds_instance_behind_its_own_group(&moto, &task_subnet, "");
    // The seed's secret: JSON with the URL under "url" (its valueFrom ends in :url::).
    let password = "xR7pf7MPgZyIChIXWqwO3srnp0GflgHwG7dMC7gvdHI=";
    let secret_string = serde_json::json!({
        "url": format!("postgresql://coder:{password}@{host}:5432/coder")
    })
    .to_string();
    let created: serde_json::Value = serde_json::from_str(
        &moto.json_call(
            "secretsmanager.CreateSecret",
            &serde_json::json!({"Name": "coder-postgres-url", "SecretString": secret_string})
                .to_string(),
        ),
    )
    .unwrap();
    let secret = created["ARN"].as_str().unwrap().to_string();
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    let definition = register_seed_with_secret(&moto, &secret);
    ecs.create_service()
        .cluster("coder-cluster")
        .service_name("coder-service")
        .task_definition("coder:1")
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(awsvpc(&task_subnet, &task_group))
        .send()
        .await
        .unwrap();
    keep_tasks_running(&moto);
    run_service_task(
        &moto,
        &config,
        "coder-cluster",
        "coder-service",
        "coder:1",
        "ecs-svc/1234567890123456789",
        &task_subnet,
        &task_group,
    )
    .await;
    let allowing = ScriptedEndpoint::start(vec![(
        200,
        simulation_answer("allowed", "secretsmanager:GetSecretValue", &secret, &[]),
    )]);
    let denying = ScriptedEndpoint::start(vec![(
        200,
        simulation_answer(
            "explicitDeny",
            "secretsmanager:GetSecretValue",
            &secret,
            &[("coder-ecs-secrets-policy", 4)],
        ),
    )]);
    let iam = std::cell::RefCell::new(allowing.endpoint.clone());
    let doctor_on = |service: &str, read_secrets: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-auditor"));
        command
            .args([
                "doctor",
                "--cluster",
                "coder-cluster",
                "--service",
                service,
                "--format",
                "json",
            ])
            .envs(moto.env())
            .env("AWS_ENDPOINT_URL_IAM", iam.borrow().as_str())
            .env_remove("READ_SECRET_VALUES")
            .env_remove("RUST_LOG");
        if read_secrets {
            command.arg("--read-secrets");
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        for text in [&stdout, &stderr] {
            assert!(!text.contains(password), "the password leaked: {text}");
        }
        let report: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|error| panic!("{error}: {stdout}\n{stderr}"));
        (output.status.code(), report)
    };
    let doctor = |read_secrets: bool| doctor_on("coder-service", read_secrets);
    let step = |report: &serde_json::Value, index: usize| report["steps"][index].clone();

    // Without the secret's value the database is unknown: no verdict on the path.
    let (code, report) = doctor(false);
    assert_eq!(step(&report, 1)["status"], "could-not-decide", "{report:#}");
    assert!(
        step(&report, 1)["evidence"][0]
            .as_str()
            .unwrap()
            .contains("--read-secrets"),
        "{report:#}"
    );
    // ... but every RDS instance of the task's VPC is checked instead, and named.
    let evidence = step(&report, 1)["evidence"].to_string();
    assert!(
        evidence.contains("every RDS instance, Aurora cluster and RDS Proxy in the task's VPC")
            && evidence.contains(&format!(
                "RDS instance coder-postgres on port 5432: blocked: the database's security group {database_group}"
            )),
        "{evidence}"
    );
    // The seed's own fault: Coder never reads CODER_POSTGRES_URL (exit 1: a step failed).
    assert_eq!(code, Some(1));
    assert_eq!(step(&report, 0)["status"], "fail", "{report:#}");
    assert!(
        step(&report, 0)["evidence"][0]
            .as_str()
            .unwrap()
            .contains("CODER_POSTGRES_URL")
    );
    // The execution role may read the secret (the scripted simulator allows it), and the
    // secret exists with AWSCURRENT.
    assert_eq!(step(&report, 2)["status"], "pass", "{report:#}");
    assert_eq!(step(&report, 3)["status"], "pass", "{report:#}");

    // The execution role denied by a statement (the scripted simulator): step 3 names the
    // secret and the statement, with the fix.
    *iam.borrow_mut() = denying.endpoint.clone();
    let (code, report) = doctor(false);
    assert_eq!(code, Some(1));
    assert_eq!(step(&report, 2)["status"], "fail", "{report:#}");
    let evidence = step(&report, 2)["evidence"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        evidence.contains(&format!("the execution role may not read secret {secret}"))
            && evidence
                .contains("the statement at line 4 of policy coder-ecs-secrets-policy denies it"),
        "{evidence}"
    );
    *iam.borrow_mut() = allowing.endpoint.clone();

    // With it, the RDS instance is found and its group named.
    let (_, report) = doctor(true);
    assert_eq!(step(&report, 1)["status"], "fail", "{report:#}");
    let evidence = step(&report, 1)["evidence"].to_string();
    assert!(
        evidence.contains(&database_group) && evidence.contains("coder-postgres"),
        "{evidence}"
    );
    assert!(
        step(&report, 1)["fix"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "Add an inbound rule to security group {database_group}"
            ))
    );

    // The fix the alert gives: TCP 5432 from the task's group. Then the step passes.
    ec2(&format!(
        "Action=AuthorizeSecurityGroupIngress&GroupId={database_group}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId={task_group}"
    ));
    let (_, report) = doctor(true);
    assert_eq!(step(&report, 1)["status"], "pass", "{report:#}");
    assert!(
        step(&report, 1)["evidence"][0]
            .as_str()
            .unwrap()
            .contains("reaches RDS instance coder-postgres on port 5432")
    );

    // Faults a new user's trial found, each a service of its own on the same database (now
    // reachable on 5432):
    let seed: serde_json::Value = serde_json::from_str(&definition).unwrap();
    let deploy = |service: &'static str, container: serde_json::Value| {
        let mut definition = seed.clone();
        definition["family"] = service.into();
        definition["containerDefinitions"] = serde_json::json!([container]);
        moto.json_call(
            "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
            &definition.to_string(),
        );
        let (ecs, config) = (ecs.clone(), config.clone());
        let (task_subnet, task_group) = (task_subnet.clone(), task_group.clone());
        let moto = &moto;
        async move {
            ecs.create_service()
                .cluster("coder-cluster")
                .service_name(service)
                .task_definition(format!("{service}:1"))
                .desired_count(1)
                .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
                .network_configuration(awsvpc(&task_subnet, &task_group))
                .send()
                .await
                .unwrap();
            run_service_task(
                moto,
                &config,
                "coder-cluster",
                service,
                &format!("{service}:1"),
                "ecs-svc/1",
                &task_subnet,
                &task_group,
            )
            .await;
        }
    };
    // Grafana's host in plain environment with a port the database does not listen on, the
    // service named by its ARN: the path is checked from the host setting, on that port.
    deploy(
        "grafana",
        serde_json::json!({
            "name": "grafana", "image": "grafana/grafana:11.2.0", "essential": true, "memory": 512,
            "environment": [
                {"name": "GF_DATABASE_TYPE", "value": "postgres"},
                {"name": "GF_DATABASE_HOST", "value": format!("{host}:5433")},
                {"name": "GF_DATABASE_NAME", "value": "grafana"},
                {"name": "GF_DATABASE_USER", "value": "grafana"}
            ],
            "secrets": [{"name": "GF_DATABASE_PASSWORD", "valueFrom": format!("{secret}:url::")}]
        }),
    )
    .await;
    let (code, report) = doctor_on(
        "arn:aws:ecs:us-east-1:123456789012:service/coder-cluster/grafana",
        false,
    );
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(step(&report, 1)["status"], "fail", "{report:#}");
    assert!(
        step(&report, 1)["evidence"]
            .to_string()
            .contains("names port 5433, but the database listens on 5432"),
        "{report:#}"
    );
    // No URL to judge: Grafana's database is set by separate settings.
    assert_eq!(step(&report, 4)["status"], "pass", "{report:#}");
    // A reference to a JSON key the secret lacks: ECS would fail the start; with the value
    // read, step 4 says so.
    deploy(
        "keyless",
        serde_json::json!({
            "name": "coder", "image": "ghcr.io/coder/coder:v2.18.0", "essential": true, "memory": 512,
            "secrets": [{"name": "CODER_PG_CONNECTION_URL", "valueFrom": format!("{secret}:uri::")}]
        }),
    )
    .await;
    let (_, report) = doctor_on("keyless", true);
    assert_eq!(step(&report, 3)["status"], "fail", "{report:#}");
    assert!(
        step(&report, 3)["evidence"][0]
            .as_str()
            .unwrap()
            .contains("holds no JSON key uri"),
        "{report:#}"
    );
    // The IAM step does not hang on the value: it still passes.
    assert_eq!(step(&report, 2)["status"], "pass", "{report:#}");
}

/// A task that failed to start because it could not reach Secrets Manager (the sample's
/// `context deadline exceeded`) is told why: its subnet's route table has no way out and the VPC
/// no endpoint; then a route to a NAT gateway placed in that same private subnet (it routes to
/// itself: no way out); once the NAT gateway sits in a public subnet, the path is there.
#[tokio::test]
async fn a_start_that_could_not_reach_secrets_manager_is_told_its_subnet_has_no_way_out() {
    use ecs_auditor::RuleId;

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let account = seed_demo_account(&moto, &config).await;
    let failed_start = || async {
        let auditor = dry_run_auditor(&config);
        let report = auditor
            .process(&account.event("task-stopped-failed-to-start.json"))
            .await
            .unwrap();
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        assert_eq!(report.findings[0].rule, RuleId::TaskFailedToStart);
        report.findings[0].clone()
    };
    let finding = failed_start().await;
    let evidence = finding.evidence.join("\n");
    assert!(
        evidence.contains("diagnosis: secretsmanager is not reachable: route table ")
            && evidence.contains(&format!(
                "of subnet {} has no route to the internet",
                account.subnet
            ))
            && evidence.contains("the VPC has no endpoint for secretsmanager"),
        "{evidence}"
    );
    assert!(
        finding.fix[0].starts_with(&format!(
            "Give subnet {} a way out: a 0.0.0.0/0 route to a NAT gateway",
            account.subnet
        )),
        "{:?}",
        finding.fix
    );

    // A NAT gateway in the task's own (private) subnet: the classic mistake.
    let ec2 = |params: &str| moto.query_call("ec2", &format!("Version=2016-11-15&{params}"));
    let vpc = xml_value(
        &ec2(&format!(
            "Action=DescribeSubnets&SubnetId.1={}",
            account.subnet
        )),
        "vpcId",
    );
    let table = xml_value(
        &ec2(&format!(
            "Action=DescribeRouteTables&Filter.1.Name=vpc-id&Filter.1.Value.1={vpc}"
        )),
        "routeTableId",
    );
    // A public NAT gateway with an Elastic IP of its own, in `subnet`.
    let nat_in = |subnet: &str| {
        let allocation = xml_value(&ec2("Action=AllocateAddress&Domain=vpc"), "allocationId");
        xml_value(
            &ec2(&format!(
                "Action=CreateNatGateway&SubnetId={subnet}&AllocationId={allocation}"
            )),
            "natGatewayId",
        )
    };
    let nat = nat_in(&account.subnet);
    ec2(&format!(
        "Action=CreateRoute&RouteTableId={table}&DestinationCidrBlock=0.0.0.0%2F0&NatGatewayId={nat}"
    ));
    let finding = failed_start().await;
    let evidence = finding.evidence.join("\n");
    assert!(
        evidence.contains(&format!(
            "diagnosis: secretsmanager is not reachable: subnet {} routes to NAT gateway {nat}, which sits in subnet {}, whose route table sends 0.0.0.0/0 to NAT gateway {nat}, not to an internet gateway",
            account.subnet, account.subnet
        )),
        "{evidence}"
    );
    assert!(
        finding.fix[0].starts_with(&format!("Recreate NAT gateway {nat} in a public subnet")),
        "{:?}",
        finding.fix
    );

    // The NAT gateway moved to a public subnet (its own route table sends 0.0.0.0/0 to the
    // internet gateway): the path is there (the failure was something else: DNS, an
    // endpoint's group, an outage), and the alert no longer claims it is not.
    let public = xml_value(
        &ec2(&format!(
            "Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.200.0%2F24"
        )),
        "subnetId",
    );
    let gateway = xml_value(&ec2("Action=CreateInternetGateway"), "internetGatewayId");
    ec2(&format!(
        "Action=AttachInternetGateway&InternetGatewayId={gateway}&VpcId={vpc}"
    ));
    let public_table = xml_value(
        &ec2(&format!("Action=CreateRouteTable&VpcId={vpc}")),
        "routeTableId",
    );
    ec2(&format!(
        "Action=CreateRoute&RouteTableId={public_table}&DestinationCidrBlock=0.0.0.0%2F0&GatewayId={gateway}"
    ));
    ec2(&format!(
        "Action=AssociateRouteTable&RouteTableId={public_table}&SubnetId={public}"
    ));
    let nat = nat_in(&public);
    ec2(&format!(
        "Action=ReplaceRoute&RouteTableId={table}&DestinationCidrBlock=0.0.0.0%2F0&NatGatewayId={nat}"
    ));
    let finding = failed_start().await;
    let evidence = finding.evidence.join("\n");
    assert!(
        evidence.contains(&format!(
            "diagnosis: secretsmanager: a route through NAT gateway {nat}"
        )) && evidence.contains(&format!("routes to internet gateway {gateway}")),
        "{evidence}"
    );
    assert!(
        !finding.fix[0].starts_with("Give subnet"),
        "{:?}",
        finding.fix
    );
}

/// EFS automatic backups as the emulator answers `DescribeBackupPolicy`: a file system created
/// with them is on, one created without them has no policy (off).
#[tokio::test]
async fn an_efs_file_system_without_a_backup_policy_has_backups_off() {
    use ecs_auditor::aws::AwsInventory;
    use ecs_auditor::inventory::Inventory;

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let create = |token: &str, backup: bool| {
        let (status, body) = http(
            moto.port,
            "POST",
            "/2015-02-01/file-systems",
            &[
                ("Content-Type", "application/json"),
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/elasticfilesystem/aws4_request, SignedHeaders=host, Signature=0",
                ),
            ],
            &serde_json::json!({"CreationToken": token, "Backup": backup}).to_string(),
        )
        .expect("moto answers");
        assert!((200..300).contains(&status), "{body}");
        let created: serde_json::Value = serde_json::from_str(&body).unwrap();
        created["FileSystemId"].as_str().unwrap().to_string()
    };
    let (backed_up, bare) = (create("backed-up", true), create("bare", false));
    let inventory = AwsInventory::new(&config, vec![]);
    assert_eq!(
        inventory.file_system_backup(&backed_up).await.unwrap(),
        Some(true)
    );
    assert_eq!(
        inventory.file_system_backup(&bare).await.unwrap(),
        Some(false)
    );
    assert!(inventory.file_system_backup("fs-00000000").await.is_err());
}

/// An RDS Proxy in front of the seed's database: the path to the proxy is the proxy's groups
/// and subnets, and beyond it the health RDS reports for its target. (The emulator reports a
/// registered target AVAILABLE whatever the database's group says, and spends its one
/// REGISTERING answer on `RegisterDBProxyTargets`'s own reply: the other states are
/// unit-tested in `doctor/read.rs`.)
#[tokio::test]
async fn through_an_rds_proxy_the_path_is_the_proxys_then_its_targets_health() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let (task_subnet, task_group) = network(&moto).await;
    rds_instance_behind_its_own_group(&moto, &task_subnet, "");
    let ec2 = |params: &str| moto.query_call("ec2", &format!("Version=2016-11-15&{params}"));
    let vpc = xml_value(
        &ec2(&format!("Action=DescribeSubnets&SubnetId.1={task_subnet}")),
        "vpcId",
    );
    let proxy_group = xml_value(
        &ec2(&format!(
            "Action=CreateSecurityGroup&GroupName=coder-proxy&GroupDescription=proxy&VpcId={vpc}"
        )),
        "groupId",
    );
    let rds = |params: &str| moto.query_call("rds", &format!("Version=2014-10-31&{params}"));
    let created = rds(&format!(
        "Action=CreateDBProxy&DBProxyName=coder-proxy&EngineFamily=POSTGRESQL&RoleArn=arn%3Aaws%3Aiam%3A%3A{ACCOUNT}%3Arole%2Fproxy&Auth.member.1.AuthScheme=SECRETS&Auth.member.1.IAMAuth=DISABLED&Auth.member.1.SecretArn=arn%3Aaws%3Asecretsmanager%3A{REGION}%3A{ACCOUNT}%3Asecret%3Adb-AbCdEf&VpcSubnetIds.member.1={task_subnet}&VpcSecurityGroupIds.member.1={proxy_group}"
    ));
    let host = xml_value(&created, "Endpoint");
    let task = Side {
        name: "task".to_string(),
        address: "10.0.1.25/32".parse().unwrap(),
        subnet_id: task_subnet.clone(),
        security_groups: vec![task_group.clone()],
    };
    let doctor = AwsNetwork::new(&sdk);
    let path = || async { rds_path(&doctor, &task, &host, None).await.unwrap() };

    // The proxy's group lets nothing in: it is named.
    let blocked = path().await;
    assert_eq!(blocked.database, "RDS Proxy coder-proxy");
    assert_eq!(
        blocked.path,
        Path::Blocked(Blocker::DatabaseIngress {
            groups: vec![proxy_group.clone()],
            port: 5432
        })
    );
    ec2(&format!(
        "Action=AuthorizeSecurityGroupIngress&GroupId={proxy_group}&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=5432&IpPermissions.1.ToPort=5432&IpPermissions.1.Groups.1.GroupId={task_group}"
    ));
    // Open to the proxy, but it has no target.
    let Path::Blocked(blocker) = path().await.path else {
        panic!("a proxy without targets leads nowhere")
    };
    assert_eq!(
        blocker.describe(),
        "RDS Proxy coder-proxy has no database registered as its target"
    );
    rds(
        "Action=RegisterDBProxyTargets&DBProxyName=coder-proxy&DBInstanceIdentifiers.member.1=coder-postgres",
    );
    let Path::Open(why) = path().await.path else {
        panic!("an available target is a path")
    };
    assert_eq!(
        why.last().map(String::as_str),
        Some("RDS Proxy coder-proxy reports its targets available (coder-postgres)")
    );
}
