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
