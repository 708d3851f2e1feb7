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
    let path = rds_path(&doctor, &task, &host).await.unwrap();
    assert_eq!(path.database, "RDS instance coder-postgres");
    assert!(matches!(path.path, Path::Open(_)), "{path:?}");
    let path = rds_path(&doctor, &task, "elsewhere.example.com")
        .await
        .unwrap();
    assert!(matches!(path.path, Path::Undecided(_)), "{path:?}");

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
    use ecs_auditor::aws::AwsInventory;
    use ecs_auditor::config::Config;
    use ecs_auditor::memory::MemoryStore;
    use ecs_auditor::publish::DryRun;
    use ecs_auditor::{Auditor, RuleId};

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let (task_subnet, task_group) = network(&moto).await;
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
            "Action=CreateDBInstance&DBInstanceIdentifier=coder-postgres&Engine=postgres&DBInstanceClass=db.t3.micro&MasterUsername=coder&MasterUserPassword=not-a-real-one&AllocatedStorage=20&DBSubnetGroupName=coder&VpcSecurityGroupIds.VpcSecurityGroupId.1={database_group}"
        )),
        "Address",
    );
    // The seed's service with its URL in plain environment (no password: IAM authentication),
    // registered as coder:1, the revision the sample RUNNING event names.
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name("coder-cluster")
        .send()
        .await
        .unwrap();
    let mut definition: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("events/task-definitions/coder-seed.json")).unwrap(),
    )
    .unwrap();
    let container = &mut definition["containerDefinitions"][0];
    container["secrets"] = serde_json::json!([]);
    container["environment"] = serde_json::json!([
        {"name": "CODER_PG_AUTH", "value": "awsiamrds"},
        {"name": "CODER_PG_CONNECTION_URL", "value": format!("postgres://coder@{host}:5432/coder?sslmode=require")}
    ]);
    moto.json_call(
        "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition",
        &definition.to_string(),
    );
    let task = run_service_task(
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
    let event = rewrite_event(
        &read_event("task-running-seed.json"),
        &[
            (SEED_TASK_ID, task.id.as_str()),
            (SEED_ENI, task.eni.as_str()),
        ],
    );
    let auditor = Auditor::new(
        Config::default(),
        AwsInventory::new(&config, vec![]),
        DryRun,
        MemoryStore::new(),
        Some(REGION.to_string()),
    )
    .unwrap();
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
}
