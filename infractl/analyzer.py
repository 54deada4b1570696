"""Run the policy pack as the Pulumi engine does and speak the analyzer protocol to it.

The engine starts a Python pack with ``python -u -m pulumi.policy <engine-address> <pack-dir>``
(``pulumi-analyzer-policy-python``), reads the port the pack prints, then calls GetAnalyzerInfo,
Configure (each policy's enforcement level and properties, schema defaults filled in first),
ConfigureStack, Analyze per resource and AnalyzeStack with every resource. Doing exactly that here
is what makes the offline gate agree with ``pulumi preview --policy-pack``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import grpc
import jsonschema
import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from .runtime import Plan, Resource, unredact

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
# The Python pack parses but never dials the engine address; the engine passes its host server's.
ENGINE_ADDRESS = "127.0.0.1:0"
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
_MAX_MESSAGE = 400 * 1024 * 1024  # as the SDK's server allows


class PolicyConfigError(Exception):
    """The policy config does not fit the pack (unknown policy, bad level, schema violation)."""


class AnalysisError(Exception):
    """The pack failed on what a program registered (e.g. a NaN it cannot marshal): no verdict."""


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    resource_type: str
    resource_name: str
    urn: str
    message: str


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them: unknowns as the unknown sentinel, the rest as JSON."""
    result = struct_pb2.Struct()
    result.update(_plain(value))
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, pulumi.output.Unknown):
        return rpc.UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


class Analyzer:
    """One running pack; configure it per stack, then analyze that stack's plan."""

    def __init__(self, pack_dir: Path = PACK_DIR) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS, str(pack_dir)],
            cwd=pack_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.close()
            raise PolicyConfigError(f"policy pack {pack_dir} did not start: {self._stderr()}")
        options = [("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)]
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        try:  # newer engines handshake first; Python packs do not implement it, which the engine tolerates
            self.stub.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(engine_address=ENGINE_ADDRESS))
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
        self.info = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        self.policies = {p.name: p for p in self.info.policies}
        self._configured: dict[str, dict[str, analyzer_pb2.PolicyConfig]] = {}

    def _stderr(self) -> str:
        return self.process.stderr.read().strip() if self.process.stderr else ""

    def close(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self.process.terminate()
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> Analyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reconcile(self, config: Mapping[str, Any]) -> dict[str, tuple[int, dict[str, Any]]]:
        """The engine's ReconcilePolicyPackConfig: schema defaults, then ``all``, then each policy's config."""
        result: dict[str, tuple[int, dict[str, Any]]] = {}
        for name, policy in self.policies.items():
            schema = json_format.MessageToDict(policy.configSchema.properties)
            result[name] = (policy.enforcementLevel, {k: p["default"] for k, p in schema.items() if "default" in p})
        for name, given in config.items():
            level_name, properties = (given, {}) if isinstance(given, str) else (given.get("enforcementLevel"), given)
            properties = {k: v for k, v in properties.items() if k != "enforcementLevel"}
            if level_name is not None and level_name not in LEVEL_VALUES:
                raise PolicyConfigError(
                    f"{name}: {level_name!r} is not an enforcement level ({', '.join(LEVEL_VALUES)})"
                )
            if name == "all":
                result = {
                    n: (LEVEL_VALUES[level_name], p) if level_name else (lvl, p) for n, (lvl, p) in result.items()
                }
                continue
            if name not in result:
                raise PolicyConfigError(f"{name}: no such policy in the pack; policies: {', '.join(sorted(result))}")
            level, current = result[name]
            result[name] = (LEVEL_VALUES[level_name] if level_name else level, {**current, **properties})
        for name, (_, properties) in result.items():
            schema = json_format.MessageToDict(self.policies[name].configSchema)
            try:
                jsonschema.validate(properties, {"type": "object", **schema})
            except jsonschema.ValidationError as exc:
                path = ".".join(map(str, exc.absolute_path))
                raise PolicyConfigError(f"{name}{'.' + path if path else ''}: {exc.message}") from None
        return result

    def configure(self, config: Mapping[str, Any], plan: Plan, stack_config: Mapping[str, str]) -> None:
        key = json.dumps(config, sort_keys=True)
        if key not in self._configured:  # reconciling validates every policy's schema: once per distinct config
            self._configured[key] = {
                name: analyzer_pb2.PolicyConfig(enforcementLevel=cast(Any, level), properties=struct(properties))
                for name, (level, properties) in self.reconcile(config).items()
            }
        self.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=self._configured[key]))
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=plan.stack, project=plan.project, organization="organization", dry_run=True, config=stack_config
            )
        )

    def analyze(self, plan: Plan) -> list[Violation]:
        """Analyze each resource, then the whole stack; every diagnostic becomes a Violation."""
        by_urn = {r.urn: r for r in plan.resources}
        # Secrets go to the pack as the engine sends them (marked secret; the SDK unwraps them for the rules).
        properties = {
            r.urn: struct(unredact(r.inputs, r.secrets)) for r in plan.resources
        }  # marshalled once, sent twice
        violations: list[Violation] = []
        for resource in plan.resources:
            request = analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=properties[resource.urn],
                urn=resource.urn,
                name=resource.name,
                options=_options(resource),
                provider=_provider(resource, by_urn, properties),
            )
            violations += self._violations(self._call(self.stub.Analyze, request, resource.urn), by_urn, resource)
        stack = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=properties[r.urn],
                    urn=r.urn,
                    name=r.name,
                    options=_options(r),
                    provider=_provider(r, by_urn, properties),
                    parent=r.parent,
                    dependencies=r.dependencies,
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                        for key, urns in r.property_dependencies.items()
                    },
                )
                for r in plan.resources
            ]
        )
        return violations + self._violations(self._call(self.stub.AnalyzeStack, stack, plan.stack), by_urn, None)

    @staticmethod
    def _call(method: Any, request: Any, subject: str) -> analyzer_pb2.AnalyzeResponse:
        try:
            return method(request)
        except grpc.RpcError as exc:
            details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            raise AnalysisError(f"the policy pack failed on {subject}: {details}") from None

    @staticmethod
    def _violations(
        response: analyzer_pb2.AnalyzeResponse, by_urn: Mapping[str, Resource], subject: Resource | None
    ) -> list[Violation]:
        found = []
        for d in response.diagnostics:
            resource = by_urn.get(d.urn) or subject
            message = d.message.removeprefix(d.description).strip() or d.description
            found.append(
                Violation(
                    policy=d.policyName,
                    level=LEVELS.get(d.enforcementLevel, "advisory"),
                    resource_type=resource.type if resource else "pulumi:pulumi:Stack",
                    resource_name=resource.name if resource else "",
                    urn=resource.urn if resource else d.urn,
                    message=message,
                )
            )
        return found


def _options(resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        deleteBeforeReplace=resource.delete_before_replace,
        deleteBeforeReplaceDefined=resource.delete_before_replace,
        parent=resource.parent,
    )


def _provider(
    resource: Resource, by_urn: Mapping[str, Resource], properties: Mapping[str, struct_pb2.Struct]
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider as the engine describes it: a provider reference is ``<urn>::<id>``."""
    provider = by_urn.get(resource.provider.rpartition("::")[0]) if resource.provider else None
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=properties[provider.urn], urn=provider.urn, name=provider.name
    )


def load_config(path: Path) -> dict[str, Any]:
    """A ``--policy-pack-config`` file, as the CLI reads it."""
    try:
        config = json.loads(path.read_text() or "{}")
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyConfigError(f"{path}: {exc}") from None
    if not isinstance(config, dict) or not all(isinstance(v, (str, dict)) for v in config.values()):
        raise PolicyConfigError(f"{path}: must map policy names to an enforcement level or an object")
    return config
