"""Run a Pulumi Python program under Pulumi's own mock runtime and record what it registers.

This is what the engine would see on ``pulumi preview``: every resource with its inputs
(as sent over the resource-monitor protocol), options, parent and dependencies, and the
stack outputs. No CLI, plugin or cloud account is involved.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import runpy
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from . import jsontext
from .mocks import RealisticMocks
from .stackconfig import Project

SECRET = "[secret]"


@dataclass
class Resource:
    """One registration, as the engine receives it."""

    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    protect: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    # Input path (``tags.Name``, ``rules[0].key``) -> digest of each secret value shown as ``[secret]``:
    # what a diff compares, never printed.
    secret_digests: dict[str, str] = field(default_factory=dict)
    # The same paths -> the secret values themselves, still marked secret: only for the policy pack, which the
    # engine hands secrets to (``pulumi_policy`` unwraps them for the rules). Never printed.
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Output:
    """A resolved stack output; printers show ``[secret]`` in place of secret values."""

    value: Any
    secret: bool
    kind: str = "null"  # JSON type of the real value (secrets included): what consumers rely on
    digest: str = ""  # of the real value, so a diff can tell that a secret changed without showing it


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[Resource]
    outputs: dict[str, Output]
    # How the program ended itself early (``sys.exit(0)``, ``os._exit(3)``), if it did: the run still
    # settles and keeps what was registered before, as the engine does when a program exits.
    ended_early: str = ""

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, type_: str, name: str) -> Resource:
        """The one resource of that type and name (KeyError if none or several)."""
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)

    def children(self, component_type: str, name: str | None = None) -> list[Resource]:
        """Resources directly parented to the component of that type (and name)."""
        parents = {r.urn for r in self.resources if r.type == component_type and name in (None, r.name)}
        return [r for r in self.resources if r.parent in parents]


class DuplicateUrnError(pulumi.RunError):
    """Two resources share a URN: ``pulumi up`` would fail, so the offline run fails too."""


class RecordingMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, keeping each full RegisterResource request."""

    def __init__(self) -> None:
        self.provider_inputs: dict[str, dict[str, Any]] = {}
        self.registrations: list[Resource] = []
        self.duplicate_urns: list[str] = []
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        super().__init__(RealisticMocks(self.provider_inputs))

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        with self._lock:  # registrations arrive on several threads at once
            if urn in self._seen:  # the engine refuses duplicates; the SDK mock would overwrite silently
                self.duplicate_urns.append(urn)
            self._seen.add(urn)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        secrets = secret_values(inputs)
        if request.type.startswith("pulumi:providers:"):
            self.provider_inputs[response.urn] = inputs
        self.registrations.append(
            Resource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                provider=request.provider,
                custom=request.custom,
                protect=request.protect,
                inputs=redact(inputs),
                secret_digests={path: digest(value["value"]) for path, value in secrets.items()},
                secrets=secrets,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                delete_before_replace=request.deleteBeforeReplace,
                ignore_changes=list(request.ignoreChanges),
                retain_on_delete=request.retainOnDelete,
            )
        )
        return response


def redact(value: Any) -> Any:
    """Replace secret values with a marker, keeping the structure around them."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _children(value: Any, path: str) -> Iterator[tuple[Any, str, Any]]:
    """(key or index, path, child) of a dict or list, in the path syntax of ``Resource.secret_digests``."""
    if isinstance(value, dict):
        yield from ((k, f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        yield from ((i, f"{path}[{i}]", v) for i, v in enumerate(value))


def secret_values(value: Any, path: str = "") -> dict[str, Any]:
    """Each secret under ``value`` (still marked secret), by the path ``redact`` leaves ``[secret]`` at."""
    if rpc.is_rpc_secret(value):
        return {path: value}
    return {
        p: v for _, child_path, child in _children(value, path) for p, v in secret_values(child, child_path).items()
    }


def unredact(value: Any, secrets: dict[str, Any], path: str = "") -> Any:
    """``redact`` undone: each ``[secret]`` back to the secret it stands for (for the policy pack only)."""
    if not secrets:
        return value
    if value == SECRET and path in secrets:
        return secrets[path]
    if isinstance(value, dict):
        return {k: unredact(child, secrets, child_path) for k, child_path, child in _children(value, path)}
    if isinstance(value, list):
        return [unredact(child, secrets, child_path) for _, child_path, child in _children(value, path)]
    return value


def digest(value: Any) -> str:
    return hashlib.sha256(jsontext.dumps(value, indent=None, sort_keys=True).encode()).hexdigest()


def run(project: Project, stack: str, overrides: Sequence[str] = (), preview: bool = True) -> Plan:
    """Run ``project``'s program for ``stack`` under mocks and return what it registered.

    Raises whatever the program raises (e.g. a ConfigError) after the runtime settles. A program that
    ends itself (``sys.exit``, ``os._exit``) does not end the caller: the plan keeps what it registered
    and says how it ended (``Plan.ended_early``).
    """
    config, secret_keys = project.stack_config(stack, list(overrides))
    settings.reset_options(project=project.name, stack=stack, preview=preview)
    pulumi.runtime.set_all_config(config, secret_keys)
    monitor = RecordingMonitor()
    pulumi.runtime.set_mocks(monitor.mocks, project=project.name, stack=stack, preview=preview, monitor=monitor)

    saved_path, saved_cwd = list(sys.path), os.getcwd()
    sys.path.insert(0, str(project.main.parent))
    os.chdir(project.directory)
    ended: list[str] = []
    outputs: dict[str, Output] = {}
    try:
        with _program_exits_raise(), _without_cyclic_gc():
            try:
                _sync_await(run_pulumi_func(lambda: _run_main(project.main, ended)))
                stack_resource = settings.get_root_resource()
                assert isinstance(stack_resource, pulumi.runtime.stack.Stack)
                outputs = {name: _resolve(value) for name, value in stack_resource.outputs.items()}
            except SystemExit as exc:  # raised in an apply callback, out of the event loop: stop the rest
                ended.append(_describe_exit(exc))
                _cancel_pending_tasks()
    finally:
        sys.path[:] = saved_path
        os.chdir(saved_cwd)
    if monitor.duplicate_urns:
        raise DuplicateUrnError(
            "the engine would refuse these duplicate resource URNs; give the resources unique names:\n  "
            + "\n  ".join(monitor.duplicate_urns)
        )
    return Plan(
        project=project.name,
        stack=stack,
        resources=monitor.registrations,
        outputs=outputs,
        ended_early=ended[0] if ended else "",
    )


def _run_main(main: Path, ended: list[str]) -> None:
    try:
        runpy.run_path(str(main), run_name="__main__")
    except SystemExit as exc:  # the program ends; its registrations so far settle as at a normal end
        ended.append(_describe_exit(exc))


class ProgramExit(SystemExit):
    """``os._exit(n)`` called by the program: ends the program, not the process that runs it."""


def _describe_exit(exc: SystemExit) -> str:
    return f"{'os._exit' if isinstance(exc, ProgramExit) else 'sys.exit'}({exc.code!r})"


@contextlib.contextmanager
def _program_exits_raise() -> Iterator[None]:
    """``os._exit`` raises instead of killing the process, so a program cannot cut its own run short."""

    def program_exit(status: int) -> None:
        raise ProgramExit(status)

    saved = os._exit
    os._exit = program_exit  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = saved


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one run.

    A run allocates hundreds of thousands of short-lived objects (outputs, futures, tasks), so the
    collector keeps re-walking the millions of objects the provider SDKs import: measured, it is
    about two thirds of a run's CPU time. What the run leaves behind is collected after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cancel_pending_tasks() -> None:
    """Cancel what an interrupted program left queued, so none of it registers into a later run."""
    loop = asyncio.get_event_loop()
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _resolve(value: Any) -> Output:
    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    secret = _sync_await(output.is_secret())
    return Output(value=redact(resolved), secret=bool(secret), kind=json_kind(resolved), digest=digest(resolved))


def json_kind(value: Any) -> str:
    """The JSON type a consumer of the output sees (``string``, ``number``, ``object``...)."""
    kinds = {bool: "boolean", int: "number", float: "number", str: "string", dict: "object", list: "array"}
    return next((name for type_, name in kinds.items() if isinstance(value, type_)), "null")
