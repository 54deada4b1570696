"""Access to data: caches make every client authenticate, and no grant opens storage or data to the public."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .base import MUST_BE_SET, Params, Requirement, check_table, dig, items, resource_rule, truthy

# Per cache type: what makes every client authenticate (Redis AUTH, RBAC user groups, IAM auth).
CACHE_AUTH: dict[str, list[Requirement]] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": [("authToken|userGroupIds.0", MUST_BE_SET)],
    "aws:elasticache/serverlessCache:ServerlessCache": [("userGroupId", MUST_BE_SET)],
    "gcp:redis/instance:Instance": [("authEnabled", True)],
    "gcp:redis/cluster:Cluster": [("authorizationMode", "AUTH_MODE_IAM_AUTH")],
    "gcp:memorystore/instance:Instance": [("authorizationMode", ("IAM_AUTH", "TOKEN_AUTH"))],
    # authnotrequired turns authentication off (VNet-injected caches); the non-TLS port would carry the
    # access key in clear text.
    "azure-native:redis:Redis": [("redisConfiguration.authnotrequired", False), ("enableNonSslPort", False)],
    "azure-native:redisenterprise:Database": [("clientProtocol", ("Encrypted", None))],
}
ELASTICACHE_NODE = "aws:elasticache/cluster:Cluster"
AZURE_REDIS = "azure-native:redis:Redis"


def _cache_identity(args: ResourceValidationArgs) -> list[str]:
    """Caches whose authentication is not a single property: a standalone ElastiCache node has no AUTH
    (only a replication group does), and an Azure cache needs access keys or Microsoft Entra on."""
    props = args.props
    if args.resource_type == ELASTICACHE_NODE and not props.get("replicationGroupId"):
        return ["a standalone cache node cannot require AUTH; create a replication group with an auth token"]
    if args.resource_type == AZURE_REDIS and truthy(props.get("disableAccessKeyAuthentication")):
        entra = truthy(dig(props, "redisConfiguration.aadEnabled"))
        return [] if entra else ["access keys are disabled and Microsoft Entra authentication (aadEnabled) is off"]
    return []


@resource_rule(
    name="cache-authentication",
    description="Caches make every client authenticate: Redis AUTH or user groups (AWS), AUTH or IAM (GCP), access "
    "keys or Microsoft Entra over TLS only (Azure).",
    remediation="AWS: create a replication group with authToken (or userGroupIds); serverless caches take a "
    "userGroupId. GCP: authEnabled on Memorystore for Redis, IAM authorization on clusters and Valkey. Azure: keep "
    "access keys or enable aadEnabled, never set authnotrequired, and keep the non-TLS port closed.",
)
def cache_authentication(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    check_table(CACHE_AUTH, args, report, "clients must authenticate to the cache")
    for problem in _cache_identity(args):
        report(f"{args.name}: {problem}.")


# --- public grants -------------------------------------------------------------------------------------

# GCP's members for everyone: anyone on the internet, and anyone with any Google account.
PUBLIC_MEMBERS = frozenset({"allusers", "allauthenticatedusers"})
PUBLIC_GCS_ACLS = frozenset({"publicread", "publicreadwrite", "authenticatedread"})
PUBLIC_S3_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_S3_GROUPS = ("acs.amazonaws.com/groups/global/allusers", "acs.amazonaws.com/groups/global/authenticatedusers")
K8S_PUBLIC_SUBJECTS = frozenset(
    {("user", "system:anonymous"), ("group", "system:unauthenticated"), ("group", "system:authenticated")}
)


def document(value: Any) -> Any:
    """A policy document given as JSON text or as an object; None when it is neither."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def field(mapping: Any, name: str) -> Any:
    """A policy-language element, whatever its case (``Statement``, ``statement``)."""
    if not isinstance(mapping, Mapping):
        return None
    return next((v for k, v in mapping.items() if str(k).lower() == name.lower()), None)


def listed(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them."""
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


# Condition keys that confine a statement to an account, an organization, a VPC or a VPC endpoint, when
# tested with a positive operator against fixed values (Amazon S3's "meaning of public", IAM Access Analyzer).
ACCOUNT_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:sourceorgid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:userid",
        "kms:calleraccount",
    }
)
ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
CONFINING_KEYS = ACCOUNT_KEYS | ARN_KEYS | ORG_PATH_KEYS
POSITIVE_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})
_WILDCARD = re.compile(r"[*?]")


def _fixed(key: str, value: Any) -> bool:
    """Whether a condition value names one account / organization / network rather than a pattern of them."""
    if not isinstance(value, str) or not value.strip():
        return False
    if key in ARN_KEYS:  # a wildcard may follow a fixed account (arn:aws:logs:us-east-1:123456789012:*)
        parts = value.split(":")
        return not _WILDCARD.search(value) or (len(parts) >= 6 and re.fullmatch(r"\d{12}", parts[4]) is not None)
    if key in ORG_PATH_KEYS:  # o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/*: any path under one organization
        return re.fullmatch(r"o-[a-z0-9]+", value.split("/", 1)[0]) is not None
    return not _WILDCARD.search(value)


def _confined(condition: Any) -> bool:
    """Whether a statement's conditions confine it to an account, organization, VPC or VPC endpoint.

    ``...IfExists`` and ``ForAllValues:`` pass when the key is absent, and negated operators pass for
    everyone else, so neither confines anything.
    """
    for operator, tests in condition.items() if isinstance(condition, Mapping) else ():
        name = str(operator).lower().removeprefix("foranyvalue:")
        if name not in POSITIVE_OPERATORS or not isinstance(tests, Mapping):
            continue
        for raw_key, expected in tests.items():
            key, values = str(raw_key).lower(), listed(expected)
            if key in CONFINING_KEYS and values and all(_fixed(key, v) for v in values):
                return True
    return False


def _everyone(statement: Mapping[str, Any]) -> str | None:
    """How an Allow statement names everyone: ``Principal: "*"``, ``{"AWS": "*"}``, or ``NotPrincipal``."""
    principal = field(statement, "Principal")
    if principal == "*" or "*" in listed(field(principal, "AWS")):
        return "Principal *"
    if field(statement, "NotPrincipal") is not None:
        return "NotPrincipal (everyone else)"
    return None


def public_statements(policy: Any) -> Iterator[str]:
    """Each Allow statement of an IAM resource policy (JSON text or object) open to everyone, unconfined."""
    for index, statement in enumerate(listed(field(document(policy), "Statement"))):
        if str(field(statement, "Effect")).lower() != "allow":
            continue
        everyone = _everyone(statement)
        if everyone and not _confined(field(statement, "Condition")):
            yield f"statement {field(statement, 'Sid') or index} allows {everyone}"


def _aws_acl(props: Mapping[str, Any]) -> Iterator[str]:
    """Canned ACLs and grants to S3's AllUsers / AuthenticatedUsers groups (any AWS account)."""
    acl = str(props.get("acl") or "")
    if acl.lower() in PUBLIC_S3_ACLS:
        yield f"canned ACL {acl}"
    grants = [*items(props, "grants"), *(dig(g, "grantee") for g in items(props, "accessControlPolicy.grants"))]
    for grant in grants:
        uri = str(dig(grant, "uri") or "")
        if uri.lower().endswith(PUBLIC_S3_GROUPS):
            yield f"a grant to {uri}"


def _gcs_acl(props: Mapping[str, Any]) -> Iterator[str]:
    """GCS ACL entries (``READER:allUsers``, entity ``allAuthenticatedUsers``) and predefined public ACLs."""
    entities = [props.get("entity"), *(str(e).rpartition(":")[2] for e in items(props, "roleEntities"))]
    yield from (f"entity {e}" for e in entities if isinstance(e, str) and e.lower() in PUBLIC_MEMBERS)
    for key in ("predefinedAcl", "defaultAcl"):
        if str(props.get(key) or "").lower() in PUBLIC_GCS_ACLS:
            yield f"{key} {props[key]}"


def _gcp_iam(props: Mapping[str, Any]) -> Iterator[str]:
    """allUsers / allAuthenticatedUsers in an IAM member, binding or whole policy (policyData)."""
    members = [props.get("member"), *items(props, "members")]
    members += [
        m
        for binding in listed(field(document(props.get("policyData")), "bindings"))
        for m in listed(field(binding, "members"))
    ]
    yield from (f"member {m}" for m in members if isinstance(m, str) and m.lower() in PUBLIC_MEMBERS)


def _k8s_subjects(props: Mapping[str, Any]) -> Iterator[str]:
    """RBAC bindings to anonymous or to every authenticated identity (on GKE: any Google account)."""
    for subject in items(props, "subjects"):
        kind, name = str(dig(subject, "kind") or "").lower(), str(dig(subject, "name") or "").lower()
        if (kind, name) in K8S_PUBLIC_SUBJECTS:
            yield f"subject {dig(subject, 'kind')} {dig(subject, 'name')}"


def _azure_container(props: Mapping[str, Any]) -> Iterator[str]:
    """A blob container readable anonymously (publicAccess Blob or Container)."""
    level = props.get("publicAccess")
    if level is not None and str(level).lower() != "none":
        yield f"publicAccess {level} lets anyone read its blobs"


def _policy_at(path: str) -> Callable[[Mapping[str, Any]], Iterator[str]]:
    return lambda props: public_statements(props.get(path))


def _s3_bucket(props: Mapping[str, Any]) -> Iterator[str]:
    yield from public_statements(props.get("policy"))
    yield from _aws_acl(props)


# Per type holding a resource policy, ACL or both: what in it is public. S3 buckets, access points and objects,
# the other AWS stores of data (queues, topics, secrets, keys), and Azure blob containers.
GRANTS: dict[str, Callable[[Mapping[str, Any]], Iterator[str]]] = {
    "azure-native:storage:BlobContainer": _azure_container,
    **{f"aws:s3/{t}": _s3_bucket for t in ("bucket:Bucket", "bucketV2:BucketV2")},
    **{f"aws:s3/{t}": _aws_acl for t in ("bucketAcl:BucketAcl", "bucketAclV2:BucketAclV2")},
    **{f"aws:s3/{t}": _aws_acl for t in ("bucketObject:BucketObject", "bucketObjectv2:BucketObjectv2")},
    **{
        token: _policy_at("policy")
        for token in (
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/accessPoint:AccessPoint",
            "aws:s3control/accessPointPolicy:AccessPointPolicy",
            "aws:sqs/queue:Queue",
            "aws:sqs/queuePolicy:QueuePolicy",
            "aws:sns/topic:Topic",
            "aws:sns/topicPolicy:TopicPolicy",
            "aws:secretsmanager/secret:Secret",
            "aws:secretsmanager/secretPolicy:SecretPolicy",
            "aws:kms/key:Key",
            "aws:kms/keyPolicy:KeyPolicy",
        )
    },
}
GCS_ACLS = frozenset(
    f"gcp:storage/{t}"
    for t in (
        "bucketACL:BucketACL",
        "bucketAccessControl:BucketAccessControl",
        "defaultObjectACL:DefaultObjectACL",
        "defaultObjectAccessControl:DefaultObjectAccessControl",
        "objectACL:ObjectACL",
        "objectAccessControl:ObjectAccessControl",
    )
)
GCP_IAM_KINDS = ("iammember", "iambinding", "iampolicy")
K8S_BINDINGS = frozenset({"RoleBinding", "ClusterRoleBinding", "RoleBindingPatch", "ClusterRoleBindingPatch"})


def _grants(resource_type: str) -> Callable[[Mapping[str, Any]], Iterator[str]] | None:
    """How to read a resource type's public grants: the table, GCS ACLs, every GCP IAM form, RBAC bindings."""
    provider, _, kind = resource_type.rpartition(":")
    if resource_type in GRANTS:
        return GRANTS[resource_type]
    if resource_type in GCS_ACLS:
        return _gcs_acl
    if provider.startswith("gcp:") and kind.lower().endswith(GCP_IAM_KINDS):
        return _gcp_iam
    if provider.startswith("kubernetes:rbac.authorization.k8s.io/") and kind in K8S_BINDINGS:
        return _k8s_subjects
    return None


@resource_rule(
    name="no-public-grants",
    description="No policy, ACL or IAM grant opens storage or data to everyone: no allUsers / "
    "allAuthenticatedUsers, no unconfined Principal *, no public ACL or container, no anonymous RBAC subject.",
    remediation="Grant named principals only. An AWS resource policy may name Principal * only with a condition "
    "that fixes the account, organization, VPC or VPC endpoint (aws:SourceAccount, aws:PrincipalOrgID, "
    "aws:SourceVpce ...); S3 and GCS ACLs stay private; Azure containers keep publicAccess None; Kubernetes binds "
    "roles to named users, groups and service accounts.",
)
def no_public_grants(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
    read = _grants(args.resource_type)
    for grant in read(args.props) if read else ():
        report(f"{args.name}: {grant} (storage and data must not be public).")


POLICIES = [cache_authentication, no_public_grants]
