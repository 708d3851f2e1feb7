//! The EC2 reads of the doctor's network path (issue 16): security groups, network ACLs,
//! route tables and subnets, as the EC2 Query API answers them (`DescribeSecurityGroups`,
//! `DescribeNetworkAcls`, `DescribeRouteTables`, `DescribeSubnets`; EC2 API reference,
//! response elements). Parsed with `roxmltree` into [`crate::doctor::network`]'s types.
//!
//! The requests are `ec2.rs`'s (`Ec2Reader`), signed like its other read.

use super::xml::{child, text};
use crate::doctor::facts::{
    AclAssociation, NatGateway, NetworkInterface, RouteTable, Subnet, VpcEndpoint,
};
use crate::doctor::network::{
    AclEntry, NetworkAcl, Peer, Protocol, Route, SecurityGroup, SecurityGroupRule,
};
use roxmltree::{Document, Node};

/// The `item`s of a set element (`<securityGroupInfo><item>...`).
fn items<'a, 'i>(node: Node<'a, 'i>, set: &str) -> Vec<Node<'a, 'i>> {
    child(node, set)
        .map(|set| {
            set.children()
                .filter(|item| item.has_tag_name("item"))
                .collect()
        })
        .unwrap_or_default()
}

fn parse(xml: &str) -> Result<Document<'_>, String> {
    Document::parse(xml).map_err(|error| format!("not the EC2 answer expected: {error}"))
}

fn port(node: Node, name: &str) -> Option<u16> {
    // ICMP uses -1 here; a TCP rule has real ports.
    text(node, name).and_then(|value| value.parse::<u16>().ok())
}

/// `DescribeSecurityGroups`: each group with its rules, one rule per peer.
pub(crate) fn security_groups(xml: &str) -> Result<Vec<SecurityGroup>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "securityGroupInfo")
        .into_iter()
        .map(|group| SecurityGroup {
            id: text(group, "groupId").unwrap_or_default().to_string(),
            ingress: rules(group, "ipPermissions"),
            egress: rules(group, "ipPermissionsEgress"),
        })
        .collect())
}

fn rules(group: Node, set: &str) -> Vec<SecurityGroupRule> {
    let mut rules = Vec::new();
    for permission in items(group, set) {
        let protocol = Protocol::parse(text(permission, "ipProtocol").unwrap_or("-1"));
        let ports = match (port(permission, "fromPort"), port(permission, "toPort")) {
            (Some(from), Some(to)) if protocol != Protocol::All => Some((from, to)),
            _ => None,
        };
        let mut peers: Vec<Peer> = Vec::new();
        for range in items(permission, "ipRanges") {
            if let Some(cidr) = text(range, "cidrIp").and_then(|cidr| cidr.parse().ok()) {
                peers.push(Peer::Cidr(cidr));
            }
        }
        for pair in items(permission, "groups") {
            if let Some(id) = text(pair, "groupId") {
                peers.push(Peer::Group(id.to_string()));
            }
        }
        for list in items(permission, "prefixListIds") {
            if let Some(id) = text(list, "prefixListId") {
                peers.push(Peer::PrefixList(id.to_string()));
            }
        }
        rules.extend(peers.into_iter().map(|peer| SecurityGroupRule {
            protocol: protocol.clone(),
            ports,
            peer,
        }));
    }
    rules
}

/// `DescribeNetworkAcls`: each ACL with its IPv4 entries and its subnets.
pub(crate) fn network_acls(xml: &str) -> Result<Vec<AclAssociation>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "networkAclSet")
        .into_iter()
        .map(|acl| AclAssociation {
            acl: NetworkAcl {
                id: text(acl, "networkAclId").unwrap_or_default().to_string(),
                entries: items(acl, "entrySet")
                    .into_iter()
                    .filter_map(|entry| {
                        Some(AclEntry {
                            rule_number: text(entry, "ruleNumber")?.parse().ok()?,
                            egress: text(entry, "egress") == Some("true"),
                            protocol: Protocol::parse(text(entry, "protocol").unwrap_or("-1")),
                            ports: child(entry, "portRange")
                                .and_then(|range| Some((port(range, "from")?, port(range, "to")?))),
                            // IPv6 entries (`ipv6CidrBlock`) do not concern an IPv4 path.
                            cidr: text(entry, "cidrBlock")?.parse().ok()?,
                            allow: text(entry, "ruleAction") == Some("allow"),
                        })
                    })
                    .collect(),
            },
            subnets: items(acl, "associationSet")
                .into_iter()
                .filter_map(|association| text(association, "subnetId").map(str::to_string))
                .collect(),
            default: text(acl, "default") == Some("true"),
            vpc_id: text(acl, "vpcId").unwrap_or_default().to_string(),
        })
        .collect())
}

/// `DescribeRouteTables`: each table's IPv4 routes (target: the gateway, peering connection,
/// transit gateway, NAT gateway or interface), subnets, and whether it is the main table.
pub(crate) fn route_tables(xml: &str) -> Result<Vec<RouteTable>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "routeTableSet")
        .into_iter()
        .map(|table| {
            let associations = items(table, "associationSet");
            RouteTable {
                id: text(table, "routeTableId").unwrap_or_default().to_string(),
                vpc_id: text(table, "vpcId").unwrap_or_default().to_string(),
                routes: items(table, "routeSet")
                    .into_iter()
                    // A blackhole route (its target deleted) carries nothing.
                    .filter(|route| text(*route, "state") != Some("blackhole"))
                    .filter_map(|route| {
                        let destination = text(route, "destinationCidrBlock")?.parse().ok()?;
                        let target = [
                            "gatewayId",
                            "vpcPeeringConnectionId",
                            "transitGatewayId",
                            "natGatewayId",
                            "networkInterfaceId",
                            "instanceId",
                        ]
                        .iter()
                        .find_map(|name| text(route, name))?;
                        Some(Route {
                            destination,
                            target: target.to_string(),
                        })
                    })
                    .collect(),
                subnets: associations
                    .iter()
                    .filter_map(|association| text(*association, "subnetId").map(str::to_string))
                    .collect(),
                main: associations
                    .iter()
                    .any(|association| text(*association, "main") == Some("true")),
            }
        })
        .collect())
}

/// `DescribeSubnets`: each subnet's VPC and IPv4 range.
pub(crate) fn subnets(xml: &str) -> Result<Vec<Subnet>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "subnetSet")
        .into_iter()
        .filter_map(|subnet| {
            Some(Subnet {
                id: text(subnet, "subnetId")?.to_string(),
                vpc_id: text(subnet, "vpcId").unwrap_or_default().to_string(),
                cidr: text(subnet, "cidrBlock")?.parse().ok()?,
            })
        })
        .collect())
}

/// `DescribeNatGateways`: each gateway's subnet, VPC, state and connectivity type (absent in
/// older answers: public, the only kind there was).
pub(crate) fn nat_gateways(xml: &str) -> Result<Vec<NatGateway>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "natGatewaySet")
        .into_iter()
        .map(|gateway| NatGateway {
            id: text(gateway, "natGatewayId")
                .unwrap_or_default()
                .to_string(),
            subnet_id: text(gateway, "subnetId").unwrap_or_default().to_string(),
            vpc_id: text(gateway, "vpcId").unwrap_or_default().to_string(),
            state: text(gateway, "state")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            public: text(gateway, "connectivityType") != Some("private"),
        })
        .collect())
}

/// `DescribeVpcEndpoints`: each endpoint's service, type, state, route tables, private DNS.
pub(crate) fn vpc_endpoints(xml: &str) -> Result<Vec<VpcEndpoint>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "vpcEndpointSet")
        .into_iter()
        .map(|endpoint| VpcEndpoint {
            id: text(endpoint, "vpcEndpointId")
                .unwrap_or_default()
                .to_string(),
            service_name: text(endpoint, "serviceName")
                .unwrap_or_default()
                .to_string(),
            kind: text(endpoint, "vpcEndpointType")
                .unwrap_or_default()
                .to_string(),
            state: text(endpoint, "state")
                .unwrap_or_default()
                .to_ascii_lowercase(),
            route_tables: items(endpoint, "routeTableIdSet")
                .into_iter()
                .filter_map(|item| item.text())
                .map(|id| id.trim().to_string())
                .collect(),
            private_dns: text(endpoint, "privateDnsEnabled") == Some("true"),
            security_groups: items(endpoint, "groupSet")
                .into_iter()
                .filter_map(|group| text(group, "groupId"))
                .map(str::to_string)
                .collect(),
        })
        .collect())
}

/// `DescribeNetworkInterfaces`: each interface's subnet, primary private address and groups.
pub(crate) fn network_interfaces(xml: &str) -> Result<Vec<NetworkInterface>, String> {
    let document = parse(xml)?;
    let root = document.root_element();
    Ok(items(root, "networkInterfaceSet")
        .into_iter()
        .map(|interface| NetworkInterface {
            id: text(interface, "networkInterfaceId")
                .unwrap_or_default()
                .to_string(),
            subnet_id: text(interface, "subnetId").unwrap_or_default().to_string(),
            private_ip: text(interface, "privateIpAddress")
                .unwrap_or_default()
                .to_string(),
            security_groups: items(interface, "groupSet")
                .into_iter()
                .filter_map(|group| text(group, "groupId").map(str::to_string))
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::facts::{acl_of, table_of};

    // Shapes as the EC2 API reference's examples answer (DescribeSecurityGroups,
    // DescribeNetworkAcls, DescribeRouteTables, DescribeSubnets), trimmed to what is read.
    const GROUPS: &str = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-coder-db</groupId>
      <groupName>coder-db</groupName>
      <vpcId>vpc-1</vpcId>
      <ipPermissions>
        <item>
          <ipProtocol>tcp</ipProtocol>
          <fromPort>5432</fromPort>
          <toPort>5432</toPort>
          <groups>
            <item><userId>123456789012</userId><groupId>sg-coder-task</groupId></item>
          </groups>
          <ipRanges>
            <item><cidrIp>10.0.1.0/24</cidrIp></item>
          </ipRanges>
          <prefixListIds/>
        </item>
        <item>
          <ipProtocol>icmp</ipProtocol>
          <fromPort>-1</fromPort>
          <toPort>-1</toPort>
          <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>
        </item>
      </ipPermissions>
      <ipPermissionsEgress>
        <item>
          <ipProtocol>-1</ipProtocol>
          <groups/>
          <ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>
          <prefixListIds><item><prefixListId>pl-0123</prefixListId></item></prefixListIds>
        </item>
      </ipPermissionsEgress>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#;

    #[test]
    fn security_groups_one_rule_per_peer() {
        let groups = security_groups(GROUPS).unwrap();
        assert_eq!(groups.len(), 1);
        let group = &groups[0];
        assert_eq!(group.id, "sg-coder-db");
        assert_eq!(group.ingress.len(), 3);
        assert_eq!(
            group.ingress[0],
            SecurityGroupRule {
                protocol: Protocol::Tcp,
                ports: Some((5432, 5432)),
                peer: Peer::Cidr("10.0.1.0/24".parse().unwrap()),
            }
        );
        assert_eq!(
            group.ingress[1].peer,
            Peer::Group("sg-coder-task".to_string())
        );
        assert_eq!(
            group.ingress[2].protocol,
            Protocol::Other("icmp".to_string())
        );
        assert_eq!(group.egress[0].ports, None);
        assert_eq!(
            group.egress[1].peer,
            Peer::PrefixList("pl-0123".to_string())
        );
        assert!(security_groups("not xml").is_err());
    }

    #[test]
    fn a_network_interface_its_subnet_address_and_groups() {
        let interfaces = network_interfaces(r#"<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <networkInterfaceSet><item>
    <networkInterfaceId>eni-1</networkInterfaceId><subnetId>subnet-task</subnetId><vpcId>vpc-1</vpcId>
    <privateIpAddress>10.0.1.25</privateIpAddress>
    <groupSet><item><groupId>sg-coder-task</groupId><groupName>coder-task</groupName></item></groupSet>
    <privateIpAddressesSet><item><privateIpAddress>10.0.1.25</privateIpAddress><primary>true</primary></item></privateIpAddressesSet>
  </item></networkInterfaceSet>
</DescribeNetworkInterfacesResponse>"#).unwrap();
        assert_eq!(
            interfaces,
            [NetworkInterface {
                id: "eni-1".to_string(),
                subnet_id: "subnet-task".to_string(),
                private_ip: "10.0.1.25".to_string(),
                security_groups: vec!["sg-coder-task".to_string()],
            }]
        );
    }

    #[test]
    fn acls_routes_and_subnets() {
        let acls = network_acls(r#"<DescribeNetworkAclsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <networkAclSet>
    <item>
      <networkAclId>acl-db</networkAclId>
      <vpcId>vpc-1</vpcId>
      <default>false</default>
      <entrySet>
        <item><ruleNumber>100</ruleNumber><protocol>6</protocol><ruleAction>allow</ruleAction><egress>false</egress><cidrBlock>10.0.0.0/16</cidrBlock><portRange><from>5432</from><to>5432</to></portRange></item>
        <item><ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction><egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock></item>
        <item><ruleNumber>101</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction><egress>true</egress><ipv6CidrBlock>::/0</ipv6CidrBlock></item>
      </entrySet>
      <associationSet>
        <item><networkAclAssociationId>aclassoc-1</networkAclAssociationId><networkAclId>acl-db</networkAclId><subnetId>subnet-db</subnetId></item>
      </associationSet>
    </item>
  </networkAclSet>
</DescribeNetworkAclsResponse>"#).unwrap();
        assert_eq!(acls[0].acl.entries.len(), 2, "the IPv6 entry is left out");
        assert_eq!(acls[0].acl.entries[0].ports, Some((5432, 5432)));
        assert_eq!(acls[0].acl.entries[0].protocol, Protocol::Tcp);
        assert!(!acls[0].acl.entries[1].allow);
        assert_eq!(acls[0].subnets, ["subnet-db"]);

        let tables = route_tables(r#"<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <routeTableSet>
    <item>
      <routeTableId>rtb-main</routeTableId>
      <vpcId>vpc-1</vpcId>
      <routeSet>
        <item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state></item>
        <item><destinationCidrBlock>10.1.0.0/16</destinationCidrBlock><vpcPeeringConnectionId>pcx-0abc</vpcPeeringConnectionId><state>active</state></item>
        <item><destinationCidrBlock>10.2.0.0/16</destinationCidrBlock><vpcPeeringConnectionId>pcx-gone</vpcPeeringConnectionId><state>blackhole</state></item>
      </routeSet>
      <associationSet>
        <item><routeTableAssociationId>rtbassoc-1</routeTableAssociationId><routeTableId>rtb-main</routeTableId><main>true</main></item>
      </associationSet>
    </item>
  </routeTableSet>
</DescribeRouteTablesResponse>"#).unwrap();
        assert_eq!(tables[0].routes.len(), 2);
        assert_eq!(tables[0].routes[1].target, "pcx-0abc");
        assert!(tables[0].main);

        let subnets = subnets(r#"<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <subnetSet><item><subnetId>subnet-task</subnetId><vpcId>vpc-1</vpcId><cidrBlock>10.0.1.0/24</cidrBlock></item></subnetSet>
</DescribeSubnetsResponse>"#).unwrap();
        assert_eq!(
            subnets[0].cidr,
            "10.0.1.0/24".parse::<ipnet::Ipv4Net>().unwrap()
        );
        // A subnet without its own table uses its VPC's main one; without its own ACL, the
        // VPC's default (none here: not decided).
        assert_eq!(
            table_of(&tables, &subnets[0]).map(|t| t.id.as_str()),
            Some("rtb-main")
        );
        assert_eq!(acl_of(&acls, &subnets[0]), None);
    }
}
