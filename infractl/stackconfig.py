"""Read a Pulumi project and a stack's configuration the way the Pulumi CLI hands it to a program."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ProgramError(Exception):
    """The program directory, stack or a --config override cannot be used."""


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str
    main: Path

    @classmethod
    def load(cls, directory: Path) -> Project:
        manifest = directory / "Pulumi.yaml"
        if not manifest.is_file():
            raise ProgramError(f"{directory} is not a Pulumi project: no Pulumi.yaml")
        spec = yaml.safe_load(manifest.read_text()) or {}
        runtime = spec.get("runtime")
        if (runtime.get("name") if isinstance(runtime, dict) else runtime) != "python":
            raise ProgramError(f"{manifest}: runtime must be python, not {runtime!r}")
        main = directory / spec.get("main", ".")
        if main.is_dir():
            main = main / "__main__.py"
        if not main.is_file():
            raise ProgramError(f"{directory}: no program at {main}")
        return cls(directory=directory, name=str(spec["name"]), main=main)

    def stacks(self) -> list[str]:
        """Every stack with a Pulumi.<stack>.yaml file, in name order."""
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.directory.glob("Pulumi.*.yaml"))

    def stack_config(self, stack: str, overrides: Sequence[str] = ()) -> tuple[dict[str, str], list[str]]:
        """The config map the engine would pass (``ns:key`` -> text) and the secret keys.

        Project-level defaults from Pulumi.yaml come first, then the stack file, then each
        ``KEY=VALUE`` override as ``pulumi config set [--path]`` would apply it for one run.
        """
        stack_file = self.directory / f"Pulumi.{stack}.yaml"
        if not stack_file.is_file():
            raise ProgramError(f"no stack file {stack_file.name} in {self.directory}")
        spec = yaml.safe_load((self.directory / "Pulumi.yaml").read_text()) or {}
        values: dict[str, Any] = {}
        for key, declared in (spec.get("config") or {}).items():
            if isinstance(declared, dict) and "default" in declared:
                values[self._qualify(key)] = declared["default"]
            elif not isinstance(declared, dict):
                values[self._qualify(key)] = declared
        secret_keys: list[str] = []
        for key, value in ((yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}).items():
            secure = isinstance(value, dict) and set(value) == {"secure"}
            if secure:
                secret_keys.append(self._qualify(key))
            values[self._qualify(key)] = "[secret]" if secure else value  # ciphertext cannot be decrypted offline
        for override in overrides:
            self._apply_override(values, override)
        return {key: _as_text(value) for key, value in values.items()}, secret_keys

    def _qualify(self, key: str) -> str:
        return key if ":" in key else f"{self.name}:{key}"

    def _apply_override(self, values: dict[str, Any], override: str) -> None:
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise ProgramError(f"--config {override!r}: expected KEY=VALUE")
        value = _parse_value(text)
        qualified = self._qualify(key.split(".")[0])
        path = key.split(".")[1:]
        if not path:
            values[qualified] = value
            return
        node = values.setdefault(qualified, {})
        if isinstance(node, str):
            node = values[qualified] = json.loads(node)
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ProgramError(f"--config {override!r}: {part} is not an object")
        node[path[-1]] = value


def _parse_value(text: str) -> Any:
    """JSON when it parses as an object or list (``clouds='["gcp"]'``), text otherwise."""
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProgramError(f"--config value {text!r} is not valid JSON: {exc}") from None
    return text


def _as_text(value: Any) -> str:
    """The engine passes scalars as text and objects/lists as JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
