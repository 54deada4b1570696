"""How a rule is declared: name, description, remediation, parameters with defaults, and a check.

Every rule is MANDATORY unless the pack's config says otherwise (``policies/config/<env>.json``);
each parameter is a JSON-schema property with a ``default``, which the engine fills in before it
calls ``Configure`` and the checks fall back to when run without config (as in unit tests).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

Params = Mapping[str, Any]
Schema = dict[str, dict[str, Any]]
ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation, Params], None]
StackCheck = Callable[[StackValidationArgs, ReportViolation, Params], None]


def _params(schema: Schema, config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**{key: prop["default"] for key, prop in schema.items()}, **(config or {})}


def _rule(policy_class: Any, name: str, description: str, remediation: str, schema: Schema | None, severity: Severity):
    """Turn ``check(args, report, params)`` into a configurable policy of ``policy_class``."""
    properties = schema or {}

    def build(check: Any) -> Any:
        return policy_class(
            name=name,
            description=description,
            validate=lambda args, report: check(args, report, _params(properties, args.get_config())),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(properties) if properties else None,
            severity=severity,
            remediation_steps=remediation,
        )

    return build


def resource_rule(
    name: str, description: str, remediation: str, schema: Schema | None = None, severity: Severity = Severity.HIGH
) -> Callable[[ResourceCheck], ResourceValidationPolicy]:
    """Turn ``check(args, report, params)`` into a configurable resource policy."""
    return _rule(ResourceValidationPolicy, name, description, remediation, schema, severity)


def stack_rule(
    name: str, description: str, remediation: str, schema: Schema | None = None, severity: Severity = Severity.HIGH
) -> Callable[[StackCheck], StackValidationPolicy]:
    """Turn ``check(args, report, params)`` into a configurable stack policy."""
    return _rule(StackValidationPolicy, name, description, remediation, schema, severity)


def integer(default: int, description: str) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "default": default, "description": description}


def strings(default: Sequence[str], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


def integers(default: Sequence[int], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "integer"}, "default": list(default), "description": description}


def text(default: str, description: str) -> dict[str, Any]:
    return {"type": "string", "default": default, "description": description}


def dig(value: Any, path: str) -> Any:
    """The value at a dotted path (``settings.ipConfiguration.sslMode``, ``rules.0.x``), or None."""
    for part in path.split(".") if path else ():
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, Sequence) and not isinstance(value, str) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            return None
    return value


def items(value: Any, path: str) -> list[Any]:
    """The list at ``path`` (an absent list is empty)."""
    found = dig(value, path)
    return list(found) if isinstance(found, Sequence) and not isinstance(found, str) else []


def truthy(value: Any) -> bool:
    """Provider booleans arrive as bools or as "true"/"false" strings (launch templates)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_ISO_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


_SECONDS = re.compile(r"(\d+(?:\.\d+)?)s")


def days(value: Any) -> float | None:
    """A period in days: a number, an ISO 8601 duration as Azure writes them (``P30D``, ``P4W``, ``P1Y``), or a
    protobuf duration in seconds as GCP writes them (``2592000s``)."""
    if number(value) is not None:
        return number(value)
    protobuf = _SECONDS.fullmatch(str(value or ""))
    if protobuf:
        return float(protobuf[1]) / 86400
    found = _ISO_DURATION.fullmatch(str(value or "").upper())
    if not found or not any(found.groups()):
        return None
    years, months, weeks, whole_days, hours, minutes, seconds = (float(g or 0) for g in found.groups())
    return years * 365 + months * 30 + weeks * 7 + whole_days + hours / 24 + minutes / 1440 + seconds / 86400


def matches(value: str, patterns: Iterable[str]) -> bool:
    """Whether ``value`` matches any shell-style pattern (``t3.*``) or name."""
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)


# Where each cloud keeps a resource's key/value tags, in the order to read them. GCP's ``tags`` is a list
# of network tags (firewall targets), not key/value labels, so GCP resources are never read from ``tags``.
LABEL_PATHS: dict[str, tuple[str, ...]] = {
    "aws": ("tags",),
    "azure-native": ("tags",),
    "gcp": ("labels", "settings.userLabels"),
    "kubernetes": ("metadata.labels",),
}
DEFAULT_LABEL_PATHS = ("tags", "labels", "metadata.labels")


def labels(props: Mapping[str, Any], resource_type: str) -> dict[str, str]:
    """A resource's key/value tags or labels: AWS/Azure ``tags`` (a map, or an ASG key/value list),
    GCP ``labels`` / ``settings.userLabels``, Kubernetes ``metadata.labels``.

    Values that are not key/value (a list of GCP network tags) are skipped, never misread as labels.
    """
    for path in LABEL_PATHS.get(resource_type.partition(":")[0], DEFAULT_LABEL_PATHS):
        found = dig(props, path)
        if isinstance(found, Mapping):
            return {str(k): str(v) for k, v in found.items()}
        listed = isinstance(found, Sequence) and not isinstance(found, str)
        pairs = [t for t in found if isinstance(t, Mapping) and "key" in t] if listed else []
        if pairs:
            return {str(t["key"]): str(t.get("value")) for t in pairs}
    return {}


def tier_of(props: Mapping[str, Any], resource_type: str, name: str, tiers: Collection[str]) -> str | None:
    """The compute tier (web, api, worker) a resource serves, from its labels or else its name."""
    found = labels(props, resource_type)
    for key in ("tier", "service", "app", "app.kubernetes.io/component", "app.kubernetes.io/name"):
        if found.get(key) in tiers:
            return found[key]
    return next((tier for tier in tiers if tier in name.split("-")), None)


# Per Azure type: its ARM id below ``/resourceGroups/<group>/providers/``, and the inputs naming it.
ARM_IDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "azure-native:compute:VirtualMachineScaleSet": (
        "Microsoft.Compute/virtualMachineScaleSets/{}",
        ("vmScaleSetName",),
    ),
    "azure-native:compute:VirtualMachine": ("Microsoft.Compute/virtualMachines/{}", ("vmName",)),
    "azure-native:dbforpostgresql:Server": ("Microsoft.DBforPostgreSQL/flexibleServers/{}", ("serverName",)),
    "azure-native:network:NetworkSecurityGroup": (
        "Microsoft.Network/networkSecurityGroups/{}",
        ("networkSecurityGroupName",),
    ),
    "azure-native:network:Subnet": (
        "Microsoft.Network/virtualNetworks/{}/subnets/{}",
        ("virtualNetworkName", "subnetName"),
    ),
    "azure-native:network:ApplicationGateway": (
        "Microsoft.Network/applicationGateways/{}",
        ("applicationGatewayName",),
    ),
    "azure-native:redis:Redis": ("Microsoft.Cache/redis/{}", ("name",)),
    "azure-native:network:WebApplicationFirewallPolicy": (
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{}",
        ("policyName",),
    ),
    "azure-native:frontdoor:Policy": ("Microsoft.Network/FrontDoorWebApplicationFirewallPolicies/{}", ("policyName",)),
    "azure-native:cdn:Profile": ("Microsoft.Cdn/profiles/{}", ("profileName",)),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults/{}", ("vaultName",)),
}


def arm_id_of(value: Any, resource_type: str, props: Mapping[str, Any]) -> bool:
    """Whether ``value`` is the ARM id of the resource with these inputs (ARM ids ignore case).

    The subscription is not among a resource's inputs, so any subscription matches.
    """
    template, names = ARM_IDS.get(resource_type, ("", ()))
    group, parts = props.get("resourceGroupName"), [props.get(name) for name in names]
    if not template or not isinstance(value, str) or not all(isinstance(p, str) for p in (group, *parts)):
        return False
    tail = f"/resourceGroups/{group}/providers/{template.format(*parts)}"
    return re.fullmatch(r"/subscriptions/[^/]+" + re.escape(tail), value, re.IGNORECASE) is not None


def texts(value: Any) -> Iterator[str]:
    """Every string inside a property value (maps and lists walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from texts(v)
    elif isinstance(value, Sequence):
        for v in value:
            yield from texts(v)


def points_at(resource: PolicyResource, path: str, target: PolicyResource) -> bool:
    """Whether ``resource``'s property at ``path`` (``*`` over lists) names Azure resource ``target``: holds
    its ARM id, or was computed from ``target``'s outputs (how the engine sees an id unknown at preview)."""
    top = path.split(".", 1)[0]
    if any(d.urn == target.urn for d in resource.property_dependencies.get(top, [])):
        return True
    found = (v for value in values(resource.props, path) for v in texts(value))
    return any(arm_id_of(v, target.resource_type, target.props) for v in found)


MUST_BE_SET = ...
"""In a requirement table: the property must hold a non-empty value (e.g. a key id)."""
Requirement = tuple[str, Any]
"""``(path, expected)``: path may use ``*`` for every list element and ``a|b`` for alternatives;
expected is MUST_BE_SET, a boolean (False also matches absent), None (absent), a string (equal,
ignoring case) or a tuple of those."""


def values(value: Any, path: str) -> list[Any]:
    """Every value at ``path``, expanding ``*`` over lists; ``a|b`` takes the first path that is set."""
    if "|" in path:
        for alternative in path.split("|"):
            found = values(value, alternative)
            if any(v is not None for v in found):
                return found
        return [None]
    head, star, rest = path.partition("*")
    if not star:
        return [dig(value, path)]
    return [v for element in items(value, head.rstrip(".")) for v in values(element, rest.lstrip("."))]


def _meets(found: Any, expected: Any) -> bool:
    if expected is MUST_BE_SET:
        return found not in (None, "", [], {})
    if expected is None:
        return found is None
    if isinstance(expected, bool):
        return truthy(found) == expected
    if isinstance(expected, tuple):
        return any(_meets(found, option) for option in expected)
    return isinstance(found, str) and found.lower() == str(expected).lower()


def unmet(props: Mapping[str, Any], requirements: Iterable[Requirement]) -> list[str]:
    """One message per requirement the properties do not meet."""
    problems = []
    for path, expected in requirements:
        for found in values(props, path):
            if not _meets(found, expected):
                want = _describe(expected)
                problems.append(f"{path.split('|')[0]} is {found!r}; must be {want}")
    return problems


def _describe(expected: Any) -> str:
    if expected is MUST_BE_SET:
        return "set"
    return " or ".join(map(str, expected if isinstance(expected, tuple) else (expected,)))


def check_table(
    table: Mapping[str, Sequence[Requirement]], args: ResourceValidationArgs, report: ReportViolation, why: str
) -> None:
    """Report each unmet requirement of the resource's type in ``table``."""
    for problem in unmet(args.props, table.get(args.resource_type, ())):
        report(f"{args.name}: {problem} ({why}).")
