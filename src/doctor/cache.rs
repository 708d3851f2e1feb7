//! A warm function repeats no read of the doctor's network checks for a minute (issue 16):
//! [`CachedNetwork`] wraps any [`NetworkReads`] and keeps each answer (security groups, ACLs
//! and route tables of a VPC, subnets, the account's RDS instances) for [`NETWORK_TTL`]. The
//! tasks of one service share their subnets and groups, so a deployment's tasks read them once;
//! a fix (an ingress rule added) is seen within the minute. A task's own network interface is
//! never cached (it is new with each task), nor is a failed read.

use super::facts::{
    AclAssociation, DbInstance, NatGateway, NetworkInterface, RouteTable, Subnet, VpcEndpoint,
};
use super::network::SecurityGroup;
use super::read::NetworkReads;
use crate::inventory::BoundedCache;
use crate::model::ReadError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer is kept.
pub const NETWORK_TTL: Duration = Duration::from_secs(60);

type Kept<V> = Mutex<BoundedCache<String, (Instant, V)>>;

/// [`NetworkReads`] with each answer kept for [`NETWORK_TTL`].
#[derive(Debug)]
pub struct CachedNetwork<N> {
    inner: N,
    security_groups: Kept<Vec<SecurityGroup>>,
    network_acls: Kept<Vec<AclAssociation>>,
    route_tables: Kept<Vec<RouteTable>>,
    subnets: Kept<Vec<Subnet>>,
    db_instances: Kept<Vec<DbInstance>>,
    db_proxies: Kept<Vec<DbInstance>>,
    vpc_endpoints: Kept<Vec<VpcEndpoint>>,
    nat_gateways: Kept<Vec<NatGateway>>,
}

impl<N: NetworkReads> CachedNetwork<N> {
    pub fn new(inner: N) -> Self {
        CachedNetwork {
            inner,
            security_groups: kept(),
            network_acls: kept(),
            route_tables: kept(),
            subnets: kept(),
            db_instances: kept(),
            db_proxies: kept(),
            vpc_endpoints: kept(),
            nat_gateways: kept(),
        }
    }

    pub fn inner(&self) -> &N {
        &self.inner
    }
}

fn kept<V: Clone>() -> Kept<V> {
    Mutex::new(BoundedCache::new(256))
}

fn fresh<V: Clone>(kept: &Kept<V>, key: &str) -> Option<V> {
    let kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    kept.get(&key.to_string())
        .filter(|(read_at, _)| read_at.elapsed() < NETWORK_TTL)
        .map(|(_, value)| value)
}

fn keep<V: Clone>(kept: &Kept<V>, key: &str, value: &V) {
    let mut kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A stale entry's value is replaced in place.
    kept.insert(key.to_string(), (Instant::now(), value.clone()));
}

/// A read through the cache: the kept answer while fresh, else the inner read (kept when it
/// succeeds).
async fn through<V: Clone, F>(kept: &Kept<V>, key: &str, read: F) -> Result<V, ReadError>
where
    F: std::future::Future<Output = Result<V, ReadError>>,
{
    if let Some(value) = fresh(kept, key) {
        return Ok(value);
    }
    let value = read.await?;
    keep(kept, key, &value);
    Ok(value)
}

impl<N: NetworkReads> NetworkReads for CachedNetwork<N> {
    async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, ReadError> {
        let mut key = ids.to_vec();
        key.sort();
        through(
            &self.security_groups,
            &key.join(","),
            self.inner.security_groups(ids),
        )
        .await
    }
    async fn network_acls(&self, vpc: &str) -> Result<Vec<AclAssociation>, ReadError> {
        through(&self.network_acls, vpc, self.inner.network_acls(vpc)).await
    }
    async fn route_tables(&self, vpc: &str) -> Result<Vec<RouteTable>, ReadError> {
        through(&self.route_tables, vpc, self.inner.route_tables(vpc)).await
    }
    async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ReadError> {
        let mut key = ids.to_vec();
        key.sort();
        through(&self.subnets, &key.join(","), self.inner.subnets(ids)).await
    }
    async fn network_interface(&self, id: &str) -> Result<Option<NetworkInterface>, ReadError> {
        self.inner.network_interface(id).await
    }
    async fn db_instances(&self) -> Result<Vec<DbInstance>, ReadError> {
        through(&self.db_instances, "", self.inner.db_instances()).await
    }
    async fn db_proxies(&self) -> Result<Vec<DbInstance>, ReadError> {
        through(&self.db_proxies, "", self.inner.db_proxies()).await
    }
    async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
        through(&self.vpc_endpoints, vpc, self.inner.vpc_endpoints(vpc)).await
    }
    async fn nat_gateways(&self, vpc: &str) -> Result<Vec<NatGateway>, ReadError> {
        through(&self.nat_gateways, vpc, self.inner.nat_gateways(vpc)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReadFailure;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the reads that reach it; fails the first `failing` of them.
    #[derive(Default)]
    struct Counting {
        reads: AtomicUsize,
        failing: usize,
    }

    impl Counting {
        fn read(&self) -> Result<(), ReadError> {
            let seen = self.reads.fetch_add(1, Ordering::SeqCst);
            if seen < self.failing {
                return Err(ReadError {
                    operation: "ec2:DescribeSubnets",
                    resource: String::new(),
                    failure: ReadFailure::Throttled,
                    message: String::new(),
                });
            }
            Ok(())
        }
    }

    impl NetworkReads for Counting {
        async fn security_groups(&self, _: &[String]) -> Result<Vec<SecurityGroup>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn network_acls(&self, _: &str) -> Result<Vec<AclAssociation>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn route_tables(&self, _: &str) -> Result<Vec<RouteTable>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn subnets(&self, _: &[String]) -> Result<Vec<Subnet>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn network_interface(&self, _: &str) -> Result<Option<NetworkInterface>, ReadError> {
            self.read().map(|_| None)
        }
        async fn db_instances(&self) -> Result<Vec<DbInstance>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn db_proxies(&self) -> Result<Vec<DbInstance>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn vpc_endpoints(&self, _: &str) -> Result<Vec<VpcEndpoint>, ReadError> {
            self.read().map(|_| Vec::new())
        }
        async fn nat_gateways(&self, _: &str) -> Result<Vec<NatGateway>, ReadError> {
            self.read().map(|_| Vec::new())
        }
    }

    #[tokio::test]
    async fn answers_are_kept_failures_and_interfaces_are_not() {
        let cached = CachedNetwork::new(Counting {
            failing: 1,
            ..Default::default()
        });
        let ids = ["subnet-b".to_string(), "subnet-a".to_string()];
        assert!(cached.subnets(&ids).await.is_err());
        cached.subnets(&ids).await.unwrap();
        // The same subnets in another order, and again: kept.
        cached
            .subnets(&["subnet-a".to_string(), "subnet-b".to_string()])
            .await
            .unwrap();
        cached.db_instances().await.unwrap();
        cached.db_instances().await.unwrap();
        cached.network_acls("vpc-1").await.unwrap();
        cached.network_acls("vpc-2").await.unwrap();
        cached.network_interface("eni-1").await.unwrap();
        cached.network_interface("eni-1").await.unwrap();
        // 2 subnet reads (one failed), 1 instance list, 2 VPCs' ACLs, 2 interfaces.
        assert_eq!(cached.inner().reads.load(Ordering::SeqCst), 7);
    }
}
