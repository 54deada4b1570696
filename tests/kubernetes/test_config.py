"""KubernetesConfig validation: pinned images, private egress ranges, DNS-label names."""

from __future__ import annotations

import pytest

from components.config import ConfigError, parse


def kubernetes(**values: object) -> dict:
    return {"environment": "dev", "kubernetes": {"enabled": True, **values}}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"images": {"web": "repo/web:latest", "api": "repo/api:1", "worker": "repo/worker:1"}}, "pinned"),
        ({"images": {"web": "repo/web", "api": "repo/api:1", "worker": "repo/worker:1"}}, "pinned"),
        ({"databaseCidrs": ["0.0.0.0/0"]}, "must be a private range"),
        ({"cacheCidrs": ["8.8.8.0/24"]}, "must be a private range"),
        ({"namespace": "Not_A_Label"}, "kubernetes.namespace"),
        ({"quotaCpu": "lots"}, "kubernetes.quotaCpu"),
        ({"pdbMinAvailablePercent": 101}, "kubernetes.pdbMinAvailablePercent"),
    ],
)
def test_rejected(values: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse(kubernetes(**values))


def test_digest_pinned_images_accepted() -> None:
    digest = "@sha256:" + "a" * 64
    cfg = parse(kubernetes(images={"web": "repo/web" + digest, "api": "repo/api:2.0", "worker": "r:5000/w:1"}))
    assert cfg.kubernetes.images["web"].endswith(digest)
