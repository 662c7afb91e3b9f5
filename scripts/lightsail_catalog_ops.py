"""The classification of every Lightsail API operation, read by scripts/lightsail-catalog.py.

One entry per operation of botocore's `lightsail` 2016-11-28 model: its category and a one-line
reason. A new botocore operation fails `lightsail-catalog.py --check` until it is added here.
"""

# Category key -> (label, sensitive). Sensitive categories need a rule or a correlation.
CATEGORIES = {
    "read": ("read", False),
    "routine": ("routine write", False),
    "exposure": ("exposure", True),
    "access": ("access to an instance or its credentials", True),
    "code": ("code or configuration run on an instance", True),
    "destruction": ("destruction", True),
    "exfiltration": ("data leaving the account", True),
    "defence": ("monitoring or defence turned off", True),
    "cost": ("cost", False),
}

# Reads that return no secret and change nothing. One reason for all of them.
READ_REASON = "describes resources, metrics or logs; returns no credential and changes nothing"
READS = """
GetActiveNames GetAlarms GetAutoSnapshots GetBlueprints GetBucketAccessKeys GetBucketBundles
GetBucketMetricData GetBuckets GetBundles GetCertificates GetCloudFormationStackRecords
GetContactMethods GetContainerAPIMetadata GetContainerImages GetContainerLog
GetContainerServiceDeployments GetContainerServiceMetricData GetContainerServicePowers
GetContainerServices GetCostEstimate GetDisk GetDiskSnapshot GetDiskSnapshots GetDisks
GetDistributionBundles GetDistributionLatestCacheReset GetDistributionMetricData GetDistributions
GetDomain GetDomains GetExportSnapshotRecords GetInstance GetInstanceMetricData
GetInstancePortStates GetInstanceSnapshot GetInstanceSnapshots GetInstanceState GetInstances
GetKeyPair GetKeyPairs GetLoadBalancer GetLoadBalancerMetricData GetLoadBalancerTlsCertificates
GetLoadBalancerTlsPolicies GetLoadBalancers GetOperation GetOperations GetOperationsForResource
GetProfile GetRegions GetRelationalDatabase GetRelationalDatabaseBlueprints
GetRelationalDatabaseBundles GetRelationalDatabaseEvents GetRelationalDatabaseLogEvents
GetRelationalDatabaseLogStreams GetRelationalDatabaseMetricData GetRelationalDatabaseParameters
GetRelationalDatabaseSnapshot GetRelationalDatabaseSnapshots GetRelationalDatabases
GetSetupHistory GetStaticIp GetStaticIps IsVpcPeered
""".split()

OPS = {
    # Access to an instance or its credentials.
    "GetInstanceAccessDetails": ("access", "returns a temporary SSH key or the Windows Administrator password of an instance"),
    "GetRelationalDatabaseMasterUserPassword": ("access", "returns a managed database's master password in clear text"),
    "DownloadDefaultKeyPair": ("access", "returns the private key that logs in to every instance launched with the region's default key"),
    "CreateKeyPair": ("access", "creates a login key pair (its private key is in the response) for new instances"),
    "ImportKeyPair": ("access", "imports an outside public key that new instances will trust"),
    "CreateBucketAccessKey": ("access", "creates a long-lived key that reads and writes every object of a bucket"),
    "CreateGUISessionAccessDetails": ("access", "creates the URLs of a browser desktop (DCV) session into an instance"),
    "StartGUISession": ("access", "opens a browser desktop (DCV) session into an instance"),
    "DeleteKnownHostKeys": ("access", "resets the host key the browser SSH/RDP client trusts for an instance, so any key is accepted next"),
    "AttachDisk": ("access", "mounts a disk, and every file on it, on an instance of the caller's choice"),
    # Code or configuration run on an instance.
    "CreateContainerServiceDeployment": ("code", "runs new container images, commands and environment on a container service"),
    "RegisterContainerImage": ("code", "pushes an image that a container service deployment can then run"),
    "CreateContainerServiceRegistryLogin": ("code", "returns credentials to push images to the container registry"),
    # Exposure.
    "OpenInstancePublicPorts": ("exposure", "opens instance ports to the addresses given, possibly the whole internet"),
    "PutInstancePublicPorts": ("exposure", "replaces the whole instance firewall, possibly opening ports to the internet"),
    "UpdateBucket": ("exposure", "can make a bucket's objects public or share them with other accounts"),
    "SetResourceAccessForBucket": ("exposure", "lets an instance read and write every object of a bucket"),
    "CreateRelationalDatabase": ("exposure", "can create a database whose endpoint accepts connections from the internet"),
    "CreateRelationalDatabaseFromSnapshot": ("exposure", "can restore a database with an endpoint that accepts connections from the internet"),
    "UpdateRelationalDatabase": ("exposure", "can make a database public, or turn its backups off"),
    "UpdateDistribution": ("exposure", "can point the CDN at another origin, serving its content under the site's name"),
    "CreateDomainEntry": ("exposure", "points a DNS name at any target: traffic and certificates for the name follow"),
    "UpdateDomainEntry": ("exposure", "repoints a DNS name at any target: traffic and certificates for the name follow"),
    "PeerVpc": ("exposure", "connects Lightsail instances to the account's default VPC on private addresses"),
    # Destruction.
    "DeleteInstance": ("destruction", "deletes a server and its system disk"),
    "DeleteDisk": ("destruction", "deletes a block-storage disk and its data"),
    "DeleteRelationalDatabase": ("destruction", "deletes a managed database, with or without a final snapshot"),
    "DeleteInstanceSnapshot": ("destruction", "deletes a recovery point of an instance"),
    "DeleteDiskSnapshot": ("destruction", "deletes a recovery point of a disk"),
    "DeleteAutoSnapshot": ("destruction", "deletes an automatic recovery point of an instance or disk"),
    "DeleteRelationalDatabaseSnapshot": ("destruction", "deletes a recovery point of a database"),
    "DeleteBucket": ("destruction", "deletes a bucket, and with forceDelete every object in it"),
    "DeleteDistribution": ("destruction", "deletes a CDN distribution: the site it serves goes offline"),
    "DeleteDomain": ("destruction", "deletes a DNS zone and every record in it"),
    "DeleteDomainEntry": ("destruction", "deletes a DNS record: the name stops resolving, or dangles"),
    "DeleteLoadBalancer": ("destruction", "deletes a load balancer and its certificates: the service behind it goes offline"),
    "DeleteContainerService": ("destruction", "deletes a container service and its deployments"),
    # Data leaving the account (or Lightsail, to where the pack does not watch).
    "ExportSnapshot": ("exfiltration", "copies a snapshot out of Lightsail into EC2, where it can be shared"),
    "CopySnapshot": ("exfiltration", "copies a snapshot, possibly into a region nobody watches"),
    "CreateCloudFormationStack": ("exfiltration", "launches an EC2 instance from an exported snapshot, outside Lightsail"),
    # Monitoring or defence turned off.
    "DeleteAlarm": ("defence", "removes a metric alarm"),
    "DeleteContactMethod": ("defence", "removes the email or SMS address alarms notify"),
    "DisableAddOn": ("defence", "can turn off automatic snapshots and delete the existing ones"),
    "UpdateInstanceMetadataOptions": ("defence", "can re-enable IMDSv1, which SSRF bugs read credentials through"),
    "UpdateRelationalDatabaseParameters": ("defence", "can turn off a database's TLS requirement, logging or other security settings"),
    # Cost.
    "CreateInstances": ("cost", "launches billed servers (mining when in unusual regions)"),
    "CreateInstancesFromSnapshot": ("cost", "launches billed servers from a snapshot"),
    "CreateContainerService": ("cost", "launches billed container capacity"),
    "UpdateContainerService": ("cost", "changes container capacity (power and scale) and public domains"),
    "UpdateBucketBundle": ("cost", "changes a bucket's storage plan"),
    "UpdateDistributionBundle": ("cost", "changes a distribution's plan"),
    # Routine writes.
    "AllocateStaticIp": ("routine", "reserves a static IP"),
    "AttachCertificateToDistribution": ("routine", "puts a certificate on a distribution"),
    "AttachInstancesToLoadBalancer": ("routine", "adds instances behind a load balancer on the port it already serves"),
    "AttachLoadBalancerTlsCertificate": ("routine", "puts a certificate on a load balancer"),
    "AttachStaticIp": ("routine", "gives an instance a static IP"),
    "CloseInstancePublicPorts": ("routine", "closes firewall ports (reduces exposure)"),
    "CreateBucket": ("routine", "creates a private bucket"),
    "CreateCertificate": ("routine", "requests a certificate, validated through DNS"),
    "CreateContactMethod": ("routine", "adds a notification address"),
    "CreateDisk": ("routine", "creates an empty disk"),
    "CreateDiskFromSnapshot": ("routine", "restores a disk in the account (attaching it is the sensitive step)"),
    "CreateDiskSnapshot": ("routine", "takes a backup that stays in the account"),
    "CreateDistribution": ("routine", "creates a CDN distribution for an origin of the account"),
    "CreateDomain": ("routine", "creates a DNS zone"),
    "CreateInstanceSnapshot": ("routine", "takes a backup that stays in the account (a correlation follows it out)"),
    "CreateLoadBalancer": ("routine", "creates a load balancer"),
    "CreateLoadBalancerTlsCertificate": ("routine", "requests a certificate for a load balancer"),
    "CreateRelationalDatabaseSnapshot": ("routine", "takes a database backup that stays in the account"),
    "DeleteBucketAccessKey": ("routine", "revokes a bucket key"),
    "DeleteCertificate": ("routine", "deletes a certificate that is not in use"),
    "DeleteContainerImage": ("routine", "removes an image no deployment needs to keep"),
    "DeleteKeyPair": ("routine", "removes a public key from Lightsail (instances keep theirs)"),
    "DeleteLoadBalancerTlsCertificate": ("routine", "removes a load balancer certificate"),
    "DetachCertificateFromDistribution": ("routine", "removes a certificate from a distribution"),
    "DetachDisk": ("routine", "unmounts a disk, which stays in the account"),
    "DetachInstancesFromLoadBalancer": ("routine", "takes instances out of a load balancer"),
    "DetachStaticIp": ("routine", "frees a static IP from its instance"),
    "EnableAddOn": ("routine", "turns on an add-on such as automatic snapshots"),
    "PutAlarm": ("routine", "creates or changes a metric alarm"),
    "RebootInstance": ("routine", "restarts a server"),
    "RebootRelationalDatabase": ("routine", "restarts a database"),
    "ReleaseStaticIp": ("routine", "gives a static IP back to AWS"),
    "ResetDistributionCache": ("routine", "empties a CDN cache"),
    "SendContactMethodVerification": ("routine", "sends a verification message to a notification address"),
    "SetIpAddressType": ("routine", "switches a resource between IPv4 and dual-stack"),
    "SetupInstanceHttps": ("routine", "installs a Let's Encrypt certificate through Lightsail's own script"),
    "StartInstance": ("routine", "starts a server"),
    "StartRelationalDatabase": ("routine", "starts a database"),
    "StopGUISession": ("routine", "ends a browser desktop session"),
    "StopInstance": ("routine", "stops a server"),
    "StopRelationalDatabase": ("routine", "stops a database"),
    "TagResource": ("routine", "adds tags"),
    "UntagResource": ("routine", "removes tags"),
    "TestAlarm": ("routine", "shows a test banner for an alarm"),
    "UnpeerVpc": ("routine", "disconnects the Lightsail VPC from the default VPC (reduces exposure)"),
    "UpdateLoadBalancerAttribute": ("routine", "changes a load balancer's health check, session stickiness or TLS policy"),
}

# requestParameters (and other top-level fields) of the fixture records that show each operation's
# sensitive form; an operation without an entry gets one record with names only. Several entries
# are several records: the rules that cover an operation are those that fire on any of them.
PORT_WORLD = {"cidrs": ["0.0.0.0/0"], "ipv6Cidrs": ["::/0"]}
EXAMPLES = {
    "OpenInstancePublicPorts": [
        {"requestParameters": {"instanceName": "web-1", "portInfo": {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}}},
        {"requestParameters": {"instanceName": "web-1", "portInfo": {"fromPort": 0, "toPort": 65535, "protocol": "all", **PORT_WORLD}}},
        {"requestParameters": {"instanceName": "db-1", "portInfo": {"fromPort": 3306, "toPort": 3306, "protocol": "tcp", "cidrs": ["0.0.0.0/0"]}}},
    ],
    "PutInstancePublicPorts": [
        {"requestParameters": {"instanceName": "web-1", "portInfos": [
            {"fromPort": 443, "toPort": 443, "protocol": "tcp", **PORT_WORLD},
            {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["0.0.0.0/1"]},
            {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrs": ["128.0.0.0/1"]}]}},
        {"requestParameters": {"instanceName": "cache-1", "portInfos": [
            {"fromPort": 6379, "toPort": 6379, "protocol": "tcp", "ipv6Cidrs": ["::/0"]}]}},
    ],
    "UpdateBucket": [
        {"requestParameters": {"bucketName": "media-1", "accessRules": {"getObject": "public", "allowPublicOverrides": False}}},
        {"requestParameters": {"bucketName": "media-1", "readonlyAccessAccounts": ["111122223333"]}},
    ],
    "SetResourceAccessForBucket": [{"requestParameters": {"bucketName": "media-1", "resourceName": "web-1", "access": "allow"}}],
    "CreateRelationalDatabase": [{"requestParameters": {"relationalDatabaseName": "db-1", "relationalDatabaseBlueprintId": "mysql_8_0", "relationalDatabaseBundleId": "micro_2_0", "masterDatabaseName": "app", "masterUsername": "admin", "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS", "publiclyAccessible": True}}],
    "CreateRelationalDatabaseFromSnapshot": [{"requestParameters": {"relationalDatabaseName": "db-2", "relationalDatabaseSnapshotName": "db-1-snap", "publiclyAccessible": True}}],
    "UpdateRelationalDatabase": [
        {"requestParameters": {"relationalDatabaseName": "db-1", "publiclyAccessible": True}},
        {"requestParameters": {"relationalDatabaseName": "db-1", "disableBackupRetention": True}},
    ],
    "UpdateDistribution": [{"requestParameters": {"distributionName": "site-1", "origin": {"name": "web-2", "regionName": "us-east-1", "protocolPolicy": "http-only"}}}],
    "CreateDomainEntry": [{"requestParameters": {"domainName": "example.com", "domainEntry": {"name": "www.example.com", "type": "A", "target": "192.0.2.10"}}}],
    "UpdateDomainEntry": [{"requestParameters": {"domainName": "example.com", "domainEntry": {"name": "www.example.com", "type": "A", "target": "192.0.2.11"}}}],
    "DeleteDomainEntry": [{"requestParameters": {"domainName": "example.com", "domainEntry": {"name": "old.example.com", "type": "A", "target": "192.0.2.12"}}}],
    "DisableAddOn": [{"requestParameters": {"resourceName": "web-1", "addOnType": "AutoSnapshot"}}],
    "UpdateInstanceMetadataOptions": [{"requestParameters": {"instanceName": "web-1", "httpTokens": "optional"}}],
    "UpdateRelationalDatabaseParameters": [{"requestParameters": {"relationalDatabaseName": "db-1", "parameters": [{"parameterName": "require_secure_transport", "parameterValue": "OFF", "applyMethod": "immediate"}]}}],
    "CopySnapshot": [{"awsRegion": "eu-west-1", "requestParameters": {"sourceSnapshotName": "web-1-snap", "targetSnapshotName": "web-1-copy", "sourceRegion": "us-east-1"}}],
    "ExportSnapshot": [{"requestParameters": {"sourceSnapshotName": "web-1-snap"}}],
    "CreateCloudFormationStack": [{"requestParameters": {"instances": [{"sourceName": "ExportSnapshotRecord-1a2b3c4d", "instanceType": "t3.micro", "portInfoSource": "INSTANCE", "availabilityZone": "us-east-1a"}]}}],
    "CreateInstances": [{"awsRegion": "ap-south-1", "requestParameters": {"instanceNames": ["node-1"], "availabilityZone": "ap-south-1a", "blueprintId": "ubuntu_24_04", "bundleId": "xlarge_3_0"}}],
    "CreateInstancesFromSnapshot": [{"awsRegion": "ap-south-1", "requestParameters": {"instanceNames": ["node-2"], "availabilityZone": "ap-south-1a", "instanceSnapshotName": "web-1-snap", "bundleId": "xlarge_3_0"}}],
    "CreateContainerService": [{"awsRegion": "ap-south-1", "requestParameters": {"serviceName": "svc-1", "power": "xlarge", "scale": 20}}],
    "GetInstanceAccessDetails": [{"requestParameters": {"instanceName": "web-1", "protocol": "ssh"}}],
    "CreateContainerServiceDeployment": [{"requestParameters": {"serviceName": "svc-1", "containers": {"app": {"image": "docker.io/library/nginx:1.27", "ports": {"80": "HTTP"}}}}}],
    "RegisterContainerImage": [{"requestParameters": {"serviceName": "svc-2", "label": "app", "digest": "sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"}}],
}
