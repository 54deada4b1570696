"""Blue-green releases: what each colour runs, which colour is live, how traffic moves, when it rolls back."""

from __future__ import annotations

import itertools
import re

from pydantic import Field, field_validator, model_validator

from .base import COLORS, Color, Model, Positive, SettingError, ThresholdPercent

# An OCI image reference (distribution/reference's grammar): [registry[:port]/]path[:tag][@sha256:digest].
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REGISTRY = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?/)?"
IMAGE_REFERENCE = re.compile(
    rf"^(?P<name>{_REGISTRY}{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
# The placeholder application: Google's public sample answers 200 on every path (so /health, /live and /ready)
# on $PORT. Blue and green default to its two published versions so a dev stack shows two releases side by side.
PLACEHOLDER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/hello-app"


class Release(Model):
    """What one colour runs: an OCI image (the same on VMs and pods) and a free version label."""

    image: str
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,62}$")

    @field_validator("image")
    @classmethod
    def _image_reference(cls, image: str) -> str:
        match = IMAGE_REFERENCE.match(image)
        if not match or len(match["name"]) > 255:
            raise ValueError("must be an OCI image reference, e.g. registry.example.com/team/app:1.2.3[@sha256:...]")
        if not (match["tag"] or match["digest"]):
            raise ValueError("needs a tag or a digest (an untagged reference means :latest, which moves)")
        if match["tag"] == "latest" and not match["digest"]:
            raise ValueError(":latest moves under a release; pin a version tag or a digest")
        return image

    @property
    def pinned(self) -> bool:
        """True when the image names its digest, so every instance and pod runs exactly the same bytes."""
        match = IMAGE_REFERENCE.match(self.image)
        return bool(match and match["digest"])


class RollbackConfig(Model):
    """When a blue-green shift rolls back (SPEC.md: Blue-green), and how fast it must notice.

    The fifth trigger, an exhausted connection pool, is the application's pool metric (scraped from
    ``/metrics``) reaching ``app.databasePoolSize``. Each signal is evaluated over ``windowSeconds`` x
    ``evaluationPeriods``; a shift polls the alarms every ``pollSeconds``. Detection plus one poll must fit
    in ``maxRollbackSeconds`` (checked), so a rollback finishes inside SPEC.md's two minutes.
    """

    p95_latency_ms: Positive = 500
    error_rate_percent: ThresholdPercent = 1
    cpu_percent: ThresholdPercent = 90
    memory_percent: ThresholdPercent = 90
    max_rollback_seconds: Positive = 120
    # 60 s is the finest period every cloud's load-balancer and VM metrics share (CloudWatch, Azure Monitor, GCP).
    window_seconds: int = Field(60, ge=60, le=3600, multiple_of=60)
    evaluation_periods: int = Field(1, ge=1, le=10)
    poll_seconds: int = Field(10, ge=1, le=300)
    # The application's gauge of database connections in use, scraped from compute.metricsPath; the pool is
    # exhausted when it reaches app.databasePoolSize.
    pool_in_use_metric: str = Field("database_pool_connections_in_use", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")

    @model_validator(mode="after")
    def _detection_fits_the_rollback_budget(self) -> RollbackConfig:
        detection = self.window_seconds * self.evaluation_periods
        if detection + self.poll_seconds > self.max_rollback_seconds:
            raise SettingError(
                "windowSeconds",
                self.window_seconds,
                f"{self.window_seconds} s x evaluationPeriods ({self.evaluation_periods}) + "
                f"pollSeconds ({self.poll_seconds}) = {detection + self.poll_seconds} s exceeds "
                f"maxRollbackSeconds ({self.max_rollback_seconds}); a rollback could not finish in time",
            )
        return self


class BlueGreenConfig(Model):
    """What each colour runs, which colour is live and how much traffic the other colour gets.

    ``canaryWeight`` is the percentage sent to the colour that is *not* active, so the two
    weights always sum to 100. Changing either and running ``pulumi up`` moves traffic. A release
    goes to the idle colour (``releases.<colour>``), is validated there, then receives traffic.
    """

    active_color: Color = "blue"
    canary_weight: int = Field(0, ge=0, le=100)
    shift_steps: list[int] = [10, 25, 50, 100]
    bake_seconds: int = Field(300, ge=0, le=3600)
    deregistration_delay_seconds: int = Field(30, ge=0, le=3600)
    rollback: RollbackConfig = RollbackConfig()
    releases: dict[Color, Release] = {
        "blue": Release(image=f"{PLACEHOLDER_IMAGE}:1.0", version="1.0.0"),
        "green": Release(image=f"{PLACEHOLDER_IMAGE}:2.0", version="2.0.0"),
    }

    @field_validator("shift_steps")
    @classmethod
    def _steps_increase_to_100(cls, steps: list[int]) -> list[int]:
        if not steps or steps[-1] != 100 or any(b <= a for a, b in itertools.pairwise(steps)) or steps[0] <= 0:
            raise ValueError("must be strictly increasing percentages ending at 100, e.g. [10, 25, 50, 100]")
        return steps

    @field_validator("releases")
    @classmethod
    def _both_colours(cls, releases: dict[Color, Release]) -> dict[Color, Release]:
        missing = [color for color in COLORS if color not in releases]
        if missing:
            raise ValueError(f"needs a release for {' and '.join(missing)} (each colour runs its own)")
        return releases

    @property
    def inactive_color(self) -> Color:
        return "green" if self.active_color == "blue" else "blue"

    @property
    def weights(self) -> dict[Color, int]:
        return {self.active_color: 100 - self.canary_weight, self.inactive_color: self.canary_weight}
