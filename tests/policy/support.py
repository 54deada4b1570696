"""Call the pack's rules directly, with the SDK's own argument objects, and collect what they report."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

OPTIONS = PolicyResourceOptions(False, [], None, [], None, [], None)  # type: ignore[arg-type]
PROTECTED = PolicyResourceOptions(True, [], None, [], None, [], None)  # type: ignore[arg-type]


def check(
    policy: ResourceValidationPolicy,
    type_: str,
    props: dict[str, Any],
    config: dict | None = None,
    protect: bool = False,
) -> list[str]:
    messages: list[str] = []
    options = PROTECTED if protect else OPTIONS
    args = ResourceValidationArgs(type_, props, f"urn:pulumi:test::p::{type_}::r", "r", options, None, config)
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


def resource(type_: str, name: str, props: dict[str, Any], provider_region: str | None = None) -> PolicyResource:
    urn = f"urn:pulumi:test::p::{type_}::{name}"
    return PolicyResource(type_, props, urn, name, OPTIONS, None, None, [], {})


def check_stack(policy: StackValidationPolicy, resources: list[PolicyResource]) -> list[str]:
    messages: list[str] = []
    policy.validate(StackValidationArgs(resources, None), lambda message, urn=None: messages.append(message))
    return messages
