//! Is there a network path from a task to its database's port? A pure evaluation of what
//! EC2's `Describe*` calls return (security groups, network ACLs, route tables), naming the
//! rule or the missing rule that blocks the path, or saying why it cannot decide.
//!
//! The semantics follow the Amazon VPC user guide:
//! - security groups are stateful and allow-only: a connection is allowed when one of the
//!   task's groups allows it out and one of the database's groups allows it in ("Security
//!   group rules"); a rule names a CIDR, another security group (the members' private
//!   addresses) or a prefix list;
//! - network ACLs are stateless: rules are evaluated in ascending rule number, the first that
//!   matches decides, and the catch-all `*` denies; the reply on an ephemeral port must be
//!   allowed too ("Control subnet traffic with network access control lists"), for which we
//!   take 1024-65535, the range Linux and the NAT gateways use;
//! - within a VPC the `local` route connects every subnet; between VPCs each side needs a route
//!   to the other through a peering connection or a transit gateway ("Route tables").

use ipnet::Ipv4Net;

/// An IP protocol as the EC2 API names it (`-1` all, `6` or `tcp`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    All,
    Tcp,
    /// Any other protocol: never carries a database connection.
    Other(String),
}

impl Protocol {
    /// EC2's `IpProtocol` / ACL `Protocol` value.
    pub fn parse(text: &str) -> Protocol {
        match text.to_ascii_lowercase().as_str() {
            "-1" | "all" => Protocol::All,
            "6" | "tcp" => Protocol::Tcp,
            other => Protocol::Other(other.to_string()),
        }
    }

    fn carries_tcp(&self) -> bool {
        matches!(self, Protocol::All | Protocol::Tcp)
    }
}

/// Where a security group rule lets traffic come from or go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    Cidr(Ipv4Net),
    /// Another security group: the private addresses of the interfaces it is attached to.
    Group(String),
    /// A managed prefix list, whose entries were not read.
    PrefixList(String),
}

/// One security group rule (an `IpPermission` with one peer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroupRule {
    pub protocol: Protocol,
    /// Inclusive; `None` for all ports (protocol `-1`).
    pub ports: Option<(u16, u16)>,
    pub peer: Peer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub ingress: Vec<SecurityGroupRule>,
    pub egress: Vec<SecurityGroupRule>,
}

/// One network ACL entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclEntry {
    pub rule_number: u32,
    pub egress: bool,
    pub protocol: Protocol,
    /// Inclusive; `None` for all ports.
    pub ports: Option<(u16, u16)>,
    pub cidr: Ipv4Net,
    pub allow: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkAcl {
    pub id: String,
    pub entries: Vec<AclEntry>,
}

/// A route: a destination and its target (`local`, `pcx-...`, `tgw-...`, `igw-...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub destination: Ipv4Net,
    pub target: String,
}

/// A network interface's place: its address, subnet, VPC, groups, ACL and route table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// What it is, for the alert ("task 0123...", "RDS instance coder-postgres").
    pub name: String,
    /// Its address as a /32, or the range it takes one from: an RDS instance's address is
    /// only in DNS and moves within its DB subnet group, so its subnets' ranges stand for it.
    /// A rule must cover the whole range to count.
    pub address: Ipv4Net,
    pub subnet_id: String,
    pub vpc_id: String,
    pub security_groups: Vec<SecurityGroup>,
    pub acl: NetworkAcl,
    pub routes: Vec<Route>,
}

/// What blocks the path, named as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocker {
    /// No group of the database allows the port from the task.
    DatabaseIngress { groups: Vec<String>, port: u16 },
    /// No group of the task allows the port out to the database.
    TaskEgress { groups: Vec<String>, port: u16 },
    /// A network ACL entry (or its catch-all) denies a direction.
    Acl {
        acl: String,
        subnet: String,
        rule: Option<u32>,
        what: String,
    },
    /// No route between the two VPCs.
    Route { from_subnet: String, to: Ipv4Net },
    /// The setting names a port the database does not listen on.
    Port { named: u16, listens: u16 },
    /// The RDS Proxy the app connects to has no target, or RDS reports one it cannot reach or
    /// sign in to (`TargetHealth`).
    ProxyTarget {
        proxy: String,
        proxy_groups: Vec<String>,
        /// `None`: the proxy has no target registered.
        target: Option<String>,
        /// `UNREACHABLE` or `AUTH_FAILURE`.
        reason: Option<String>,
        /// RDS's own description.
        description: Option<String>,
    },
}

impl Blocker {
    /// One sentence for the alert.
    pub fn describe(&self) -> String {
        match self {
            Blocker::DatabaseIngress { groups, port } => format!(
                "the database's security group {} allows no inbound TCP {port} from the task (by its address or one of its security groups)",
                groups.join(", ")
            ),
            Blocker::TaskEgress { groups, port } => format!(
                "the task's security group {} allows no outbound TCP {port} to the database",
                groups.join(", ")
            ),
            Blocker::Acl {
                acl,
                subnet,
                rule,
                what,
            } => match rule {
                Some(rule) => {
                    format!("network ACL {acl} of subnet {subnet} denies {what} (rule {rule})")
                }
                None => format!(
                    "network ACL {acl} of subnet {subnet} allows no {what} (its catch-all rule denies it)"
                ),
            },
            Blocker::Route { from_subnet, to } => format!(
                "the route table of subnet {from_subnet} has no route to {to} (the VPCs are not peered or joined by a transit gateway)"
            ),
            Blocker::Port { named, listens } => format!(
                "the database setting names port {named}, but the database listens on {listens}"
            ),
            Blocker::ProxyTarget {
                proxy,
                target: None,
                ..
            } => format!("RDS Proxy {proxy} has no database registered as its target"),
            Blocker::ProxyTarget {
                proxy,
                target: Some(target),
                reason,
                description,
                ..
            } => format!(
                "RDS Proxy {proxy} reports its target {target} unavailable{}{}",
                reason
                    .as_deref()
                    .map(|reason| format!(" ({reason})"))
                    .unwrap_or_default(),
                description
                    .as_deref()
                    .map(|description| format!(": {description}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// The verdict on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    /// Open: what allows each step.
    Open(Vec<String>),
    Blocked(Blocker),
    /// Not decided, and why (a prefix list not read, say): never a pass.
    Undecided(String),
}

const EPHEMERAL: (u16, u16) = (1024, 65535);

/// Whether `task` can open a TCP connection to `database` on `port`.
pub fn tcp_path(task: &Endpoint, database: &Endpoint, port: u16) -> Path {
    let mut allowed = Vec::new();
    let mut undecided = None;
    // Routes first: without one between the VPCs, no security group rule can help.
    if task.vpc_id != database.vpc_id {
        for (from, to) in [(task, database.address), (database, task.address)] {
            match route_to(&from.routes, to) {
                Some(route) => allowed.push(format!(
                    "subnet {} routes {} through {}",
                    from.subnet_id, route.destination, route.target
                )),
                None => {
                    return Path::Blocked(Blocker::Route {
                        from_subnet: from.subnet_id.clone(),
                        to,
                    });
                }
            }
        }
    }
    // Security groups: out of the task, into the database.
    match group_allows(task, database, port, Direction::Out) {
        Decision::Allowed(why) => allowed.push(why),
        Decision::Denied => {
            return Path::Blocked(Blocker::TaskEgress {
                groups: ids(&task.security_groups),
                port,
            });
        }
        Decision::Unknown(why) => undecided = Some(why),
    }
    match group_allows(database, task, port, Direction::In) {
        Decision::Allowed(why) => allowed.push(why),
        Decision::Denied => {
            return Path::Blocked(Blocker::DatabaseIngress {
                groups: ids(&database.security_groups),
                port,
            });
        }
        Decision::Unknown(why) => undecided = undecided.or(Some(why)),
    }
    // Network ACLs, both ways, unless both ends share a subnet (ACLs filter only traffic
    // that crosses a subnet's edge).
    if task.subnet_id != database.subnet_id {
        let steps = [
            (
                task,
                true,
                database.address,
                (port, port),
                "outbound TCP to the database's port",
            ),
            (
                database,
                false,
                task.address,
                (port, port),
                "inbound TCP from the task to the database's port",
            ),
            (
                database,
                true,
                task.address,
                EPHEMERAL,
                "the database's replies to the task's ephemeral ports",
            ),
            (
                task,
                false,
                database.address,
                EPHEMERAL,
                "the database's replies into the task's subnet",
            ),
        ];
        for (side, egress, peer, ports, what) in steps {
            match acl_allows(&side.acl, egress, peer, ports) {
                Ok(rule) => allowed.push(format!(
                    "network ACL {} of subnet {}: rule {rule} allows {what}",
                    side.acl.id, side.subnet_id
                )),
                Err(rule) => {
                    return Path::Blocked(Blocker::Acl {
                        acl: side.acl.id.clone(),
                        subnet: side.subnet_id.clone(),
                        rule,
                        what: what.to_string(),
                    });
                }
            }
        }
    }
    match undecided {
        Some(why) => Path::Undecided(why),
        None => Path::Open(allowed),
    }
}

enum Direction {
    In,
    Out,
}

enum Decision {
    Allowed(String),
    Denied,
    Unknown(String),
}

/// Whether one of `side`'s groups allows TCP `port` to (`Out`) or from (`In`) `peer`.
fn group_allows(side: &Endpoint, peer: &Endpoint, port: u16, direction: Direction) -> Decision {
    let mut unknown = None;
    for group in &side.security_groups {
        let rules = match direction {
            Direction::In => &group.ingress,
            Direction::Out => &group.egress,
        };
        for rule in rules {
            if !rule.protocol.carries_tcp() || !covers(rule.ports, port) {
                continue;
            }
            let matched = match &rule.peer {
                Peer::Cidr(cidr) if cidr.contains(&peer.address) => Some(format!("{cidr}")),
                Peer::Cidr(cidr) if overlaps(cidr, &peer.address) => {
                    unknown.get_or_insert(format!(
                        "security group {} allows {cidr}, which covers only part of {} ({})",
                        group.id, peer.address, peer.name
                    ));
                    None
                }
                Peer::Cidr(_) => None,
                Peer::Group(id) => peer
                    .security_groups
                    .iter()
                    .any(|group| group.id == *id)
                    .then(|| format!("security group {id}")),
                Peer::PrefixList(id) => {
                    unknown.get_or_insert(format!(
                        "security group {} refers to prefix list {id}, whose entries were not read",
                        group.id
                    ));
                    None
                }
            };
            if let Some(peer_text) = matched {
                let way = match direction {
                    Direction::In => "inbound from",
                    Direction::Out => "outbound to",
                };
                return Decision::Allowed(format!(
                    "security group {} allows TCP {port} {way} {peer_text}",
                    group.id
                ));
            }
        }
    }
    match unknown {
        Some(why) => Decision::Unknown(why),
        None => Decision::Denied,
    }
}

fn covers(ports: Option<(u16, u16)>, port: u16) -> bool {
    ports.is_none_or(|(from, to)| from <= port && port <= to)
}

/// The first ACL entry (by rule number) in that direction matching `peer` and every port of
/// `ports`: `Ok(rule)` if it allows, `Err(Some(rule))` if it denies, `Err(None)` for the
/// catch-all. An entry covering only part of the range does not decide it; the stricter
/// reading (the first entry touching any port that denies) is taken for a range.
pub(crate) fn acl_allows(
    acl: &NetworkAcl,
    egress: bool,
    peer: Ipv4Net,
    ports: (u16, u16),
) -> Result<u32, Option<u32>> {
    // An entry for part of the peer's range decides for part of it: taken as deciding (the
    // stricter reading for a deny, a pass only when it covers the whole range).
    let mut entries: Vec<&AclEntry> = acl
        .entries
        .iter()
        .filter(|entry| entry.egress == egress && overlaps(&entry.cidr, &peer))
        .collect();
    entries.sort_by_key(|entry| entry.rule_number);
    for entry in entries {
        if !entry.protocol.carries_tcp() {
            continue;
        }
        let touches = entry
            .ports
            .is_none_or(|(from, to)| from <= ports.1 && ports.0 <= to);
        if !touches {
            continue;
        }
        let whole = entry
            .ports
            .is_none_or(|(from, to)| from <= ports.0 && ports.1 <= to);
        if !entry.allow {
            return Err(Some(entry.rule_number));
        }
        if whole && entry.cidr.contains(&peer) {
            return Ok(entry.rule_number);
        }
    }
    Err(None)
}

/// The most specific route covering all of `address`.
fn route_to(routes: &[Route], address: Ipv4Net) -> Option<&Route> {
    routes
        .iter()
        .filter(|route| route.destination.contains(&address))
        .max_by_key(|route| route.destination.prefix_len())
}

/// Whether two ranges share an address.
fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

fn ids(groups: &[SecurityGroup]) -> Vec<String> {
    groups.iter().map(|group| group.id.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    fn open_acl(id: &str) -> NetworkAcl {
        // The default ACL: rule 100 allows everything both ways.
        NetworkAcl {
            id: id.to_string(),
            entries: [false, true]
                .into_iter()
                .map(|egress| AclEntry {
                    rule_number: 100,
                    egress,
                    protocol: Protocol::All,
                    ports: None,
                    cidr: net("0.0.0.0/0"),
                    allow: true,
                })
                .collect(),
        }
    }

    fn all_out() -> Vec<SecurityGroupRule> {
        vec![SecurityGroupRule {
            protocol: Protocol::All,
            ports: None,
            peer: Peer::Cidr(net("0.0.0.0/0")),
        }]
    }

    /// The seed's VPC: the task in a private subnet with its own group, RDS in another subnet
    /// with its own group.
    fn seed() -> (Endpoint, Endpoint) {
        let task = Endpoint {
            name: "task".to_string(),
            address: net("10.0.1.25/32"),
            subnet_id: "subnet-task".to_string(),
            vpc_id: "vpc-1".to_string(),
            security_groups: vec![SecurityGroup {
                id: "sg-coder-task".to_string(),
                ingress: vec![],
                egress: all_out(),
            }],
            acl: open_acl("acl-default"),
            routes: vec![Route {
                destination: net("10.0.0.0/16"),
                target: "local".to_string(),
            }],
        };
        let database = Endpoint {
            name: "RDS instance coder-postgres".to_string(),
            address: net("10.0.2.40/32"),
            subnet_id: "subnet-db".to_string(),
            vpc_id: "vpc-1".to_string(),
            security_groups: vec![SecurityGroup {
                id: "sg-coder-db".to_string(),
                ingress: vec![],
                egress: vec![],
            }],
            acl: open_acl("acl-default"),
            routes: vec![Route {
                destination: net("10.0.0.0/16"),
                target: "local".to_string(),
            }],
        };
        (task, database)
    }

    #[test]
    fn the_database_group_without_the_ingress_rule_is_named_then_the_fix_opens_it() {
        let (task, mut database) = seed();
        let Path::Blocked(blocker) = tcp_path(&task, &database, 5432) else {
            panic!("{:?}", tcp_path(&task, &database, 5432));
        };
        assert_eq!(
            blocker,
            Blocker::DatabaseIngress {
                groups: vec!["sg-coder-db".to_string()],
                port: 5432
            }
        );
        assert!(blocker.describe().contains("sg-coder-db"));
        // The usual fix: allow 5432 from the task's security group.
        database.security_groups[0].ingress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Group("sg-coder-task".to_string()),
        });
        let Path::Open(why) = tcp_path(&task, &database, 5432) else {
            panic!()
        };
        assert!(
            why.iter()
                .any(|line| line
                    .contains("allows TCP 5432 inbound from security group sg-coder-task")),
            "{why:?}"
        );
        // Another port stays closed.
        assert!(matches!(tcp_path(&task, &database, 3306), Path::Blocked(_)));
    }

    #[test]
    fn cidr_rules_egress_and_prefix_lists() {
        let (mut task, mut database) = seed();
        database.security_groups[0].ingress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Cidr(net("10.0.1.0/24")),
        });
        assert!(matches!(tcp_path(&task, &database, 5432), Path::Open(_)));
        // A task group with no egress (the default egress removed).
        task.security_groups[0].egress.clear();
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Blocked(Blocker::TaskEgress { .. })
        ));
        // Egress only to a prefix list: not decided, never a pass.
        task.security_groups[0].egress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::PrefixList("pl-0123".to_string()),
        });
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Undecided(_)
        ));
    }

    #[test]
    fn a_database_known_by_its_subnets_needs_rules_for_all_of_them() {
        let (task, mut database) = seed();
        // The DB subnet group's range stands for the instance's address.
        database.address = net("10.0.2.0/24");
        database.security_groups[0].ingress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Group("sg-coder-task".to_string()),
        });
        let mut task = task;
        // Egress to one address of the range only: not decided.
        task.security_groups[0].egress = vec![SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Cidr(net("10.0.2.40/32")),
        }];
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Undecided(_)
        ));
        task.security_groups[0].egress[0].peer = Peer::Cidr(net("10.0.0.0/16"));
        assert!(matches!(tcp_path(&task, &database, 5432), Path::Open(_)));
    }

    #[test]
    fn network_acls_are_stateless_and_first_match_wins() {
        let (task, mut database) = seed();
        database.security_groups[0].ingress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Group("sg-coder-task".to_string()),
        });
        // The database's subnet: 5432 allowed in, but replies only to 80 and 443.
        database.acl = NetworkAcl {
            id: "acl-db".to_string(),
            entries: vec![
                AclEntry {
                    rule_number: 100,
                    egress: false,
                    protocol: Protocol::Tcp,
                    ports: Some((5432, 5432)),
                    cidr: net("10.0.0.0/16"),
                    allow: true,
                },
                AclEntry {
                    rule_number: 100,
                    egress: true,
                    protocol: Protocol::Tcp,
                    ports: Some((443, 443)),
                    cidr: net("0.0.0.0/0"),
                    allow: true,
                },
            ],
        };
        let Path::Blocked(Blocker::Acl {
            acl, rule, what, ..
        }) = tcp_path(&task, &database, 5432)
        else {
            panic!()
        };
        assert_eq!((acl.as_str(), rule), ("acl-db", None));
        assert!(what.contains("replies"), "{what}");
        // A lower-numbered deny wins over a later allow.
        database.acl.entries.push(AclEntry {
            rule_number: 200,
            egress: true,
            protocol: Protocol::Tcp,
            ports: Some((1024, 65535)),
            cidr: net("10.0.0.0/16"),
            allow: true,
        });
        assert!(matches!(tcp_path(&task, &database, 5432), Path::Open(_)));
        database.acl.entries.push(AclEntry {
            rule_number: 50,
            egress: false,
            protocol: Protocol::All,
            ports: None,
            cidr: net("10.0.1.0/24"),
            allow: false,
        });
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Blocked(Blocker::Acl { rule: Some(50), .. })
        ));
    }

    #[test]
    fn another_vpc_needs_a_route_both_ways() {
        // Without a route, the missing route is named, not the group (whose rule could not
        // help across unjoined VPCs).
        let (task, mut database) = seed();
        database.vpc_id = "vpc-2".to_string();
        database.address = net("10.1.2.40/32");
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Blocked(Blocker::Route { .. })
        ));
        let (task, mut database) = seed();
        database.security_groups[0].ingress.push(SecurityGroupRule {
            protocol: Protocol::Tcp,
            ports: Some((5432, 5432)),
            peer: Peer::Cidr(net("10.0.0.0/16")),
        });
        database.vpc_id = "vpc-2".to_string();
        database.address = net("10.1.2.40/32");
        database.routes = vec![Route {
            destination: net("10.1.0.0/16"),
            target: "local".to_string(),
        }];
        assert!(matches!(
            tcp_path(&task, &database, 5432),
            Path::Blocked(Blocker::Route { .. })
        ));
        let mut task = task;
        task.routes.push(Route {
            destination: net("10.1.0.0/16"),
            target: "pcx-0abc".to_string(),
        });
        // Still no way back.
        let Path::Blocked(Blocker::Route { from_subnet, .. }) = tcp_path(&task, &database, 5432)
        else {
            panic!()
        };
        assert_eq!(from_subnet, "subnet-db");
        database.routes.push(Route {
            destination: net("10.0.0.0/16"),
            target: "pcx-0abc".to_string(),
        });
        assert!(matches!(tcp_path(&task, &database, 5432), Path::Open(_)));
    }
}
