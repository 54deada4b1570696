"""Security past SPEC's minimum on GCP (issue 13): Cloud Armor, request and audit logs, pgAudit, least privilege."""

from __future__ import annotations

import pytest

from components.config import ConfigError, parse
from components.gcp.armor import WAF_RULES
from tests.conftest import STACKS
from tests.gcp.support import gcp_plan, named

POLICY = "gcp:compute/securityPolicy:SecurityPolicy"
BACKEND = "gcp:compute/backendService:BackendService"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
LOGS = "platform:gcp:AppLogs"
ACCESS = "platform:gcp:AccessRoles"
GROUPS = 'gcp.groupEmails={"admin":["ops@example.com"],"developer":["dev@example.com"],"viewer":["v@example.com"]}'


def _rules(p) -> dict[int, dict]:
    return {rule["priority"]: rule for rule in p.named(POLICY, "edge").inputs["rules"]}


@pytest.mark.parametrize("stack", STACKS)
def test_every_backend_service_runs_behind_cloud_armor_and_logs_its_requests(plan, stack):
    p = gcp_plan(plan, stack)
    policy = p.named(POLICY, "edge")
    assert policy.inputs["type"] == "CLOUD_ARMOR"
    backends = p.of_type(BACKEND)
    assert {b.name for b in backends} == {"web-blue", "web-green", "api-blue", "api-green"}
    for backend in backends:
        assert backend.inputs["loadBalancingScheme"] == "EXTERNAL_MANAGED"
        assert backend.property_dependencies["securityPolicy"] == [policy.urn], backend.name
        assert backend.inputs["securityPolicy"].endswith("/platform-" + stack + "-edge")
        assert backend.inputs["logConfig"] == {"enable": True, "sampleRate": 1.0}


def test_owasp_rules_deny_before_the_rate_limit_and_the_default_allows(plan):
    rules = _rules(gcp_plan(plan, "prod"))
    ordered = [rules[priority] for priority in sorted(rules)]
    waf = [rule for rule in ordered if rule["action"] == "deny(403)"]
    assert [rule["match"]["expr"]["expression"] for rule in waf] == [
        f"evaluatePreconfiguredWaf('{name}-v33-stable', {{'sensitivity': 1}})" for name in WAF_RULES
    ]
    assert {"sqli", "xss", "lfi", "rfi", "rce", "scannerdetection", "protocolattack", "sessionfixation"} <= set(
        WAF_RULES
    )
    throttle, default = ordered[len(waf)], ordered[-1]
    assert throttle["action"] == "throttle" and ordered.index(throttle) == len(waf)  # WAF verdicts come first
    assert default == {
        "priority": 2147483647,
        "action": "allow",
        "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
        "description": "default: allow",
    }


def test_the_rate_limit_is_the_applications_per_client_ip(plan):
    throttle = _rules(gcp_plan(plan, "prod"))[2000]["rateLimitOptions"]
    assert throttle == {
        "conformAction": "allow",
        "exceedAction": "deny(429)",
        "enforceOnKey": "IP",
        "rateLimitThreshold": {"count": 1000, "intervalSec": 60},  # app.rateLimitRequests per 60000 ms
    }
    changed = _rules(gcp_plan(plan, "dev", "app.rateLimitRequests=300", "app.rateLimitWindow=10000"))[2000]
    assert changed["rateLimitOptions"]["rateLimitThreshold"] == {"count": 300, "intervalSec": 10}


def test_waf_sensitivity_and_log_sampling_follow_config(plan):
    p = gcp_plan(plan, "dev", "gcp.armorWafSensitivity=2", "gcp.loadBalancerLogSampleRate=0.5")
    assert (
        _rules(p)[1000]["match"]["expr"]["expression"]
        == "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 2})"
    )
    assert p.named(BACKEND, "api-green").inputs["logConfig"] == {"enable": True, "sampleRate": 0.5}
    policy = p.named(POLICY, "edge").inputs
    assert policy["advancedOptionsConfig"] == {"jsonParsing": "STANDARD", "logLevel": "VERBOSE"}


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"app": {"rateLimitWindow": 45000}}, "app.rateLimitWindow = 45000: Cloud Armor rate-limits over 10000, "),
        ({"app": {"rateLimitWindow": 60500}}, "app.rateLimitWindow = 60500: Cloud Armor rate-limits over"),
        ({"app": {"rateLimitRequests": 1000001}}, "app.rateLimitRequests = 1000001: Cloud Armor throttles at most"),
    ],
)
def test_config_refuses_a_rate_limit_cloud_armor_cannot_count(sections, expected):
    with pytest.raises(ConfigError) as error:
        parse({"environment": "staging", "clouds": ["gcp"], **sections})
    assert expected in str(error.value)
    parse({"environment": "staging", "clouds": ["aws"], **sections})  # a GCP limit, not checked for other clouds


@pytest.mark.parametrize("stack", STACKS)
def test_storage_and_database_reads_and_writes_reach_the_audit_logs(plan, stack):
    p = gcp_plan(plan, stack)
    configs = {c.inputs["service"]: c.inputs for c in p.of_type("gcp:projects/iAMAuditConfig:IAMAuditConfig")}
    for service in ("storage.googleapis.com", "cloudsql.googleapis.com"):  # bucket objects; pgAudit entries
        assert {c["logType"] for c in configs[service]["auditLogConfigs"]} == {"DATA_READ", "DATA_WRITE"}
        assert "exemptedMembers" not in str(configs[service])
    sinks = named(p, LOGS, "gcp:logging/projectSink:ProjectSink")
    assert sinks["audit"].inputs["filter"] == 'logName:"projects/platform-example/logs/cloudaudit.googleapis.com"'
    assert sinks["load-balancer"].inputs["filter"] == 'resource.type="http_load_balancer"'  # requests, Armor verdicts
    assert not p.of_type("gcp:storage/bucketLogging:BucketLogging")  # legacy usage logs are not used
    assert all("logging" not in b.inputs for b in p.of_type("gcp:storage/bucket:Bucket"))


def test_prod_keeps_its_audit_logs_in_the_dr_region_too(plan):
    p = gcp_plan(plan, "prod")
    buckets, sinks = (
        named(p, LOGS, "gcp:logging/projectBucketConfig:ProjectBucketConfig"),
        named(p, LOGS, "gcp:logging/projectSink:ProjectSink"),
    )
    primary, dr = buckets["audit"].inputs, buckets["audit-dr"].inputs
    assert (primary["location"], dr["location"]) == ("us-central1", "us-east1")
    assert dr["retentionDays"] == primary["retentionDays"] == 365
    assert dr["bucketId"] == "platform-prod-audit-dr"
    assert sinks["audit-dr"].inputs["filter"] == sinks["audit"].inputs["filter"]  # every entry, as written
    assert sinks["audit-dr"].property_dependencies["destination"] == [buckets["audit-dr"].urn]
    assert "audit-dr" not in named(
        gcp_plan(plan, "staging"), LOGS, "gcp:logging/projectBucketConfig:ProjectBucketConfig"
    )


def test_each_database_instance_exports_its_logs_to_a_bucket_in_its_region(plan):
    p = gcp_plan(plan, "prod")
    buckets = named(p, LOGS, "gcp:logging/projectBucketConfig:ProjectBucketConfig")
    sinks = named(p, LOGS, "gcp:logging/projectSink:ProjectSink")
    for bucket, instance, region in (
        ("database", "platform-prod-postgres", "us-central1"),
        ("database-dr", "platform-prod-postgres-dr", "us-east1"),
    ):
        assert buckets[bucket].inputs["location"] == region
        assert buckets[bucket].inputs["retentionDays"] == 90
        log_filter = sinks[bucket].inputs["filter"]
        assert f'resource.labels.database_id="platform-example:{instance}"' in log_filter
        assert 'NOT logName:"cloudaudit.googleapis.com"' in log_filter  # pgAudit entries stay with the audit logs
        assert sinks[bucket].property_dependencies["destination"] == [buckets[bucket].urn]


@pytest.mark.parametrize("stack", STACKS)
def test_pgaudit_and_the_cis_logging_flags_on_the_primary_and_the_replica(plan, stack):
    p = gcp_plan(plan, stack)
    instances = [p.named(SQL, "postgres"), *([p.named(SQL, "postgres-dr")] if stack == "prod" else [])]
    for instance in instances:
        flags = {f["name"]: f["value"] for f in instance.inputs["settings"]["databaseFlags"]}
        assert flags["cloudsql.enable_pgaudit"] == "on"
        assert flags["pgaudit.log"] == "ddl,role" and flags["pgaudit.log_parameter"] == "off"
        assert {k: flags[k] for k in ("log_checkpoints", "log_lock_waits", "log_hostname")} == dict.fromkeys(
            ("log_checkpoints", "log_lock_waits", "log_hostname"), "on"
        )
        assert flags["log_connections"] == flags["log_disconnections"] == "on"
        assert (flags["log_min_error_statement"], flags["log_min_messages"]) == ("error", "warning")
        assert (flags["log_error_verbosity"], flags["log_statement"], flags["log_temp_files"]) == (
            "default",
            "ddl",
            "0",
        )
        assert flags["log_min_duration_statement"] == "1000"  # SPEC's slow queries, not CIS's -1
        assert len(flags) == len(instance.inputs["settings"]["databaseFlags"])  # each flag once


def test_viewers_read_only_this_stacks_app_and_database_logs_never_the_audit_logs(plan):
    p = gcp_plan(plan, "prod", GROUPS)
    roles = named(p, ACCESS, "gcp:projects/iAMCustomRole:IAMCustomRole")
    reading = {"logging.logEntries.list", "logging.privateLogEntries.list", "logging.views.access"}
    for role in ("viewer", "developer", "developer-resources"):
        assert not reading & set(roles[role].inputs["permissions"]), role  # no project-wide log reads
    assert reading <= set(roles["admin"].inputs["permissions"])
    views = named(p, ACCESS, "gcp:logging/logViewIamMember:LogViewIamMember")
    buckets = named(p, LOGS, "gcp:logging/projectBucketConfig:ProjectBucketConfig")
    readable = {"web", "api", "worker", "database", "load-balancer", "database-dr"}
    for role, member in (("viewer", "group:v@example.com"), ("developer", "group:dev@example.com")):
        granted = {
            name.removeprefix(f"{role}-0-").removesuffix("-logs"): v
            for name, v in views.items()
            if name.startswith(f"{role}-0-")
        }
        assert set(granted) == readable, role
        for purpose, view in granted.items():
            assert (view.inputs["role"], view.inputs["member"], view.inputs["name"]) == (
                "roles/logging.viewAccessor",
                member,
                "_AllLogs",
            )
            assert view.inputs["parent"] == "projects/platform-example"
            assert view.property_dependencies["bucket"] == [buckets[purpose].urn]
            assert view.inputs["location"] == buckets[purpose].inputs["location"]
    assert not [name for name in views if name.startswith("admin-")]  # admins read every view project-wide
    assert not [v for v in views.values() if "audit" in v.inputs["bucket"]]


def test_developers_deploy_only_this_stacks_compute_resources(plan):
    p = gcp_plan(plan, "prod", GROUPS)
    roles = named(p, ACCESS, "gcp:projects/iAMCustomRole:IAMCustomRole")
    scoped = set(roles["developer-resources"].inputs["permissions"])
    assert {"compute.urlMaps.update", "compute.instanceTemplates.create", "compute.backendServices.get"} <= scoped
    assert all(perm.startswith("compute.") and not perm.endswith(".list") for perm in scoped)
    assert not scoped & set(roles["developer"].inputs["permissions"])  # nothing granted twice, once unscoped
    assert "compute.instanceTemplates.list" in roles["developer"].inputs["permissions"]  # checked on the project
    bindings = named(p, ACCESS, "gcp:projects/iAMMember:IAMMember")
    grant = bindings["developer-0-resources"]
    assert grant.property_dependencies["role"] == [roles["developer-resources"].urn]
    assert grant.inputs["member"] == "group:dev@example.com"
    expression = grant.inputs["condition"]["expression"]
    for prefix in (
        "projects/platform-example/global/instanceTemplates/platform-prod-",
        "projects/platform-example/regions/us-central1/instanceGroupManagers/platform-prod-",
        "projects/platform-example/global/urlMaps/platform-prod-",
        "projects/platform-example/global/backendServices/platform-prod-",
    ):
        assert f'resource.name.startsWith("{prefix}")' in expression
    assert 'resource.name.extract("/instances/{name}").startsWith("platform-prod-")' in expression
    assert "condition" not in bindings["developer-0"].inputs and "condition" not in bindings["admin-0"].inputs
    staging = named(gcp_plan(plan, "staging", GROUPS), ACCESS, "gcp:projects/iAMMember:IAMMember")
    assert "platform-prod-" not in staging["developer-0-resources"].inputs["condition"]["expression"]
