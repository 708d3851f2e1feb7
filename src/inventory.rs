//! Reading the ECS inventory (task definitions, services, tasks) behind a narrow trait, and a
//! cache that keeps what it read across warm invocations.
//!
//! The SDK implementation lives in `crate::aws::ecs`; tests use small fakes.

use crate::model::{ReadError, Service, TaskDefinition, TaskLocation};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the auditor reads from ECS.
pub trait Inventory: Send + Sync {
    /// `ecs:DescribeTaskDefinition`.
    fn task_definition(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<TaskDefinition, ReadError>> + Send;

    /// `ecs:DescribeServices` for one service.
    fn service(
        &self,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = Result<Service, ReadError>> + Send;

    /// Finds a task by id (from a log stream name): `ecs:ListClusters` + `ecs:DescribeTasks`.
    fn locate_task(
        &self,
        task_id: &str,
    ) -> impl Future<Output = Result<TaskLocation, ReadError>> + Send;

    /// The newest running task of a service, with its ENI (`ecs:ListTasks`,
    /// `ecs:DescribeTasks`): what `doctor` examines. `None`: the service runs no task.
    fn service_task(
        &self,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = Result<Option<TaskLocation>, ReadError>> + Send;

    /// The clusters to audit: `CLUSTERS`, or every cluster (`ecs:ListClusters`).
    fn clusters(&self) -> impl Future<Output = Result<Vec<String>, ReadError>> + Send;

    /// Every service ARN of a cluster (`ecs:ListServices`).
    fn service_arns(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Vec<String>, ReadError>> + Send;

    /// The public IP of a task's ENI (`ec2:DescribeNetworkInterfaces`); `None` if it has none.
    fn public_ip(
        &self,
        network_interface: &str,
    ) -> impl Future<Output = Result<Option<String>, ReadError>> + Send;

    /// The text of an `environmentFiles` S3 object (`s3:GetObject`), read only with
    /// `READ_ENVIRONMENT_FILES=true`; kept in memory, never shown.
    fn environment_file(
        &self,
        object_arn: &str,
    ) -> impl Future<Output = Result<String, ReadError>> + Send;

    /// The doctor's network path from a task's network interface to the RDS instance whose
    /// endpoint is `host` (issue 16): the database's name, its port and the path. `None`: not
    /// evaluated (an inventory that cannot tell, or a task whose interface is gone).
    fn database_path(
        &self,
        network_interface: &str,
        host: &str,
        port: Option<u16>,
    ) -> impl Future<Output = Result<Option<crate::doctor::read::RdsPath>, ReadError>> + Send;

    /// The doctor's paths from a task's network interface to every RDS instance in its VPC,
    /// for when the database's address is unknown. Empty: not evaluated.
    fn vpc_database_paths(
        &self,
        network_interface: &str,
    ) -> impl Future<Output = Result<Vec<crate::doctor::read::RdsPath>, ReadError>> + Send;

    /// How a task's subnet reaches the AWS APIs it needs before it starts (the doctor's
    /// [`crate::doctor::egress`]): route table, VPC endpoints, the groups' HTTPS egress.
    fn api_paths(
        &self,
        subnet: &str,
        security_groups: &[String],
        public_ip: Option<bool>,
        services: &[String],
    ) -> impl Future<Output = Result<Vec<(String, crate::doctor::egress::ApiPath)>, ReadError>> + Send;

    /// Whether an EFS file system has automatic backups on (`elasticfilesystem:
    /// DescribeBackupPolicy`: `ENABLED`/`ENABLING`; no policy is off). `None`: not evaluated.
    fn file_system_backup(
        &self,
        file_system_id: &str,
    ) -> impl Future<Output = Result<Option<bool>, ReadError>> + Send;

    /// The doctor's answer for one secret reference (issue 16): does it resolve, may the
    /// execution role read it (`secretsmanager:DescribeSecret`, `iam:SimulatePrincipalPolicy`;
    /// no secret value is read). `None`: not evaluated (a malformed reference, or an inventory
    /// that cannot tell).
    fn diagnose_secret(
        &self,
        execution_role: Option<&str>,
        container: &str,
        setting: &str,
        value_from: &str,
    ) -> impl Future<Output = Result<Option<crate::doctor::secrets::SecretDiagnosis>, ReadError>> + Send;

    /// Whether the app's token signer may `rds-db:connect` to `database` as `user`
    /// ([`crate::doctor::database_auth`]: `iam:SimulatePrincipalPolicy`). `None`: not
    /// evaluated.
    fn iam_connect(
        &self,
        signer: &crate::doctor::database_auth::Signer,
        user: Option<&str>,
        database: &crate::doctor::facts::DbInstance,
    ) -> impl Future<Output = Result<Option<crate::doctor::database_auth::IamConnect>, ReadError>> + Send;

    /// The text a secret reference names, as ECS would inject it
    /// (`secretsmanager:GetSecretValue`), read only with `READ_SECRET_VALUES=true` or `doctor
    /// --read-secrets`; kept in memory, never shown.
    fn secret_value(
        &self,
        value_from: &str,
    ) -> impl Future<Output = Result<crate::model::SecretText, ReadError>> + Send;

    /// Recent lines of a log group (`logs:FilterLogEvents`), at most `limit`.
    fn recent_log_lines(
        &self,
        group: &str,
        stream_prefix: Option<&str>,
        filter_pattern: &str,
        since_ms: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<RecentLine>, ReadError>> + Send;
}

/// A log line read back from CloudWatch Logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecentLine {
    pub stream: String,
    pub id: String,
    pub timestamp: i64,
    pub message: String,
}

/// A small map that forgets its oldest entries beyond `capacity`, so a long-lived warm
/// function cannot grow without bound.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    capacity: usize,
    entries: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        BoundedCache {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key).cloned()
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(oldest) = self.order.pop_front() {
                    self.entries.remove(&oldest);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

type SecretDiagnoses =
    BoundedCache<[String; 4], (Instant, Option<crate::doctor::secrets::SecretDiagnosis>)>;
type IamConnects =
    BoundedCache<[String; 3], (Instant, Option<crate::doctor::database_auth::IamConnect>)>;

/// Wraps an [`Inventory`]: task definitions are immutable per ARN (family:revision), so they
/// are kept for the life of the process; services change, so they are kept briefly.
pub struct CachedInventory<I> {
    inner: I,
    task_definitions: Mutex<BoundedCache<String, TaskDefinition>>,
    services: Mutex<BoundedCache<(String, String), (Instant, Service)>>,
    tasks: Mutex<BoundedCache<String, TaskLocation>>,
    /// The doctor's secret diagnoses by execution role, container, setting and reference: a
    /// crash loop of failed starts asks once a minute, not once a task.
    secret_diagnoses: Mutex<SecretDiagnoses>,
    /// The doctor's `rds-db:connect` answers by signer, user and database, for a minute.
    iam_connects: Mutex<IamConnects>,
    service_ttl: Duration,
}

impl<I: Inventory> CachedInventory<I> {
    pub fn new(inner: I) -> Self {
        CachedInventory {
            inner,
            task_definitions: Mutex::new(BoundedCache::new(512)),
            services: Mutex::new(BoundedCache::new(512)),
            tasks: Mutex::new(BoundedCache::new(2048)),
            secret_diagnoses: Mutex::new(BoundedCache::new(256)),
            iam_connects: Mutex::new(BoundedCache::new(256)),
            service_ttl: Duration::from_secs(60),
        }
    }

    pub fn inner(&self) -> &I {
        &self.inner
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned cache is still a valid cache: entries are inserted whole.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<I: Inventory> Inventory for CachedInventory<I> {
    async fn task_definition(&self, arn: &str) -> Result<TaskDefinition, ReadError> {
        if let Some(cached) = lock(&self.task_definitions).get(&arn.to_string()) {
            return Ok(cached);
        }
        let definition = self.inner.task_definition(arn).await?;
        lock(&self.task_definitions).insert(arn.to_string(), definition.clone());
        Ok(definition)
    }

    async fn service(&self, cluster: &str, service: &str) -> Result<Service, ReadError> {
        let key = (cluster.to_string(), service.to_string());
        if let Some((read_at, cached)) = lock(&self.services).get(&key)
            && read_at.elapsed() < self.service_ttl
        {
            return Ok(cached);
        }
        let fresh = self.inner.service(cluster, service).await?;
        lock(&self.services).insert(key, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    async fn locate_task(&self, task_id: &str) -> Result<TaskLocation, ReadError> {
        if let Some(cached) = lock(&self.tasks).get(&task_id.to_string()) {
            return Ok(cached);
        }
        let location = self.inner.locate_task(task_id).await?;
        lock(&self.tasks).insert(task_id.to_string(), location.clone());
        Ok(location)
    }

    // Listings, IPs and log lines change from one event to the next: never cached.
    async fn service_task(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<TaskLocation>, ReadError> {
        self.inner.service_task(cluster, service).await
    }

    async fn clusters(&self) -> Result<Vec<String>, ReadError> {
        self.inner.clusters().await
    }

    async fn service_arns(&self, cluster: &str) -> Result<Vec<String>, ReadError> {
        self.inner.service_arns(cluster).await
    }

    async fn public_ip(&self, network_interface: &str) -> Result<Option<String>, ReadError> {
        self.inner.public_ip(network_interface).await
    }

    // An environment file can change without a new task definition revision, and its values
    // should not linger in memory.
    async fn environment_file(&self, object_arn: &str) -> Result<String, ReadError> {
        self.inner.environment_file(object_arn).await
    }

    // Not cached yet: issue 16 caches per revision and service.
    async fn database_path(
        &self,
        network_interface: &str,
        host: &str,
        port: Option<u16>,
    ) -> Result<Option<crate::doctor::read::RdsPath>, ReadError> {
        self.inner
            .database_path(network_interface, host, port)
            .await
    }

    async fn vpc_database_paths(
        &self,
        network_interface: &str,
    ) -> Result<Vec<crate::doctor::read::RdsPath>, ReadError> {
        self.inner.vpc_database_paths(network_interface).await
    }

    async fn file_system_backup(&self, file_system_id: &str) -> Result<Option<bool>, ReadError> {
        self.inner.file_system_backup(file_system_id).await
    }

    async fn api_paths(
        &self,
        subnet: &str,
        security_groups: &[String],
        public_ip: Option<bool>,
        services: &[String],
    ) -> Result<Vec<(String, crate::doctor::egress::ApiPath)>, ReadError> {
        self.inner
            .api_paths(subnet, security_groups, public_ip, services)
            .await
    }

    async fn diagnose_secret(
        &self,
        execution_role: Option<&str>,
        container: &str,
        setting: &str,
        value_from: &str,
    ) -> Result<Option<crate::doctor::secrets::SecretDiagnosis>, ReadError> {
        let key =
            [execution_role.unwrap_or(""), container, setting, value_from].map(str::to_string);
        if let Some((read_at, cached)) = lock(&self.secret_diagnoses).get(&key)
            && read_at.elapsed() < self.service_ttl
        {
            return Ok(cached);
        }
        let fresh = self
            .inner
            .diagnose_secret(execution_role, container, setting, value_from)
            .await?;
        lock(&self.secret_diagnoses).insert(key, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    async fn iam_connect(
        &self,
        signer: &crate::doctor::database_auth::Signer,
        user: Option<&str>,
        database: &crate::doctor::facts::DbInstance,
    ) -> Result<Option<crate::doctor::database_auth::IamConnect>, ReadError> {
        let key = [
            format!("{signer:?}"),
            user.unwrap_or("").to_string(),
            database.arn.clone().unwrap_or_else(|| database.id.clone()),
        ];
        if let Some((read_at, cached)) = lock(&self.iam_connects).get(&key)
            && read_at.elapsed() < self.service_ttl
        {
            return Ok(cached);
        }
        let fresh = self.inner.iam_connect(signer, user, database).await?;
        lock(&self.iam_connects).insert(key, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    async fn secret_value(&self, value_from: &str) -> Result<crate::model::SecretText, ReadError> {
        self.inner.secret_value(value_from).await
    }

    async fn recent_log_lines(
        &self,
        group: &str,
        stream_prefix: Option<&str>,
        filter_pattern: &str,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<RecentLine>, ReadError> {
        self.inner
            .recent_log_lines(group, stream_prefix, filter_pattern, since_ms, limit)
            .await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::ReadFailure;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An in-memory inventory that counts its calls.
    #[derive(Default)]
    pub(crate) struct FakeInventory {
        pub task_definitions: HashMap<String, TaskDefinition>,
        pub services: HashMap<String, Service>,
        pub tasks: HashMap<String, TaskLocation>,
        /// ENI id -> public IP.
        pub public_ips: HashMap<String, String>,
        /// Log group -> lines.
        pub log_lines: HashMap<String, Vec<RecentLine>>,
        /// S3 object ARN -> environment file text.
        pub environment_files: HashMap<String, String>,
        pub deny: bool,
        pub calls: AtomicUsize,
    }

    impl FakeInventory {
        /// The seed's deployment: `definition` running as task 0123...cdef of `coder-service`
        /// in `coder-cluster`.
        pub(crate) fn coder_service(definition: TaskDefinition) -> FakeInventory {
            let mut inventory = FakeInventory::default();
            inventory.tasks.insert(
                "0123456789abcdef0123456789abcdef".to_string(),
                TaskLocation {
                    task_arn: "arn:aws:ecs:us-east-1:123456789012:task/coder-cluster/0123456789abcdef0123456789abcdef".to_string(),
                    cluster_arn: "arn:aws:ecs:us-east-1:123456789012:cluster/coder-cluster".to_string(),
                    task_definition_arn: definition.arn.clone(),
                    group: Some("service:coder-service".to_string()),
                    network_interface: None,
                },
            );
            inventory
                .task_definitions
                .insert(definition.arn.clone(), definition);
            inventory.services.insert(
                "coder-service".to_string(),
                Service {
                    name: "coder-service".to_string(),
                    ..Default::default()
                },
            );
            inventory
        }

        fn denied(&self, operation: &'static str, resource: &str) -> Option<ReadError> {
            self.deny.then(|| ReadError {
                operation,
                resource: resource.to_string(),
                failure: ReadFailure::AccessDenied,
                message: "not authorized".to_string(),
            })
        }

        fn missing(operation: &'static str, resource: &str) -> ReadError {
            ReadError {
                operation,
                resource: resource.to_string(),
                failure: ReadFailure::NotFound,
                message: "not found".to_string(),
            }
        }
    }

    impl Inventory for FakeInventory {
        async fn task_definition(&self, arn: &str) -> Result<TaskDefinition, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("ecs:DescribeTaskDefinition", arn) {
                return Err(error);
            }
            self.task_definitions
                .get(arn)
                .cloned()
                .ok_or_else(|| Self::missing("ecs:DescribeTaskDefinition", arn))
        }

        async fn service(&self, _cluster: &str, service: &str) -> Result<Service, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("ecs:DescribeServices", service) {
                return Err(error);
            }
            self.services
                .get(service)
                .cloned()
                .ok_or_else(|| Self::missing("ecs:DescribeServices", service))
        }

        async fn locate_task(&self, task_id: &str) -> Result<TaskLocation, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("ecs:DescribeTasks", task_id) {
                return Err(error);
            }
            self.tasks
                .get(task_id)
                .cloned()
                .ok_or_else(|| Self::missing("ecs:DescribeTasks", task_id))
        }

        async fn service_task(
            &self,
            _cluster: &str,
            service: &str,
        ) -> Result<Option<TaskLocation>, ReadError> {
            let group = format!("service:{service}");
            Ok(self
                .tasks
                .values()
                .find(|task| task.group.as_deref() == Some(group.as_str()))
                .cloned())
        }

        async fn clusters(&self) -> Result<Vec<String>, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mut clusters: Vec<String> = self
                .services
                .values()
                .map(|s| s.cluster_arn.clone())
                .collect();
            clusters.sort();
            clusters.dedup();
            Ok(clusters)
        }

        async fn service_arns(&self, cluster: &str) -> Result<Vec<String>, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("ecs:ListServices", cluster) {
                return Err(error);
            }
            let mut arns: Vec<String> = self
                .services
                .values()
                .filter(|service| service.cluster_arn == cluster)
                .map(|service| service.arn.clone())
                .collect();
            arns.sort();
            Ok(arns)
        }

        async fn public_ip(&self, network_interface: &str) -> Result<Option<String>, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("ec2:DescribeNetworkInterfaces", network_interface) {
                return Err(error);
            }
            Ok(self.public_ips.get(network_interface).cloned())
        }

        async fn environment_file(&self, object_arn: &str) -> Result<String, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("s3:GetObject", object_arn) {
                return Err(error);
            }
            self.environment_files
                .get(object_arn)
                .cloned()
                .ok_or_else(|| Self::missing("s3:GetObject", object_arn))
        }

        async fn database_path(
            &self,
            _network_interface: &str,
            _host: &str,
            _port: Option<u16>,
        ) -> Result<Option<crate::doctor::read::RdsPath>, ReadError> {
            Ok(None)
        }

        async fn vpc_database_paths(
            &self,
            _network_interface: &str,
        ) -> Result<Vec<crate::doctor::read::RdsPath>, ReadError> {
            Ok(Vec::new())
        }

        async fn file_system_backup(
            &self,
            _file_system_id: &str,
        ) -> Result<Option<bool>, ReadError> {
            Ok(None)
        }

        async fn api_paths(
            &self,
            _subnet: &str,
            _security_groups: &[String],
            _public_ip: Option<bool>,
            _services: &[String],
        ) -> Result<Vec<(String, crate::doctor::egress::ApiPath)>, ReadError> {
            Ok(Vec::new())
        }

        async fn diagnose_secret(
            &self,
            _execution_role: Option<&str>,
            _container: &str,
            _setting: &str,
            _value_from: &str,
        ) -> Result<Option<crate::doctor::secrets::SecretDiagnosis>, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        }

        async fn iam_connect(
            &self,
            _signer: &crate::doctor::database_auth::Signer,
            _user: Option<&str>,
            _database: &crate::doctor::facts::DbInstance,
        ) -> Result<Option<crate::doctor::database_auth::IamConnect>, ReadError> {
            Ok(None)
        }
        async fn secret_value(
            &self,
            _value_from: &str,
        ) -> Result<crate::model::SecretText, ReadError> {
            Ok(crate::model::SecretText::Unread)
        }

        async fn recent_log_lines(
            &self,
            group: &str,
            _stream_prefix: Option<&str>,
            _filter_pattern: &str,
            _since_ms: i64,
            limit: usize,
        ) -> Result<Vec<RecentLine>, ReadError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = self.denied("logs:FilterLogEvents", group) {
                return Err(error);
            }
            let mut lines = self.log_lines.get(group).cloned().unwrap_or_default();
            lines.truncate(limit);
            Ok(lines)
        }
    }

    #[tokio::test]
    async fn task_definitions_are_read_once() {
        let mut fake = FakeInventory::default();
        fake.task_definitions
            .insert("td:1".to_string(), TaskDefinition::default());
        let cached = CachedInventory::new(fake);
        cached.task_definition("td:1").await.unwrap();
        cached.task_definition("td:1").await.unwrap();
        assert_eq!(cached.inner().calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_secret_is_diagnosed_once_a_minute_per_role_and_reference() {
        let cached = CachedInventory::new(FakeInventory::default());
        let diagnose = |role| cached.diagnose_secret(Some(role), "coder", "URL", "arn:secret");
        diagnose("role-a").await.unwrap();
        diagnose("role-a").await.unwrap();
        diagnose("role-b").await.unwrap();
        assert_eq!(cached.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cached = CachedInventory::new(FakeInventory::default());
        assert!(cached.task_definition("td:1").await.is_err());
        assert!(cached.task_definition("td:1").await.is_err());
        assert_eq!(cached.inner().calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_cache_forgets_its_oldest_entries() {
        let mut cache = BoundedCache::new(2);
        cache.insert(1, "a");
        cache.insert(2, "b");
        cache.insert(3, "c");
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&3), Some("c"));
    }
}
