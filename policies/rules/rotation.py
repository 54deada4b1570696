"""Secret rotation (prod): every secret rotates automatically, at most every ``secretRotationDays``.

What counts as rotation on each cloud:

- AWS Secrets Manager: a ``SecretRotation`` naming the secret, not disabled, whose ``rotationRules`` run at
  least every ``secretRotationDays`` (``automaticallyAfterDays``, ``rate(...)`` or ``cron(...)``).
- GCP Secret Manager: the secret's ``rotation`` (``rotationPeriod`` within the limit and a
  ``nextRotationTime``) and ``topics`` to publish the rotation notice to.
- Azure Key Vault: secrets have no native rotation. Microsoft's documented mechanism is the
  ``Microsoft.KeyVault.SecretNearExpiry`` event, published 30 days before a secret version expires, with a
  function that writes the next version: so the secret must expire (``properties.attributes.expires``) no later
  than ``secretRotationDays`` + 30 days from now, and an Event Grid subscription on its vault must deliver
  SecretNearExpiry (explicitly or as a default event type) for that secret's name. Key Vault keys rotate
  natively with a rotation policy, which the key-rotation rule checks.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from . import defaults
from .base import Params, days, dig, integer, items, number, stack_rule, truthy
from .links import given, known, names, names_arm, of_types, report_each, same_parent

AWS_SECRET = "aws:secretsmanager/secret:Secret"
AWS_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
_RATE = re.compile(r"rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)", re.IGNORECASE)
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}


def _month(text: str) -> int:
    return _MONTHS.get(text) or int(text)


def _months(field: str) -> set[int]:
    """The months a cron month field selects (``*``, ``1,7``, ``JAN-JUN``, ``*/3``, ``2/6``)."""
    selected: set[int] = set()
    for part in field.upper().split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            low, high = 1, 12
        else:
            low, high = _month(span.partition("-")[0]), _month(span.rpartition("-")[2])
            high = 12 if step and "-" not in span else high  # 2/6: from February every 6 months
        selected |= set(range(low, high + 1, int(step or 1)))
    return selected


def cron_days(expression: str) -> float | None:
    """The longest gap between runs of a Secrets Manager ``cron(min hour day-of-month month day-of-week year)``,
    in days, judged by the months it runs in; None when it runs only in some years or cannot be read."""
    fields = expression.split()
    if len(fields) != 6 or fields[5] not in ("*", "?"):
        return None
    try:
        months = sorted(_months(fields[3]))
        gap = max((later - earlier) % 12 or 12 for earlier, later in zip(months, [*months[1:], months[0]], strict=True))
    except (ValueError, IndexError):
        return None
    # A day of month past the 28th skips short months; a fifth weekday occurs only every two or three months.
    skipped = 2 if "#5" in fields[4] else int(any(int(d) > 28 for d in re.findall(r"\d+", fields[2])))
    return 31.0 * (gap + skipped)


def aws_schedule_days(rules: Any) -> float | None:
    """Days between rotations under ``rotationRules``: automaticallyAfterDays, rate() or cron()."""
    if number(dig(rules, "automaticallyAfterDays")) is not None:
        return number(dig(rules, "automaticallyAfterDays"))
    expression = str(dig(rules, "scheduleExpression") or "").strip()
    rate = _RATE.fullmatch(expression)
    if rate:
        return int(rate[1]) / (24 if rate[2].lower().startswith("hour") else 1)
    cron = re.fullmatch(r"cron\((.*)\)", expression, re.IGNORECASE)
    return cron_days(cron[1]) if cron else None


def _rotations_of(secret: PolicyResource, rotations: Sequence[PolicyResource]) -> list[PolicyResource]:
    """The SecretRotations naming the secret: by dependency, name, or ARN (``...:secret:<name>-AbCdEf``)."""
    name = known(secret.props, "name")
    return [
        r
        for r in rotations
        if names(r, "secretId", secret, name) or (name and f":secret:{name}-" in str(known(r.props, "secretId")))
    ]


def _aws(secret: PolicyResource, rotations: Sequence[PolicyResource], limit: int) -> Iterator[str]:
    mine = _rotations_of(secret, rotations)
    if not mine:
        yield f"no {AWS_ROTATION} names it"
    for rotation in mine:
        yield from _aws_rotation(rotation, limit)


def _aws_rotation(rotation: PolicyResource, limit: int) -> Iterator[str]:
    """A rotation that is off, has no readable schedule, or runs less often than the limit."""
    if rotation.props.get("rotationEnabled") is not None and not truthy(rotation.props.get("rotationEnabled")):
        yield f"{rotation.name} turns automatic rotation off (rotationEnabled false)"
        return
    period = aws_schedule_days(rotation.props.get("rotationRules"))
    if period is None:
        yield f"{rotation.name} has no rotationRules schedule it runs at least every {limit} days"
    elif period > limit:
        yield f"{rotation.name} rotates every {period:g} days; must be at most {limit}"


GCP_SECRETS = ("gcp:secretmanager/secret:Secret", "gcp:secretmanager/regionalSecret:RegionalSecret")


def _gcp(secret: PolicyResource, limit: int) -> Iterator[str]:
    period = days(dig(secret.props, "rotation.rotationPeriod"))
    if period is None or not given(secret.props, "rotation.nextRotationTime"):
        yield "no rotation (rotation.rotationPeriod and rotation.nextRotationTime)"
    elif period > limit:
        yield f"rotation.rotationPeriod is {period:g} days; must be at most {limit}"
    if not items(secret.props, "topics"):
        yield "no topics receive its rotation notices"


AZURE_SECRET = "azure-native:keyvault:Secret"
AZURE_VAULT = "azure-native:keyvault:Vault"
SYSTEM_TOPIC = "azure-native:eventgrid:SystemTopic"
TOPIC_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
RESOURCE_SUBSCRIPTION = "azure-native:eventgrid:EventSubscription"
NEAR_EXPIRY = "Microsoft.KeyVault.SecretNearExpiry"
NEAR_EXPIRY_LEAD_DAYS = 30  # Key Vault publishes SecretNearExpiry 30 days before the version expires


def _delivers_near_expiry(subscription: PolicyResource, secret_name: str) -> bool:
    """An Event Grid subscription that delivers SecretNearExpiry for this secret somewhere."""
    included = [str(t).lower() for t in items(subscription.props, "filter.includedEventTypes")]
    begins = str(known(subscription.props, "filter.subjectBeginsWith") or "")
    ends = str(known(subscription.props, "filter.subjectEndsWith") or "")
    delivered = given(subscription.props, "destination") or given(
        subscription.props, "deliveryWithResourceIdentity.destination"
    )
    return (
        delivered
        and (not included or NEAR_EXPIRY.lower() in included)
        and secret_name.startswith(begins)
        and secret_name.endswith(ends)
    )


def _vault_events(vault: PolicyResource, resources: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Event subscriptions on the vault: on its Event Grid system topic, or scoped to the vault itself."""
    topics = [
        t
        for t in of_types(resources, [SYSTEM_TOPIC])
        if names_arm(t, "source", vault) and str(known(t.props, "topicType")).lower() == "microsoft.keyvault.vaults"
    ]
    on_topics = [
        s
        for s in of_types(resources, [TOPIC_SUBSCRIPTION])
        if any(same_parent(s, t, "resourceGroupName", "systemTopicName") for t in topics)
    ]
    scoped = [s for s in of_types(resources, [RESOURCE_SUBSCRIPTION]) if names_arm(s, "scope", vault)]
    return [*on_topics, *scoped]


def _azure(secret: PolicyResource, resources: Sequence[PolicyResource], limit: int, now: float) -> Iterator[str]:
    expires = number(dig(secret.props, "properties.attributes.expires"))
    latest = now + (limit + NEAR_EXPIRY_LEAD_DAYS) * 86400
    if expires is None:
        yield "no expiry (properties.attributes.expires), so SecretNearExpiry never fires"
    elif expires > latest:
        lead = NEAR_EXPIRY_LEAD_DAYS
        yield f"expires {(expires - now) / 86400:.0f} days from now; rotation needs expiry within {limit} + {lead} days"
    name = str(known(secret.props, "secretName") or "")
    vaults = [v for v in of_types(resources, [AZURE_VAULT]) if same_parent(secret, v, "resourceGroupName", "vaultName")]
    if not any(_delivers_near_expiry(s, name) for v in vaults for s in _vault_events(v, resources)):
        yield f"no Event Grid subscription on its vault delivers {NEAR_EXPIRY} for it to a rotation function"


@stack_rule(
    name="secret-rotation",
    description="Prod secrets rotate automatically at most every secretRotationDays (SPEC.md: Security): "
    "Secrets Manager rotation, Secret Manager rotation with topics, Key Vault near-expiry rotation.",
    remediation="AWS: add a SecretRotation for the secret (the AWS rotation function for its engine) with "
    "rotationRules.automaticallyAfterDays <= secretRotationDays. GCP: set rotation.rotationPeriod, "
    "rotation.nextRotationTime and topics. Azure: give the secret an expiry within secretRotationDays + 30 days and "
    "subscribe a rotation function to the vault's Microsoft.KeyVault.SecretNearExpiry events.",
    schema={"secretRotationDays": integer(defaults.SECRET_ROTATION_DAYS, "Longest time between secret rotations")},
)
def secret_rotation(args: StackValidationArgs, report: ReportViolation, params: Params) -> None:
    resources, limit, now = list(args.resources), int(params["secretRotationDays"]), time.time()
    rotations, secrets = of_types(resources, [AWS_ROTATION]), of_types(resources, [AWS_SECRET])
    report_each(secrets, lambda s: _aws(s, rotations, limit), report)
    # Rotations of secrets managed elsewhere (an RDS-managed master password): never off, never too slow.
    claimed = {r.urn for s in secrets for r in _rotations_of(s, rotations)}
    report_each([r for r in rotations if r.urn not in claimed], lambda r: _aws_rotation(r, limit), report)
    report_each(of_types(resources, GCP_SECRETS), lambda s: _gcp(s, limit), report)
    report_each(of_types(resources, [AZURE_SECRET]), lambda s: _azure(s, resources, limit, now), report)


POLICIES = [secret_rotation]
