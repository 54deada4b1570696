"""Blue-green releases: which colour is live, how traffic moves, when it rolls back."""

from __future__ import annotations

import itertools

from pydantic import Field, field_validator

from .base import Color, Model, Percent, Positive


class RollbackConfig(Model):
    """When a blue-green shift rolls back (SPEC.md: Blue-green).

    The fourth trigger, an exhausted connection pool, is measured against ``app.databasePoolSize``.
    """

    p95_latency_ms: Positive = 500
    error_rate_percent: Percent = 1
    cpu_percent: Percent = 90
    memory_percent: Percent = 90
    max_rollback_seconds: Positive = 120


class BlueGreenConfig(Model):
    """Which colour is live and how much traffic the other colour gets.

    ``canaryWeight`` is the percentage sent to the colour that is *not* active, so the two
    weights always sum to 100. Changing either and running ``pulumi up`` moves traffic.
    """

    active_color: Color = "blue"
    canary_weight: int = Field(0, ge=0, le=100)
    shift_steps: list[int] = [10, 25, 50, 100]
    bake_seconds: int = Field(300, ge=0, le=3600)
    deregistration_delay_seconds: int = Field(30, ge=0, le=3600)
    rollback: RollbackConfig = RollbackConfig()

    @field_validator("shift_steps")
    @classmethod
    def _steps_increase_to_100(cls, steps: list[int]) -> list[int]:
        if not steps or steps[-1] != 100 or any(b <= a for a, b in itertools.pairwise(steps)) or steps[0] <= 0:
            raise ValueError("must be strictly increasing percentages ending at 100, e.g. [10, 25, 50, 100]")
        return steps

    @property
    def weights(self) -> dict[Color, int]:
        inactive: Color = "green" if self.active_color == "blue" else "blue"
        return {self.active_color: 100 - self.canary_weight, inactive: self.canary_weight}
