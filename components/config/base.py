"""Shared pieces of the config model: the base class, the error, the literal types and their values."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Environment = Literal["dev", "staging", "prod"]
Cloud = Literal["aws", "azure", "gcp"]
Color = Literal["blue", "green"]
Severity = Literal["critical", "high", "medium", "low"]
Tier = Literal["web", "api", "worker"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")
TIERS: tuple[Tier, ...] = ("web", "api", "worker")
COLORS: tuple[Color, ...] = ("blue", "green")

Percent = Annotated[float, Field(ge=0, le=100)]
Days = Annotated[int, Field(ge=1, le=3653)]
Positive = Annotated[int, Field(ge=1)]
K8S_CPU = re.compile(r"^\d+(\.\d+)?m?$")
K8S_MEMORY = re.compile(r"^\d+(Ki|Mi|Gi|Ti)?$")
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class ConfigError(pulumi.RunError):
    """Bad stack configuration. A RunError, so the engine prints the message without a traceback."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid stack configuration:\n  " + "\n  ".join(problems))


class Model(BaseModel):
    """Base for every config section: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def region_validator(allowed: frozenset[str], what: str):
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what}; allowed: {', '.join(sorted(allowed))}")
        return value

    return check
