"""cache-authentication and no-public-grants on every cloud, each breach also written the other valid ways."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.rules import access

from .support import check

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
AZURE_REDIS = "azure-native:redis:Redis"
SECURE_AZURE_REDIS = {"enableNonSslPort": False, "redisConfiguration": {"maxmemory-policy": "allkeys-lru"}}

# (type, compliant inputs, non-compliant inputs, part of the message)
CACHES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (GROUP, {"authToken": "[secret]"}, {"transitEncryptionEnabled": True}, "authToken is None; must be set"),
    (GROUP, {"userGroupIds": ["platform-users"]}, {"userGroupIds": []}, "authToken is None; must be set"),
    (GROUP, {"authToken": "t"}, {"authToken": ""}, "authToken is ''; must be set"),
    ("aws:elasticache/serverlessCache:ServerlessCache", {"userGroupId": "g"}, {}, "userGroupId is None"),
    (
        "aws:elasticache/cluster:Cluster",
        {"replicationGroupId": "platform-prod-redis"},
        {"engine": "redis", "nodeType": "cache.t4g.micro"},
        "a standalone cache node cannot require AUTH",
    ),
    ("gcp:redis/instance:Instance", {"authEnabled": True}, {"authEnabled": False}, "authEnabled is False"),
    ("gcp:redis/instance:Instance", {"authEnabled": "true"}, {}, "authEnabled is None; must be True"),
    (
        "gcp:redis/cluster:Cluster",
        {"authorizationMode": "AUTH_MODE_IAM_AUTH"},
        {"authorizationMode": "AUTH_MODE_DISABLED"},
        "authorizationMode is 'AUTH_MODE_DISABLED'",
    ),
    ("gcp:memorystore/instance:Instance", {"authorizationMode": "IAM_AUTH"}, {}, "authorizationMode is None"),
    (AZURE_REDIS, SECURE_AZURE_REDIS, {"enableNonSslPort": True}, "enableNonSslPort is True; must be False"),
    (
        AZURE_REDIS,
        {"redisConfiguration": {"authnotrequired": "false"}},
        {"redisConfiguration": {"authnotrequired": "true"}},
        "redisConfiguration.authnotrequired is 'true'; must be False",
    ),
    (
        AZURE_REDIS,
        {"disableAccessKeyAuthentication": True, "redisConfiguration": {"aadEnabled": "True"}},
        {"disableAccessKeyAuthentication": True, "redisConfiguration": {"aadEnabled": "false"}},
        "access keys are disabled and Microsoft Entra authentication (aadEnabled) is off",
    ),
    (
        "azure-native:redisenterprise:Database",
        {"clientProtocol": "Encrypted", "accessKeysAuthentication": "Disabled"},
        {"clientProtocol": "Plaintext"},
        "clientProtocol is 'Plaintext'",
    ),
]


@pytest.mark.parametrize(
    ("type_", "good", "bad", "expected"), CACHES, ids=[f"{c[0]}:{i}" for i, c in enumerate(CACHES)]
)
def test_cache_authentication(type_: str, good: dict[str, Any], bad: dict[str, Any], expected: str) -> None:
    assert check(access.cache_authentication, type_, good) == []
    messages = check(access.cache_authentication, type_, bad)
    assert any(expected in m for m in messages), messages


def test_shipped_cache_shapes_authenticate() -> None:
    """The inputs the platform's caches are built with (see the plans) are what the rule accepts."""
    aws = {"authToken": "[secret]", "transitEncryptionEnabled": True, "transitEncryptionMode": "required"}
    gcp = {"authEnabled": True, "transitEncryptionMode": "SERVER_AUTHENTICATION"}
    azure = {"enableNonSslPort": False, "disableAccessKeyAuthentication": False, "redisConfiguration": {}}
    for type_, props in ((GROUP, aws), ("gcp:redis/instance:Instance", gcp), (AZURE_REDIS, azure)):
        assert check(access.cache_authentication, type_, props) == []


# --- public grants ---------------------------------------------------------------------------------------

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ARN = "arn:aws:s3:::platform-config"


def statement(principal: Any = "*", condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict:
    found: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": "s3:GetObject", "Resource": f"{ARN}/*"}
    if condition is not None:
        found["Condition"] = condition
    return found


def policy(*statements: dict[str, Any], as_text: bool = True) -> Any:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return json.dumps(document) if as_text else document


CONFINED = [
    {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    {"StringEquals": {"aws:SourceVpc": ["vpc-0123456789abcdef0"]}},
    {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringEquals": {"aws:SourceAccount": "123456789012"}},
    {"StringEqualsIgnoreCase": {"AWS:SOURCEOWNER": "123456789012"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:123456789012:trail/*"}},
    {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/reader"}},
    {"StringEquals": {"kms:CallerAccount": "123456789012"}, "Bool": {"aws:SecureTransport": "true"}},
]
UNCONFINED = [
    None,
    {"Bool": {"aws:SecureTransport": "true"}},
    {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringLike": {"aws:SourceAccount": "*"}},
    {"StringLike": {"aws:SourceVpce": ["vpce-0123456789abcdef0", "vpce-*"]}},
    {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:*:trail/*"}},
    {"StringLike": {"aws:PrincipalOrgPaths": "o-*/*"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"StringEquals": {"aws:SourceVpce": []}},
]
EVERYONE = ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::123456789012:root", "*"]}]


@pytest.mark.parametrize("condition", CONFINED)
@pytest.mark.parametrize("as_text", [True, False], ids=["json-text", "object"])
def test_principal_star_confined_to_an_account_org_or_endpoint(condition: dict, as_text: bool) -> None:
    for principal in EVERYONE:
        props = {"policy": policy(statement(principal, condition), as_text=as_text)}
        assert check(access.no_public_grants, BUCKET_POLICY, props) == []


@pytest.mark.parametrize("condition", UNCONFINED, ids=[json.dumps(c) for c in UNCONFINED])
@pytest.mark.parametrize("principal", EVERYONE, ids=["star", "aws-star", "aws-list"])
def test_principal_star_unconfined_is_public(condition: dict | None, principal: Any) -> None:
    props = {"policy": policy(statement(principal, condition), as_text=False)}
    assert check(access.no_public_grants, BUCKET_POLICY, props) == [
        "r: statement 0 allows Principal * (storage and data must not be public)."
    ]


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (BUCKET_POLICY, {"policy": json.dumps({"Statement": statement()})}),  # one statement, not a list
        ("aws:s3/bucket:Bucket", {"policy": policy(statement())}),  # inline on the bucket
        ("aws:s3/bucketV2:BucketV2", {"policy": policy(statement())}),
        ("aws:s3/accessPoint:AccessPoint", {"policy": policy(statement())}),
        ("aws:sqs/queuePolicy:QueuePolicy", {"policy": policy(statement())}),
        ("aws:sqs/queue:Queue", {"policy": policy(statement())}),
        ("aws:sns/topicPolicy:TopicPolicy", {"policy": policy(statement())}),
        ("aws:secretsmanager/secretPolicy:SecretPolicy", {"policy": policy(statement())}),
        ("aws:kms/key:Key", {"policy": policy(statement())}),
        ("aws:kms/keyPolicy:KeyPolicy", {"policy": policy(statement())}),
        (BUCKET_POLICY, {"policy": {"statement": [{"effect": "allow", "principal": "*"}]}}),  # element case
    ],
)
def test_public_policy_in_every_form_and_store(type_: str, props: dict[str, Any]) -> None:
    messages = check(access.no_public_grants, type_, props)
    assert len(messages) == 1 and "allows Principal *" in messages[0], messages


def test_not_principal_allow_is_public_and_deny_or_named_principals_are_not() -> None:
    everyone_else = {"Sid": "All", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}}
    assert check(access.no_public_grants, BUCKET_POLICY, {"policy": policy(everyone_else)}) == [
        "r: statement All allows NotPrincipal (everyone else) (storage and data must not be public)."
    ]
    private = policy(
        statement(effect="Deny", condition={"Bool": {"aws:SecureTransport": "false"}}),
        statement({"Service": "cloudtrail.amazonaws.com"}),
        statement({"AWS": "arn:aws:iam::123456789012:root"}),
    )
    assert check(access.no_public_grants, BUCKET_POLICY, {"policy": private}) == []
    assert check(access.no_public_grants, BUCKET_POLICY, {"policy": "{not json"}) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        ("aws:s3/bucketAclV2:BucketAclV2", {"acl": "public-read"}, "canned ACL public-read"),
        ("aws:s3/bucketAcl:BucketAcl", {"acl": "authenticated-read"}, "canned ACL authenticated-read"),
        ("aws:s3/bucket:Bucket", {"acl": "public-read-write"}, "canned ACL public-read-write"),
        ("aws:s3/bucketObjectv2:BucketObjectv2", {"acl": "public-read"}, "canned ACL public-read"),
        (
            "aws:s3/bucketAclV2:BucketAclV2",
            {
                "accessControlPolicy": {
                    "grants": [
                        {
                            "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
                            "permission": "READ",
                        }
                    ]
                }
            },
            "a grant to http://acs.amazonaws.com/groups/global/AllUsers",
        ),
        (
            "aws:s3/bucketV2:BucketV2",
            {"grants": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}]},
            "a grant to http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
        ),
    ],
)
def test_public_s3_acls(type_: str, props: dict[str, Any], expected: str) -> None:
    assert check(access.no_public_grants, type_, props) == [f"r: {expected} (storage and data must not be public)."]
    private = {"acl": "private", "grants": [{"type": "CanonicalUser", "id": "abc"}]}
    assert check(access.no_public_grants, type_, private) == []


@pytest.mark.parametrize(
    ("type_", "field", "value"),
    [
        ("gcp:storage/bucketIAMMember:BucketIAMMember", "member", "allUsers"),
        ("gcp:storage/bucketIAMBinding:BucketIAMBinding", "members", ["user:a@example.com", "allAuthenticatedUsers"]),
        (
            "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
            "policyData",
            json.dumps({"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}),
        ),
        (
            "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
            "policyData",
            {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
        ),
        ("gcp:storage/managedFolderIamMember:ManagedFolderIamMember", "member", "allUsers"),
        ("gcp:secretmanager/secretIamMember:SecretIamMember", "member", "allAuthenticatedUsers"),
        ("gcp:projects/iAMMember:IAMMember", "member", "allUsers"),
        ("gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding", "members", ["allUsers"]),
        ("gcp:pubsub/topicIAMMember:TopicIAMMember", "member", "allUsers"),
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "member", "allAuthenticatedUsers"),
    ],
)
def test_gcp_public_members_in_every_iam_form(type_: str, field: str, value: Any) -> None:
    messages = check(access.no_public_grants, type_, {"role": "roles/viewer", field: value})
    assert len(messages) == 1 and "member all" in messages[0], messages
    named = "serviceAccount:app@platform-example.iam.gserviceaccount.com"
    private = [named] if isinstance(value, list) else named
    if field == "policyData":
        private = json.dumps({"bindings": [{"role": "roles/storage.objectViewer", "members": [named]}]})
    assert check(access.no_public_grants, type_, {"role": "roles/viewer", field: private}) == []


@pytest.mark.parametrize(
    ("type_", "props", "expected"),
    [
        (
            "gcp:storage/bucketACL:BucketACL",
            {"roleEntities": ["OWNER:project-owners-1", "READER:allUsers"]},
            "entity allUsers",
        ),
        ("gcp:storage/bucketACL:BucketACL", {"predefinedAcl": "publicRead"}, "predefinedAcl publicRead"),
        ("gcp:storage/bucketACL:BucketACL", {"defaultAcl": "publicRead"}, "defaultAcl publicRead"),
        ("gcp:storage/objectACL:ObjectACL", {"predefinedAcl": "authenticatedRead"}, "predefinedAcl authenticatedRead"),
        ("gcp:storage/defaultObjectACL:DefaultObjectACL", {"roleEntities": ["READER:allAuthenticatedUsers"]}, "entity"),
        ("gcp:storage/bucketAccessControl:BucketAccessControl", {"entity": "allUsers", "role": "READER"}, "entity"),
        ("gcp:storage/objectAccessControl:ObjectAccessControl", {"entity": "allUsers", "role": "READER"}, "entity"),
        ("gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl", {"entity": "allUsers"}, "entity"),
    ],
)
def test_gcs_public_acls(type_: str, props: dict[str, Any], expected: str) -> None:
    messages = check(access.no_public_grants, type_, props)
    assert len(messages) == 1 and expected in messages[0], messages
    private = {
        "roleEntities": ["READER:group-readers@example.com"],
        "entity": "project-owners-1",
        "predefinedAcl": "private",
    }
    assert check(access.no_public_grants, type_, private) == []


def test_azure_container_public_access() -> None:
    container = "azure-native:storage:BlobContainer"
    assert check(access.no_public_grants, container, {"publicAccess": "None"}) == []
    assert check(access.no_public_grants, container, {}) == []
    for level in ("Blob", "Container"):
        assert check(access.no_public_grants, container, {"publicAccess": level}) == [
            f"r: publicAccess {level} lets anyone read its blobs (storage and data must not be public)."
        ]


@pytest.mark.parametrize("kind", ["ClusterRoleBinding", "RoleBinding", "RoleBindingPatch"])
@pytest.mark.parametrize(
    "subject",
    [
        {"kind": "User", "name": "system:anonymous"},
        {"kind": "Group", "name": "system:unauthenticated"},
        {"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"},
    ],
)
def test_kubernetes_bindings_to_everyone(kind: str, subject: dict[str, str]) -> None:
    type_ = f"kubernetes:rbac.authorization.k8s.io/v1:{kind}"
    named = {"kind": "ServiceAccount", "name": "app", "namespace": "platform-prod"}
    assert check(access.no_public_grants, type_, {"subjects": [named]}) == []
    assert check(access.no_public_grants, type_, {"subjects": [named, subject]}) == [
        f"r: subject {subject['kind']} {subject['name']} (storage and data must not be public)."
    ]
