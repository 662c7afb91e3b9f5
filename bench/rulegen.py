"""Sigma rule files for the benchmark, written from code (nothing is downloaded).

`sigmahq_shaped()` gives 57 rules in the shapes of SigmaHQ's `rules/cloud/aws/cloudtrail`:
a selection on eventSource + an eventName list, some with `contains`/`startswith` on
requestParameters or userAgent, some with a filter. `extra(n)` gives n more with distinct
eventNames and sources, as large rule sets have them. `unindexed()` gives the shapes the rule index
cannot narrow, as operators bring them from SigmaHQ: rules on `userAgent`, a source IP `cidr`,
`requestParameters` paths and text, ARN regexes, an `eventName` prefix, an identity type most
records have, and one rule that matches a good share of the records.
"""

import itertools
import os

# (eventSource, eventNames) pairs SigmaHQ's CloudTrail rules are written against.
SIGMA_SELECTIONS = [
    ("cloudtrail.amazonaws.com", ["StopLogging", "UpdateTrail", "DeleteTrail"]),
    ("cloudtrail.amazonaws.com", ["PutEventSelectors"]),
    ("config.amazonaws.com", ["DeleteDeliveryChannel", "StopConfigurationRecorder"]),
    ("ec2.amazonaws.com", ["DisableEbsEncryptionByDefault"]),
    ("ec2.amazonaws.com", ["CreateSnapshot", "ModifySnapshotAttribute"]),
    ("ec2.amazonaws.com", ["ModifyInstanceAttribute"]),
    ("ec2.amazonaws.com", ["CreateKeyPair", "ImportKeyPair"]),
    ("ec2.amazonaws.com", ["AuthorizeSecurityGroupIngress"]),
    ("ec2.amazonaws.com", ["CreateTrafficMirrorTarget", "CreateTrafficMirrorSession"]),
    ("ec2.amazonaws.com", ["DeleteFlowLogs"]),
    ("ec2.amazonaws.com", ["GetPasswordData"]),
    ("ec2.amazonaws.com", ["RunInstances"]),
    ("ecs.amazonaws.com", ["DescribeTaskDefinition", "RegisterTaskDefinition", "RunTask"]),
    ("eks.amazonaws.com", ["CreateCluster", "DeleteCluster"]),
    ("elasticache.amazonaws.com", ["CreateCacheSecurityGroup", "AuthorizeCacheSecurityGroupIngress"]),
    ("elasticfilesystem.amazonaws.com", ["DeleteFileSystem"]),
    ("guardduty.amazonaws.com", ["CreateIPSet", "DeleteDetector"]),
    ("iam.amazonaws.com", ["CreateAccessKey"]),
    ("iam.amazonaws.com", ["CreateLoginProfile", "UpdateLoginProfile"]),
    ("iam.amazonaws.com", ["AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"]),
    ("iam.amazonaws.com", ["PutRolePolicy", "PutUserPolicy", "PutGroupPolicy"]),
    ("iam.amazonaws.com", ["CreateUser"]),
    ("iam.amazonaws.com", ["DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary"]),
    ("iam.amazonaws.com", ["CreateSAMLProvider", "UpdateSAMLProvider"]),
    ("iam.amazonaws.com", ["DeactivateMFADevice", "DeleteVirtualMFADevice"]),
    ("kms.amazonaws.com", ["DisableKey", "ScheduleKeyDeletion"]),
    ("kms.amazonaws.com", ["PutKeyPolicy"]),
    ("lambda.amazonaws.com", ["UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2"]),
    ("lambda.amazonaws.com", ["AddPermission20150331v2"]),
    ("lightsail.amazonaws.com", ["GetInstanceAccessDetails"]),
    ("lightsail.amazonaws.com", ["OpenInstancePublicPorts", "PutInstancePublicPorts"]),
    ("lightsail.amazonaws.com", ["CreateInstances"]),
    ("logs.amazonaws.com", ["DeleteLogGroup", "DeleteLogStream"]),
    ("organizations.amazonaws.com", ["LeaveOrganization"]),
    ("rds.amazonaws.com", ["ModifyDBInstance", "RestoreDBInstanceFromDBSnapshot"]),
    ("route53.amazonaws.com", ["DisableDomainAutoRenew", "TransferDomainToAnotherAwsAccount"]),
    ("s3.amazonaws.com", ["PutBucketLogging", "PutBucketWebsite", "PutEncryptionConfiguration"]),
    ("s3.amazonaws.com", ["PutBucketPolicy", "DeleteBucketPolicy"]),
    ("s3.amazonaws.com", ["PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"]),
    ("s3.amazonaws.com", ["PutBucketReplication"]),
    ("secretsmanager.amazonaws.com", ["GetSecretValue"]),
    ("securityhub.amazonaws.com", ["BatchUpdateFindings", "DeleteInsight", "DisableSecurityHub"]),
    ("signin.amazonaws.com", ["ConsoleLogin"]),
    ("sso.amazonaws.com", ["DeletePermissionSet", "DetachManagedPolicyReferenceFromPermissionSet"]),
    ("ssm.amazonaws.com", ["SendCommand"]),
    ("ssm.amazonaws.com", ["StartSession", "ResumeSession"]),
    ("sts.amazonaws.com", ["GetSessionToken"]),
    ("sts.amazonaws.com", ["GetFederationToken"]),
    ("sts.amazonaws.com", ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]),
    ("waf.amazonaws.com", ["DeleteWebACL", "UpdateWebACL"]),
    ("wafv2.amazonaws.com", ["DeleteWebACL", "DeleteRuleGroup"]),
    ("bedrock.amazonaws.com", ["InvokeModel", "PutModelInvocationLoggingConfiguration"]),
    ("backup.amazonaws.com", ["DeleteBackupVault", "DeleteRecoveryPoint"]),
    ("ebs.amazonaws.com", ["GetSnapshotBlock"]),
    ("athena.amazonaws.com", ["StartQueryExecution"]),
    ("iam.amazonaws.com", ["UpdateAssumeRolePolicy"]),
    ("cloudtrail.amazonaws.com", ["DeleteEventDataStore", "StopEventDataStoreIngestion"]),
]
assert len(SIGMA_SELECTIONS) == 57, len(SIGMA_SELECTIONS)

# Extra detail on some rules, as SigmaHQ writes it: (selection lines, filter lines).
DETAIL = {
    7: (["    userAgent|contains: 'kali'"], []),
    11: (["    requestParameters.userData|startswith: 'IyEvYmluL'"], []),
    17: ([], ["    userIdentity.type: AWSService"]),
    20: (["    requestParameters.policyDocument|contains: 's3:*'"], []),
    22: ([], ["    userIdentity.arn|contains: ':assumed-role/AWSReservedSSO_'"]),
    29: ([], ["    errorCode: AccessDenied"]),
    31: (["    requestParameters.userData|contains: 'curl'"], []),
    40: ([], ["    userIdentity.type: AWSService"]),
    42: (["    additionalEventData.MFAUsed: 'No'"], []),
    44: (["    requestParameters.documentName|startswith: 'AWS-Run'"], []),
    47: (["    userAgent|contains: 'Boto3'"], []),
}

SERVICES = [
    "acm", "apigateway", "appsync", "autoscaling", "batch", "cloudformation", "cloudfront",
    "codebuild", "codecommit", "codepipeline", "cognito-idp", "dynamodb", "ecr", "elasticbeanstalk",
    "elasticloadbalancing", "elasticmapreduce", "es", "events", "firehose", "glue", "inspector2",
    "iot", "kafka", "kinesis", "macie2", "mq", "neptune", "network-firewall", "ram", "redshift",
    "sagemaker", "servicecatalog", "ses", "sns", "sqs", "states", "storagegateway", "transfer",
    "workspaces", "xray",
]
VERBS = ["Create", "Delete", "Update", "Put", "Attach", "Detach", "Disable", "Modify", "Remove",
         "Tag", "Untag", "Associate", "Disassociate", "Enable", "Reset"]
NOUNS = ["Policy", "Resource", "Configuration", "Endpoint", "Permission", "Role", "Key", "Group",
         "Rule", "Subscription", "Alias", "Snapshot", "Pipeline", "Domain", "Listener", "Trigger",
         "Repository", "Stack", "Queue", "Topic"]


def rule_yaml(rid, title, source, names, sel_extra=(), filters=()):
    names_yaml = "\n".join(f"      - {n}" for n in names)
    lines = [
        f"title: {title}",
        f"id: {rid}",
        "status: test",
        f"description: Detects {title.lower()}.",
        "author: trailwatch bench",
        "date: 2025-01-01",
        "tags:",
        "  - attack.defense-evasion",
        "logsource:",
        "  product: aws",
        "  service: cloudtrail",
        "detection:",
        "  selection:",
        f"    eventSource: {source}",
        "    eventName:",
        names_yaml,
        *sel_extra,
    ]
    if filters:
        lines += ["  filter:", *filters, "  condition: selection and not filter"]
    else:
        lines += ["  condition: selection"]
    lines += ["falsepositives:", "  - Administrators", "level: medium", ""]
    return "\n".join(lines)


def uuid(n, kind):
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def sigmahq_shaped():
    """The 57 rules as (file name, yaml)."""
    out = []
    for i, (source, names) in enumerate(SIGMA_SELECTIONS):
        sel, flt = DETAIL.get(i, ([], []))
        title = f"AWS {source.split('.')[0]} {' or '.join(names)}"
        out.append((f"sigma_{i:02}.yml", rule_yaml(uuid(i, 0x51), title, source, names, sel, flt)))
    return out


# (title, detection lines): each is checked against every record, or most of them.
UNINDEXED = [
    ("Offensive tool user agent", ["  selection:", "    userAgent|contains:", "      - sqlmap",
                                   "      - nmap", "      - kali", "      - parrot", "  condition: selection"]),
    ("Old CLI with errors", ["  selection:", "    userAgent|startswith: 'aws-cli/1.'",
                             "    errorCode|exists: true", "  condition: selection"]),
    ("Documentation address ranges", ["  selection:", "    sourceIPAddress|cidr:", "      - 203.0.113.0/24",
                                      "      - 198.51.100.0/24", "  condition: selection"]),
    ("Backup bucket touched", ["  selection:", "    requestParameters.bucketName|endswith: '-backup'",
                               "  condition: selection"]),
    ("Admin role session", ["  selection:", "    userIdentity.arn|re: ':assumed-role/[^/]*-admin/'",
                            "  condition: selection"]),
    ("Access denied", ["  selection:", "    errorCode:", "      - AccessDenied",
                       "      - UnauthorizedOperation", "      - Client.UnauthorizedOperation",
                       "  condition: selection"]),
    ("Boto3 from an assumed role", ["  selection:", "    userIdentity.type: AssumedRole",
                                    "    userAgent|contains: 'Boto3/1.4'", "  condition: selection"]),
    ("Deletes without MFA", ["  selection:", "    eventName|startswith: Delete",
                             "    userIdentity.sessionContext.attributes.mfaAuthenticated: 'false'",
                             "    userIdentity.type: IAMUser", "  condition: selection"]),
    ("Administrator policy in a request", ["  selection:", "    requestParameters|contains: 'AdministratorAccess'",
                                           "  condition: selection"]),
    ("Snapshot resource", ["  selection:", "    resources.ARN|contains: ':snapshot/'",
                           "    eventName|startswith: Modify", "  condition: selection"]),
    ("Old TLS", ["  selection:", "    tlsDetails.tlsVersion:", "      - TLSv1", "      - TLSv1.1",
                 "  condition: selection"]),
    ("Subnet enumeration by a role", ["  selection:", "    userIdentity.type: AssumedRole",
                                      "    eventName|startswith: DescribeSub", "  condition: selection"]),
]


def unindexed():
    """The rules of UNINDEXED as (file name, yaml)."""
    out = []
    for i, (title, detection) in enumerate(UNINDEXED):
        lines = [f"title: {title}", f"id: {uuid(i, 0x5E)}", "status: test", "author: trailwatch bench",
                 "logsource:", "  product: aws", "  service: cloudtrail", "detection:", *detection,
                 "level: medium", ""]
        out.append((f"unindexed_{i:02}.yml", "\n".join(lines)))
    return out


def extra(n):
    """n rules, each on its own service and eventName pair, none of them in the benign mix."""
    out = []
    combos = itertools.product(VERBS, NOUNS, SERVICES)
    for i, (verb, noun, service) in zip(range(n), combos):
        source = f"{service}.amazonaws.com"
        names = [f"{verb}{noun}", f"{verb}{noun}s"]
        title = f"Generated {service} {verb}{noun}"
        out.append((f"extra_{i:04}.yml", rule_yaml(uuid(i, 0xE0), title, source, names)))
    return out


def write(directory, rules):
    os.makedirs(directory, exist_ok=True)
    for name, text in rules:
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
