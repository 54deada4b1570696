"""Read a Pulumi project and a stack's configuration the way the Pulumi CLI hands it to a program.

Every problem in ``Pulumi.yaml``, a stack file, a stack name or a ``--config`` override is one
``ProgramError`` that names the file and line (or the stack, or the override) and what is wrong,
before the program runs. YAML is read as Pulumi reads it (YAML 1.2: ``13:00``, ``yes`` and
``2024-01-01`` stay text), and what Pulumi refuses is refused here: duplicate keys, keys that are
not text, stack-file keys without a namespace.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from components.config.loading import misspelt_namespace

# Pulumi's own rule for stack and project names (validateStackName): no path separators, at most 100 characters.
NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
SECRET = "[secret]"  # what a secure value reads as offline: its ciphertext cannot be decrypted here


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
        document = _Document.read(manifest)
        spec = document.mapping()
        name = spec.get("name")
        if not (isinstance(name, str) and NAME.fullmatch(name)):
            raise document.error(
                f"name = {name!r}: a project needs a name of 1-100 letters, digits, -, _ and .", "name"
            )
        runtime = spec.get("runtime")
        if (runtime.get("name") if isinstance(runtime, dict) else runtime) != "python":
            raise document.error(f"runtime must be python, not {runtime!r}", "runtime")
        main_dir = spec.get("main", ".")
        if not isinstance(main_dir, str):
            raise document.error(f"main = {main_dir!r}: must be a path", "main")
        main = directory / main_dir
        if main.is_dir():
            main = main / "__main__.py"
        if not main.is_file():
            raise ProgramError(f"{directory}: no program at {main}")
        project = cls(directory=directory, name=name, main=main)
        project._defaults(document)  # a bad config section fails now, not at the first stack
        return project

    def stacks(self) -> list[str]:
        """Every stack with a Pulumi.<stack>.yaml file, in name order."""
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.directory.glob("Pulumi.*.yaml"))

    def stack_config(self, stack: str, overrides: Sequence[str] = ()) -> tuple[dict[str, str], list[str]]:
        """The config map the engine would pass (``ns:key`` -> text) and the secret keys.

        Project-level defaults from Pulumi.yaml come first, then the stack file, then each
        ``KEY=VALUE`` override as ``pulumi config set [--path]`` would apply it for one run.
        """
        if not NAME.fullmatch(stack):
            raise ProgramError(
                f"stack {stack!r}: a stack name is 1-100 letters, digits, -, _ and . (no spaces or path separators)"
            )
        stack_file = self.directory / f"Pulumi.{stack}.yaml"
        if not stack_file.is_file():
            raise ProgramError(f"no stack file {stack_file.name} in {self.directory}")
        values = self._defaults(_Document.read(self.directory / "Pulumi.yaml"))
        secret_keys: list[str] = []
        document = _Document.read(stack_file)
        for key, value in self._entries(document, qualify=False).items():
            secure = isinstance(value, dict) and set(value) == {"secure"}
            if secure:
                secret_keys.append(key)
            values[key] = SECRET if secure else value
        for override in overrides:
            self._apply_override(values, override)
        return {key: _as_text(value) for key, value in values.items()}, secret_keys

    def _defaults(self, document: _Document) -> dict[str, Any]:
        """Pulumi.yaml's ``config``: plain values, or declarations whose ``default`` applies to every stack."""
        values = {}
        for key, declared in self._entries(document, qualify=True).items():
            if isinstance(declared, dict) and "default" in declared:
                values[key] = declared["default"]
            elif not isinstance(declared, dict):
                values[key] = declared
        return values

    def _entries(self, document: _Document, qualify: bool) -> dict[str, Any]:
        """The ``config`` section by namespaced key, each key checked where it stands in the file.

        Pulumi.yaml may leave the project's namespace out (``qualify``); a stack file may not.
        """
        config = document.mapping().get("config")
        if config is None:
            return {}
        if not isinstance(config, dict):
            raise document.error("config must be a mapping of namespace:key to value", "config")
        entries = {}
        for key, value in config.items():
            where = document.line("config", key)
            namespace, colon, name = key.partition(":")
            name = name.removeprefix("config:")  # Pulumi still reads the old ns:config:key form
            if not colon and qualify:
                namespace, name = self.name, key
            if not (namespace and name) or ":" in name:
                raise document.error(
                    f"config key {key!r} must be <namespace>:<name>, e.g. {self.name}:{name or namespace}",
                    line=where,
                )
            if misspelt_namespace(namespace, self.name):
                raise document.error(
                    f"config key {key!r}: unknown namespace {namespace!r}; did you mean {self.name}:{name}? "
                    "(other namespaces are providers' config, e.g. aws:region)",
                    line=where,
                )
            if value is None:
                raise document.error(f"config key {key!r} has no value", line=where)
            entries[f"{namespace}:{name}"] = value
        return entries

    def _apply_override(self, values: dict[str, Any], override: str) -> None:
        """``KEY=VALUE`` as ``pulumi config set --path``: ``a.b[1].c``, ``["key.with.dots"]``, index = append."""
        key, sep, text = override.partition("=")
        if not sep or not key:
            raise ProgramError(f"--config {override!r}: expected KEY=VALUE")
        namespace, _, name = key.partition(":") if ":" in key.split(".")[0] else ("", "", key)
        path = _parse_path(name, override)
        qualified = f"{namespace or self.name}:{path[0]}"
        value = _parse_value(text, override)
        if len(path) == 1:
            values[qualified] = value
            return
        root = values.get(qualified)
        if isinstance(root, str) and root != SECRET and root[:1] in ("{", "["):
            root = _parse_value(root, override)
        if root is None:
            root = [] if isinstance(path[1], int) else {}
        values[qualified] = root
        _set_path(root, path[1:], _typed(value), qualified, override)


# One step of a key path: a name (after a '.' unless it is the first), an index [n] or a quoted key ["a.b"].
_PATH_STEP = re.compile(r'(?P<dot>\.?)(?P<name>[^.\[\]"]+)|\[(?P<index>\d+)\]|\["(?P<quoted>[^"]+)"\]')


def _parse_path(name: str, override: str) -> list[str | int]:
    """``a.b[1]["c.d"]`` -> ``["a", "b", 1, "c.d"]`` (Pulumi's property-path syntax)."""
    parts: list[str | int] = []
    position = 0
    while position < len(name):
        step = _PATH_STEP.match(name, position)
        if not step or (step["name"] is not None and bool(step["dot"]) != (position > 0)):
            raise ProgramError(
                f"--config {override!r}: cannot read the key path at {name[position:]!r}; "
                'write name.name, name[0] or name["key.with.dots"]'
            )
        parts.append(int(step["index"]) if step["index"] is not None else step["name"] or step["quoted"])
        position = step.end()
    if not parts or not isinstance(parts[0], str):
        raise ProgramError(f"--config {override!r}: the key path must start with a name")
    return parts


def _set_path(node: Any, path: list[str | int], value: Any, where: str, override: str) -> None:
    """Set ``value`` at ``path`` inside ``node``, creating objects and lists on the way, like Pulumi."""
    for position, part in enumerate(path):
        last = position == len(path) - 1
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ProgramError(
                    f"--config {override!r}: {where} is {_kind(node)}, not a list; [{part}] cannot apply"
                )
            if part > len(node):
                raise ProgramError(
                    f"--config {override!r}: {where}[{part}] is past the end of {where} ({len(node)} items); "
                    f"use [{len(node)}] to append"
                )
            if part == len(node):
                node.append(None)
        elif not isinstance(node, dict):
            raise ProgramError(
                f"--config {override!r}: {where} is {_kind(node)}, so nothing can be set inside it ({where}.{part})"
            )
        if last:
            node[part] = value
            return
        child = node.get(part) if isinstance(node, dict) else node[int(part)]
        if child is None:
            child = [] if isinstance(path[position + 1], int) else {}
            node[part] = child
        node, where = child, f"{where}[{part}]" if isinstance(part, int) else f"{where}.{part}"


def _kind(value: Any) -> str:
    if value == SECRET:
        return "a secret (set it whole)"
    if isinstance(value, dict):
        return "an object"
    return f"the single value {json.dumps(value)}" if not isinstance(value, list) else "a list"


def _parse_value(text: str, override: str) -> Any:
    """JSON when it parses as an object or list (``clouds='["gcp"]'``), text otherwise; numbers must be finite."""
    if text[:1] not in ("{", "["):
        return text

    def finite(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise ValueError(f"{number} is not a finite number")
        return value

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not a finite number")

    try:
        return json.loads(text, parse_float=finite, parse_constant=refuse)
    except ValueError as exc:
        raise ProgramError(f"--config {override!r}: the value is not valid JSON: {exc}") from None


def _typed(value: Any) -> Any:
    """A value set by path is typed as ``pulumi config set --path`` types it: true/false, integers, else text."""
    if not isinstance(value, str):
        return value
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?[1-9]\d*|0", value):
        return int(value)
    return value


def _as_text(value: Any) -> str:
    """The engine passes scalars as text and objects/lists as JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


@dataclass(frozen=True)
class _Document:
    """One YAML file, read as Pulumi reads it, with the line of each top-level and config key."""

    path: Path
    data: Any
    lines: dict[tuple[str, ...], int]

    @classmethod
    def read(cls, path: Path) -> _Document:
        raw = path.read_bytes()
        shown = _shown(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ProgramError(
                f"{shown}:{line}: byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8"
            ) from None
        try:
            loader = _Loader(text)
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            raise ProgramError(f"{shown}:{line}: character #x{exc.character:04x} is not allowed in YAML") from None
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            raise ProgramError(_yaml_problem(shown, exc)) from None
        finally:
            loader.dispose()
        return cls(path=path, data=data, lines=_key_lines(node))

    def mapping(self) -> dict[str, Any]:
        if self.data is None:
            return {}
        if not isinstance(self.data, dict):
            raise self.error(f"the top level must be a mapping (name: value lines), not a {type(self.data).__name__}")
        return self.data

    def line(self, *keys: str) -> int:
        return self.lines.get(keys) or self.lines.get(keys[:1]) or 1

    def error(self, message: str, key: str | None = None, line: int | None = None) -> ProgramError:
        where = line or (self.line(key) if key else 1)
        return ProgramError(f"{_shown(self.path)}:{where}: {message}")


def _key_lines(node: yaml.Node | None) -> dict[tuple[str, ...], int]:
    """The line of each top-level key and of each key under ``config``."""
    lines: dict[tuple[str, ...], int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        lines[(key.value,)] = key.start_mark.line + 1
        if key.value == "config" and isinstance(value, yaml.MappingNode):
            for entry, _ in value.value:
                lines[("config", entry.value)] = entry.start_mark.line + 1
    return lines


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _yaml_problem(shown: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        problem = "a tab character here; YAML indents with spaces only"
    if not (exc.context and exc.context_mark):
        return f"{where}: {problem}"
    if problem.startswith("but "):  # "expected a single document (line 1), but found another document"
        return f"{where}: {exc.context} (line {exc.context_mark.line + 1}), {problem}"
    return f"{where}: {problem} ({exc.context} at line {exc.context_mark.line + 1})"


class _Loader(yaml.SafeLoader):
    """YAML 1.2's core schema, as Pulumi (Go yaml.v3) reads stack files, refusing what Pulumi refuses.

    PyYAML's defaults are YAML 1.1, which reads ``13:00`` as 780, ``yes`` as true and ``2024-01-01``
    as a date; here those stay text. Keys must be text and unique in each mapping; numbers finite.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise ConstructorError(
                    None,
                    None,
                    f"key {key_node.value!r} reads as {type(key).__name__}, not text; quote it",
                    key_node.start_mark,
                )
            if key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {seen[key]}); Pulumi refuses duplicates",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        return int(text, 0) if text[1:2] in ("o", "x") else int(text)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        text = str(self.construct_scalar(node))
        if text.lstrip("+-").lower() in (".inf", ".nan"):
            raise ConstructorError(
                None, None, f"{text} is not a finite number; config values must be finite", node.start_mark
            )
        return float(text)


for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("merge", r"<<", "<"),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
