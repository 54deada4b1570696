"""Shared helpers of the Azure tests: the Azure stacks and lookups by component."""

from __future__ import annotations

from infractl import cli

AZURE = 'clouds=["azure"]'


def azure_plan(plan, stack: str, *overrides: str):
    """The stack on Azure only (the stack files ship AWS), with more overrides if given."""
    return plan(stack, AZURE, *overrides)


def refused(capsys, stack: str, *overrides: str) -> list[str]:
    """``infractl plan`` of the stack on Azure with ``overrides``, which must exit 2 having planned nothing: the
    lines it printed."""
    code = cli.main(["plan", "--stack", stack, "--config", AZURE, *(arg for o in overrides for arg in ("--config", o))])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    return [line.strip() for line in err.splitlines()]


def only(p, component: str, type_: str):
    """The one resource of ``type_`` directly under ``component``."""
    (resource,) = [r for r in p.children(component) if r.type == type_]
    return resource


def named(p, component: str, type_: str) -> dict:
    """Resources of ``type_`` directly under ``component``, by logical name."""
    return {r.name: r for r in p.children(component) if r.type == type_}
