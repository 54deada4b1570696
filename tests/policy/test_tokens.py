"""Every resource type the pack names exists in its provider's SDK: a misspelt token would never match."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import policies.rules

# provider:module:Type, the type in PascalCase (``aws:kms:dsse`` is an encryption algorithm, not a type).
TOKEN = re.compile(r"(aws|gcp|azure-native|kubernetes):([\w.]+(?:/[\w.]+)?):([A-Z]\w*)")
SDKS = {
    "aws": "pulumi_aws",
    "gcp": "pulumi_gcp",
    "azure-native": "pulumi_azure_native",
    "kubernetes": "pulumi_kubernetes",
}


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Strings in a module-level constant: itself, or inside its (nested) dicts, tuples, lists and sets."""
    if isinstance(value, str):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(key, depth + 1)
            yield from _strings(inner, depth + 1)
    elif depth < 3 and isinstance(value, (tuple, list, set, frozenset)):
        for inner in value:
            yield from _strings(inner, depth + 1)


def _tokens() -> set[str]:
    found: set[str] = set()
    for module in pkgutil.iter_modules(policies.rules.__path__):
        rules = importlib.import_module(f"policies.rules.{module.name}")
        found |= {s for value in vars(rules).values() for s in _strings(value) if TOKEN.fullmatch(s)}
    return found


def _module_dir(token: str) -> Path:
    provider, module, _ = TOKEN.fullmatch(token).groups()  # type: ignore[union-attr]
    package = importlib.import_module(SDKS[provider])
    if provider == "kubernetes":  # kubernetes:apps/v1:Deployment -> pulumi_kubernetes/apps/v1
        group, _, version = module.rpartition("/")
        return Path(package.__file__).parent / group.split(".")[0].replace("-", "_") / version
    return Path(package.__file__).parent / module.split("/")[0]


TOKENS = sorted(_tokens())


def test_tokens_are_collected_from_every_rule_module() -> None:
    assert {
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "azure-native:eventgrid:SystemTopicEventSubscription",
        "gcp:secretmanager/regionalSecret:RegionalSecret",
        "kubernetes:storage.k8s.io/v1:StorageClass",
    } <= set(TOKENS)


@pytest.mark.parametrize("token", TOKENS)
def test_token_exists_in_its_sdk(token: str) -> None:
    directory = _module_dir(token)
    assert any(f'"{token}"' in f.read_text() for f in directory.glob("*.py")), f"{token} not in {directory}"
