//! The fixed vocabulary of the synthetic trail: account, regions, users, roles, user agents,
//! and the calls principals make (everyday and rare).

pub const ACCOUNT: &str = "123456789012";
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-1",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-2",
];
pub const USERS: &[&str] = &[
    "alice",
    "bob",
    "ci-deploy",
    "terraform",
    "jmartin",
    "ops-admin",
];
pub const ROLES: &[&str] = &[
    "OrganizationAccountAccessRole",
    "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
    "github-actions-deploy",
    "lambda-ingest-role",
    "eks-node-group-role",
];
pub const AGENTS: &[&str] = &[
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.164.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/ec2.describe-instances",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "console.amazonaws.com",
    "AWS Internal",
    "aws-sdk-java/1.12.680 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10 vendor/Amazon.com_Inc.",
];
/// (eventSource, eventNames, readOnly) for human and role callers: the everyday calls.
pub const CALLS: &[(&str, &[&str], bool)] = &[
    (
        "s3.amazonaws.com",
        &["GetObject", "HeadBucket", "ListBuckets", "GetBucketPolicy"],
        true,
    ),
    (
        "ec2.amazonaws.com",
        &[
            "DescribeInstances",
            "DescribeRouteTables",
            "DescribeVpcs",
            "DescribeSubnets",
            "DescribeSecurityGroups",
            "DescribeAddresses",
        ],
        true,
    ),
    (
        "ec2.amazonaws.com",
        &["CreateTags", "StartInstances"],
        false,
    ),
    (
        "ssm.amazonaws.com",
        &["GetParameter", "DescribeParameters", "GetParametersByPath"],
        true,
    ),
    ("ssm.amazonaws.com", &["PutParameter"], false),
    (
        "iam.amazonaws.com",
        &[
            "GetUser",
            "ListRoles",
            "ListAttachedRolePolicies",
            "GetRole",
        ],
        true,
    ),
    (
        "secretsmanager.amazonaws.com",
        &["DescribeSecret", "ListSecrets"],
        true,
    ),
    (
        "sts.amazonaws.com",
        &["GetCallerIdentity", "AssumeRole"],
        true,
    ),
    (
        "kms.amazonaws.com",
        &["Decrypt", "DescribeKey", "ListAliases"],
        true,
    ),
    (
        "rds.amazonaws.com",
        &["DescribeDBInstances", "DescribeDBSnapshots"],
        true,
    ),
    (
        "cloudtrail.amazonaws.com",
        &["LookupEvents", "DescribeTrails", "GetTrailStatus"],
        true,
    ),
    (
        "lambda.amazonaws.com",
        &["ListFunctions20150331", "GetFunction20150331v2"],
        true,
    ),
    (
        "lightsail.amazonaws.com",
        &["GetInstances", "GetRegions", "GetInstance", "GetBundles"],
        true,
    ),
];
/// Calls detection rules look for; rare in real traffic (about 1 principal record in 200).
pub const RARE_CALLS: &[(&str, &[&str], bool)] = &[
    (
        "ec2.amazonaws.com",
        &[
            "RunInstances",
            "AuthorizeSecurityGroupIngress",
            "ModifyInstanceAttribute",
            "CreateKeyPair",
        ],
        false,
    ),
    (
        "iam.amazonaws.com",
        &[
            "PutRolePolicy",
            "CreateAccessKey",
            "AttachUserPolicy",
            "CreateUser",
            "CreateLoginProfile",
        ],
        false,
    ),
    ("ssm.amazonaws.com", &["SendCommand", "StartSession"], false),
    ("secretsmanager.amazonaws.com", &["GetSecretValue"], true),
    (
        "cloudtrail.amazonaws.com",
        &["StopLogging", "UpdateTrail"],
        false,
    ),
    (
        "lightsail.amazonaws.com",
        &[
            "CreateInstances",
            "RebootInstance",
            "OpenInstancePublicPorts",
            "GetInstanceAccessDetails",
        ],
        false,
    ),
];
