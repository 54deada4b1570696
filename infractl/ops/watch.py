"""What a shift watches while it bakes: the rollback alarms and the target groups' health."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from components.config import Color

from .. import errors

ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]


class Problem(NamedTuple):
    reason: str
    since: datetime | None  # when an alarm entered ALARM, to measure alarm-to-restored time


def check_alarms_exist(cloudwatch: Any, names: list[str]) -> None:
    found = {alarm["AlarmName"] for alarm in _alarms(cloudwatch, names)}
    missing = [name for name in names if name not in found]
    if missing:
        raise errors.UsageError(f"no such CloudWatch alarm: {', '.join(missing)}")


def _alarms(cloudwatch: Any, names: list[str]) -> list[dict[str, Any]]:
    if not names:
        return []
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=names, AlarmTypes=ALARM_TYPES)
    return [alarm for page in pages for alarm in (*page.get("MetricAlarms", []), *page.get("CompositeAlarms", []))]


def find_problems(elbv2: Any, cloudwatch: Any, alarms: list[str], pools: dict[Color, str]) -> list[Problem]:
    """Alarms in ALARM or no longer readable; else target groups with no healthy target or any unhealthy one.

    Alarms come first and alone: when one fires, the rollback does not wait for the health reads.
    """
    found = {alarm["AlarmName"]: alarm for alarm in _alarms(cloudwatch, alarms)}
    problems = [
        Problem(
            f"alarm {name} is in ALARM ({found[name].get('StateReason', '')})", found[name].get("StateUpdatedTimestamp")
        )
        if name in found
        else Problem(f"alarm {name} can no longer be read", None)
        for name in alarms
        if name not in found or found[name]["StateValue"] == "ALARM"
    ]
    if problems:
        return problems
    for colour, arn in pools.items():
        states = [
            t["TargetHealth"]["State"]
            for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        ]
        if "unhealthy" in states or "healthy" not in states:
            problems.append(
                Problem(f"{colour} targets unhealthy: {states.count('healthy')} of {len(states)} healthy", None)
            )
    return problems
