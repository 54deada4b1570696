"""The compute tiers: sizes, scaling signals, ports and probes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import CpuQuantity, MemoryQuantity, Model, Positive, SettingError, Tier


class ScalingTier(Model):
    """One compute tier: its scaling rule and its per-container limits on Kubernetes."""

    metric: Literal["cpu_utilization", "request_count", "queue_length"]
    target: float = Field(gt=0)
    min_size: int = Field(ge=1, le=100)
    max_size: int = Field(ge=1, le=100)
    cpu: CpuQuantity
    memory: MemoryQuantity

    @model_validator(mode="after")
    def _min_le_max(self) -> ScalingTier:
        if self.min_size > self.max_size:
            raise SettingError("minSize", self.min_size, f"must be <= maxSize ({self.max_size})")
        return self

    @model_validator(mode="after")
    def _cpu_target_is_a_percentage(self) -> ScalingTier:
        """Target tracking on CPU holds average utilisation at ``target`` percent: 100 or more never scales out."""
        if self.metric == "cpu_utilization" and self.target >= 100:
            raise SettingError("target", self.target, "a CPU utilisation target is a percentage: above 0 and below 100")
        return self


class ComputeConfig(Model):
    web: ScalingTier = ScalingTier(metric="cpu_utilization", target=70, min_size=2, max_size=10, cpu="1", memory="2Gi")
    api: ScalingTier = ScalingTier(metric="request_count", target=1000, min_size=3, max_size=15, cpu="2", memory="4Gi")
    worker: ScalingTier = ScalingTier(metric="queue_length", target=100, min_size=2, max_size=8, cpu="1", memory="2Gi")
    # Where the application listens: above 1024, so it runs as non-root without NET_BIND_SERVICE.
    app_port: int = Field(8080, ge=1025, le=65535)
    health_path: str = Field("/health", pattern=r"^/")
    liveness_path: str = Field("/live", pattern=r"^/")
    readiness_path: str = Field("/ready", pattern=r"^/")
    metrics_port: int = Field(9090, ge=1025, le=65535)
    metrics_path: str = Field("/metrics", pattern=r"^/")
    scrape_interval_seconds: Positive = 15
    root_volume_gb: int = Field(20, ge=8, le=1024)
    instance_warmup_seconds: int = Field(120, ge=0, le=3600)  # before a new instance counts for scaling/refresh
    refresh_min_healthy_percent: int = Field(90, ge=0, le=100)  # capacity kept in service during a rolling refresh
    queue_max_receive_count: int = Field(5, ge=1, le=1000)  # worker attempts before a message goes to the DLQ

    def tier(self, name: Tier) -> ScalingTier:
        return getattr(self, name)

    @model_validator(mode="after")
    def _metrics_match_tiers(self) -> ComputeConfig:
        if self.metrics_port == self.app_port:
            raise SettingError("metricsPort", self.metrics_port, f"must differ from appPort ({self.app_port})")
        expected = {"web": "cpu_utilization", "api": "request_count", "worker": "queue_length"}
        for name, metric in expected.items():
            actual = self.tier(name).metric  # type: ignore[arg-type]
            if actual != metric:
                raise SettingError(
                    f"{name}.metric", actual, f"must be {metric!r}: each tier's scaling is wired to that signal"
                )
        return self
