"""How stack rules find the resources another one names, and check each subject as the engine would.

A reference is found by property dependency first (how the engine sees an id or ARN that is unknown at
preview), then by the value it holds: a cloud name, an ARN or an ARM id. A value unknown at preview never
matches a name, but counts as set: the engine will fill it in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation
from pulumi_policy.proxy import UnknownValueError

from .base import dig, points_at


def depends_on(resource: PolicyResource, key: str, target: PolicyResource) -> bool:
    """Whether ``resource``'s input ``key`` was computed from ``target``'s outputs."""
    return any(d.urn == target.urn for d in resource.property_dependencies.get(key, []))


def given(props: Mapping[str, Any], path: str) -> bool:
    """Whether the input at ``path`` holds a value (one unknown at preview will)."""
    try:
        found = dig(props, path)
    except UnknownValueError:
        return True
    return found not in (None, "", [], {})


def known(props: Mapping[str, Any], path: str) -> Any:
    """The input at ``path``, or None while it is unknown at preview."""
    try:
        return dig(props, path)
    except UnknownValueError:
        return None


def names(resource: PolicyResource, path: str, target: PolicyResource, *cloud_names: Any) -> bool:
    """Whether the input at ``path`` refers to ``target``: by dependency, or holding one of its cloud names."""
    if depends_on(resource, path.split(".", 1)[0], target):
        return True
    found = known(resource.props, path)
    return isinstance(found, str) and any(isinstance(n, str) and n and found == n for n in cloud_names)


def names_arm(resource: PolicyResource, path: str, target: PolicyResource) -> bool:
    """Whether the input at ``path`` (``*`` over lists) names Azure resource ``target`` (dependency or ARM id)."""
    try:
        return points_at(resource, path, target)
    except UnknownValueError:
        return False


def same_parent(resource: PolicyResource, target: PolicyResource, *keys: str) -> bool:
    """Whether an Azure child resource names ``target`` as its parent: by dependency on the parent-name input
    (the last key: ``serverName``, ``vaultName``, ``profileName``), or by equal values of every key."""
    if depends_on(resource, keys[-1], target):
        return True
    mine = [known(resource.props, k) for k in keys]
    return all(isinstance(v, str) for v in mine) and mine == [known(target.props, k) for k in keys]


def of_types(resources: Iterable[PolicyResource], types: Iterable[str]) -> list[PolicyResource]:
    wanted = frozenset(types)
    return [r for r in resources if r.resource_type in wanted]


def report_each(
    subjects: Iterable[PolicyResource], problems: Callable[[PolicyResource], Iterable[str]], report: ReportViolation
) -> None:
    """Report each subject's problems against the subject, skipping a subject whose own inputs are unknown at
    preview (as the engine skips a resource policy then), so one unknown value never silences the whole rule."""
    for subject in subjects:
        try:
            found = list(problems(subject))
        except UnknownValueError:
            continue
        for problem in found:
            report(f"{subject.name}: {problem}.", subject.urn)
