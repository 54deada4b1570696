"""Check every resource's inputs against the provider SDKs' input types, the way the engine's schema would.

The mock runtime accepts any input, so a misspelt nested key, a forgotten required input, an
out-of-set enum value or a map where a list belongs only shows up at the first real
``pulumi up``. The provider SDKs are generated from each provider's schema: every resource has
an ``*Args`` (or ``*InitArgs``) input type whose ``@pulumi.getter(name=...)`` properties give the
camelCase names the engine receives, whose ``__init__`` keyword parameters without a default
are the required inputs, and whose annotations give the nested ``*Args`` types, lists, maps,
enums and unions. This module walks each plan input through those types, at every depth.

What the plan cannot show is accepted as it stands: values redacted as secrets (``[secret]``)
and values unknown during preview. One SDK defect is corrected rather than skipped: see
``ENUM_CORRECTIONS``.
"""

from __future__ import annotations

import argparse
import difflib
import enum
import functools
import importlib
import inspect
import json
import re
import sys
import types
import typing
import warnings
from collections.abc import Awaitable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc

from . import errors, plan, runtime
from .stackconfig import ProgramError, Project

PROVIDER_PREFIX = "pulumi:providers:"

# SDK enum types that do not describe the API they are used for, with the API's real values,
# keyed by resource type and property path ("[]" stands for any list index).
# AutoRest names an enum the API marks extensible (``x-ms-enum.modelAsString``) ``Known<Name>``: any string is
# valid there, e.g. a data flow's ``Microsoft-PrometheusMetrics`` stream beside KnownDataFlowStreams' five.
EXTENSIBLE_ENUM_PREFIX = "Known"
ENUM_CORRECTIONS: dict[tuple[str, str], frozenset[str]] = {
    # azure-native 3.29 types ScheduledQueryRule's condition operator with `monitor.ConditionOperator`,
    # a filter-condition enum (eq/gt/...) that took over the shared name in the generated SDK. The
    # API version the SDK uses, scheduledQueryRules 2025-01-01-preview, takes these (Azure/bicep-types-az
    # generated/monitor/microsoft.insights/2025-01-01-preview/types.md, Condition.operator).
    ("azure-native:monitor:ScheduledQueryRule", "criteria.allOf[].operator"): frozenset(
        {"Equals", "GreaterOrLessThan", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"}
    ),
}


@dataclass(frozen=True)
class Finding:
    """One input the provider would refuse (or silently drop), where it is and why."""

    urn: str
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.urn}: {self.path or '(inputs)'}: {self.problem}"


@dataclass
class Result:
    """The findings of one or more plans, with how much was looked at."""

    findings: list[Finding] = field(default_factory=list)
    resources: int = 0
    values: int = 0
    enums: int = 0


# ---------------------------------------------------------------------------------------------
# The SDK's types, reduced to the shapes a wire value can take (cached per annotation and class)


@dataclass(frozen=True)
class Scalar:
    kind: type  # str, int, float or bool


@dataclass(frozen=True)
class Anything:
    pass


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class MapOf:
    value: Any


@dataclass(frozen=True)
class EnumOf:
    names: tuple[str, ...]  # the SDK enum classes, for messages
    values: frozenset[Any]


@dataclass(frozen=True)
class ObjectOf:
    cls: type  # an @pulumi.input_type class, resolved lazily (types can be recursive)


@dataclass(frozen=True)
class OneOf:
    members: tuple[Any, ...]


@dataclass(frozen=True)
class ObjectType:
    name: str
    properties: Mapping[str, Any]  # camelCase name -> shape
    required: frozenset[str]
    constants: Mapping[str, Any]  # discriminators the SDK sets whatever the caller passes


def _is_plumbing(arg: Any) -> bool:
    """The parts of ``Input[T]``/``Optional[T]`` that are not a wire shape of their own."""
    if arg is type(None) or arg is pulumi.Output or typing.get_origin(arg) is pulumi.Output:
        return True
    if isinstance(arg, typing.ForwardRef):  # Input's unresolved "Output[T]"
        return arg.__forward_arg__.startswith("Output[")
    return typing.get_origin(arg) in (Awaitable, Coroutine) or typing.is_typeddict(arg)


@functools.cache
def shape(annotation: Any) -> Any:
    """The wire shape of an SDK annotation: Input/Output/Optional/TypedDict plumbing removed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [shape(arg) for arg in typing.get_args(annotation) if not _is_plumbing(arg)]
        return _union(members)
    if origin in (list, Sequence):
        (item,) = typing.get_args(annotation) or (Any,)
        return ListOf(shape(item))
    if origin in (dict, Mapping):
        args = typing.get_args(annotation)
        return MapOf(shape(args[1]) if args else Anything())
    if annotation in (str, int, float, bool):
        return Scalar(annotation)
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return EnumOf((annotation.__qualname__,), frozenset(member.value for member in annotation))
    if inspect.isclass(annotation) and pulumi._types.is_input_type(annotation):
        return ObjectOf(annotation)
    return Anything()  # Any, and annotations that say nothing about the wire shape


def _union(members: list[Any]) -> Any:
    unique = tuple(dict.fromkeys(members))
    enums = [m for m in unique if isinstance(m, EnumOf)]
    if enums and all(isinstance(m, EnumOf) or m == Scalar(str) for m in unique):
        # Union[str, SomeEnum]: the SDK lets any string through, the API takes the enum's values.
        return EnumOf(tuple(n for e in enums for n in e.names), frozenset().union(*(e.values for e in enums)))
    if any(isinstance(m, Anything) for m in unique):
        return Anything()
    return unique[0] if len(unique) == 1 else OneOf(unique)


@functools.cache
def object_type(cls: type) -> ObjectType:
    """Names, shapes, required inputs and constants of one ``@pulumi.input_type`` class."""
    module_globals = vars(sys.modules[cls.__module__])
    local_names = {"Output": pulumi.Output, "T": type(None)}  # Input's forward reference is "Output[T]"
    properties = {}
    python_names = {}
    for python_name, pulumi_name in pulumi._types.input_type_py_to_pulumi_names(cls).items():
        getter = getattr(cls, python_name).fget
        hint = typing.get_type_hints(getter, globalns=module_globals, localns=local_names)["return"]
        properties[pulumi_name] = shape(hint)
        python_names[python_name] = pulumi_name
    parameters = inspect.signature(cls).parameters.values()
    required = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    return ObjectType(
        name=cls.__qualname__,
        properties=properties,
        required=frozenset(python_names[name] for name in required),
        constants={python_names[name]: value for name, value in _constants(cls, required).items()},
    )


def _constants(cls: type, required: list[str]) -> dict[str, Any]:
    """Required inputs whose value the SDK's ``__init__`` fixes (union discriminators such as odataType)."""
    if not required:
        return {}
    passed = object()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated inputs warn when set
        instance = cls(**dict.fromkeys(required, passed))
    return {name: value for name in required if (value := pulumi.get(instance, name)) is not passed}


@functools.cache
def args_type(type_token: str) -> type | None:
    """The SDK input type of a resource (or provider) type token, None if no SDK declares it."""
    if type_token.startswith(PROVIDER_PREFIX):
        package_name = type_token.removeprefix(PROVIDER_PREFIX)
        if not _import_sdk(package_name):
            return None
        # Each SDK registers its provider and resource classes with the runtime, which looks them up
        # the same way when it rehydrates a resource reference.
        package: dict[str, Any] = getattr(rpc.get_resource_package(package_name, ""), "pkg_info", {})
        fqn, class_name = package.get("fqn"), package.get("class")
    else:
        package_name, module_name, _ = type_token.split(":")
        if not _import_sdk(package_name):
            return None
        module: dict[str, Any] = getattr(rpc.get_resource_module(package_name, module_name, ""), "mod_info", {})
        fqn, class_name = module.get("fqn"), module.get("classes", {}).get(type_token)
    resource = getattr(importlib.import_module(fqn), class_name) if fqn and class_name else None
    if resource is None:
        return None
    for overload in typing.get_overloads(resource.__init__):
        args = inspect.signature(overload).parameters.get("args")
        if args is not None:
            candidates = [args.annotation, *typing.get_args(args.annotation)]  # Args or Optional[Args]
            return next(c for c in candidates if inspect.isclass(c) and pulumi._types.is_input_type(c))
    return None


def _import_sdk(package_name: str) -> bool:
    try:
        importlib.import_module("pulumi_" + package_name.replace("-", "_"))
    except ModuleNotFoundError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Walking a value through a shape


def _unseen(value: Any) -> bool:
    """A value the plan cannot show: redacted as secret, or unknown until the engine creates something."""
    return isinstance(value, pulumi.output.Unknown) or value in (runtime.SECRET, rpc.UNKNOWN)


class _Walk:
    def __init__(self, resource_type: str, result: Result) -> None:
        self.resource_type = resource_type
        self.result = result

    def value(self, value: Any, expected: Any, path: str) -> Iterator[tuple[str, str]]:
        """(path, problem) for every way ``value`` does not fit ``expected``."""
        self.result.values += 1
        if value is None or _unseen(value):
            return
        if isinstance(expected, Anything):
            return
        if isinstance(expected, Scalar):
            if not _is_scalar(value, expected.kind):
                yield path, f"expected {expected.kind.__name__}, got {_describe(value)}"
        elif isinstance(expected, EnumOf):
            yield from self.enum(value, expected, path)
        elif isinstance(expected, ListOf):
            if not isinstance(value, list):
                yield path, f"expected a list, got {_describe(value)}"
                return
            for index, item in enumerate(value):
                yield from self.value(item, expected.item, f"{path}[{index}]")
        elif isinstance(expected, MapOf):
            if not isinstance(value, dict):
                yield path, f"expected a map, got {_describe(value)}"
                return
            for key, item in value.items():
                yield from self.value(item, expected.value, f"{path}[{json.dumps(key)}]")
        elif isinstance(expected, ObjectOf):
            yield from self.object(value, object_type(expected.cls), path)
        else:
            yield from self.one_of(value, expected, path)

    def object(self, value: Any, expected: ObjectType, path: str) -> Iterator[tuple[str, str]]:
        if not isinstance(value, dict):
            yield path, f"expected an object ({expected.name}), got {_describe(value)}"
            return
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            if key in expected.properties:
                yield from self.value(item, expected.properties[key], prefix + key)
            else:
                yield prefix + key, f"unknown property of {expected.name}{_did_you_mean(key, expected.properties)}"
        for key in sorted(expected.required):
            if value.get(key) is None:
                yield prefix + key, f"missing required input of {expected.name}"
        for key, constant in expected.constants.items():
            if key in value and not _unseen(value[key]) and value[key] != constant:
                yield prefix + key, f"must be {constant!r} for {expected.name}, got {value[key]!r}"

    def one_of(self, value: Any, expected: OneOf, path: str) -> Iterator[tuple[str, str]]:
        """A union fits if one member fits; else report the closest member (discriminator first)."""
        members = list(expected.members)
        discriminated = [m for m in members if isinstance(m, ObjectOf) and _discriminated(value, m)]
        attempts = []
        for member in discriminated or members:
            problems = list(self.value(value, member, path))
            if not problems:
                return
            attempts.append(problems)
        yield from min(attempts, key=len)

    def enum(self, value: Any, expected: EnumOf, path: str) -> Iterator[tuple[str, str]]:
        self.result.enums += 1
        allowed = ENUM_CORRECTIONS.get((self.resource_type, re.sub(r"\[\d+\]", "[]", path)), expected.values)
        if all(name.startswith(EXTENSIBLE_ENUM_PREFIX) for name in expected.names) and isinstance(value, str):
            return  # an extensible enum: the values listed are the known ones, not the only ones
        if value not in allowed:
            names = "/".join(expected.names)
            yield path, f"{value!r} is not one of {names}: {', '.join(sorted(map(str, allowed)))}"


def _is_scalar(value: Any, kind: type) -> bool:
    if kind is bool or isinstance(value, bool):
        return kind is bool and isinstance(value, bool)
    if kind is int:  # wire numbers are floats
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _discriminated(value: Any, member: ObjectOf) -> bool:
    constants = object_type(member.cls).constants
    return bool(constants) and isinstance(value, dict) and all(value.get(k) == v for k, v in constants.items())


def _describe(value: Any) -> str:
    kinds = {dict: "a map", list: "a list", str: "a string", bool: "a bool", int: "a number", float: "a number"}
    return f"{kinds.get(type(value), type(value).__name__)} {json.dumps(value, default=str)[:60]}"


def _did_you_mean(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------------------------------------
# Plans


def check_resource(resource: runtime.Resource, result: Result | None = None) -> list[Finding]:
    """The findings of one registered resource (components, which no provider sees, have none)."""
    result = result if result is not None else Result()
    if not resource.custom:
        return []
    result.resources += 1
    args = args_type(resource.type)
    if args is None and _custom_resource(resource.type):
        return [Finding(resource.urn, path, problem) for path, problem in _custom_resource_problems(resource)]
    if args is None:
        return [Finding(resource.urn, "", f"no provider SDK declares the type {resource.type}")]
    inputs = resource.inputs
    expected = object_type(args)
    if resource.type.startswith(PROVIDER_PREFIX):
        inputs = {key: _provider_value(value, expected.properties.get(key)) for key, value in inputs.items()}
    walk = _Walk(resource.type, result)
    return [Finding(resource.urn, path, problem) for path, problem in walk.object(inputs, expected, "")]


def _custom_resource(type_token: str) -> bool:
    """A Kubernetes custom resource (``kubernetes:gateway.networking.k8s.io/v1:HTTPRoute``): an API group
    with a dot that the SDK does not declare, whose schema lives in the cluster's CRD, not in any SDK."""
    package, _, rest = type_token.partition(":")
    group = rest.partition("/")[0]
    return package == "kubernetes" and "." in group


def _custom_resource_problems(resource: runtime.Resource) -> Iterator[tuple[str, str]]:
    """What the SDK's ``apiextensions.CustomResource`` itself requires: apiVersion and kind naming the type,
    and metadata as an object. The spec is the CRD's to check."""
    group_version, kind = resource.type.removeprefix("kubernetes:").rsplit(":", 1)
    inputs = resource.inputs
    if inputs.get("apiVersion") != group_version:
        yield "apiVersion", f"expected {group_version!r}, got {_describe(inputs.get('apiVersion'))}"
    if inputs.get("kind") != kind:
        yield "kind", f"expected {kind!r}, got {_describe(inputs.get('kind'))}"
    if not isinstance(inputs.get("metadata"), dict):
        yield "metadata", f"expected an object, got {_describe(inputs.get('metadata'))}"


def _provider_value(value: Any, expected: Any) -> Any:
    """Provider inputs travel as strings, JSON-encoded unless the property is a string."""
    if isinstance(value, str) and expected is not None and expected != Scalar(str) and not _unseen(value):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def check(stack_plan: runtime.Plan, result: Result | None = None) -> list[Finding]:
    """The findings of every resource of a plan."""
    result = result if result is not None else Result()
    found = [finding for resource in stack_plan.resources for finding in check_resource(resource, result)]
    result.findings += found
    return found


# ---------------------------------------------------------------------------------------------
# ``infractl inputs``


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "inputs", help="check every resource's inputs against the provider SDKs' input types (offline)"
    )
    plan.add_program_arguments(parser)
    parser.add_argument("--stack", action="append", help="stack to check (repeatable; default: every stack file)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        project = Project.load(args.program.resolve())
    except ProgramError as exc:
        raise errors.UsageError(str(exc)) from None
    result = Result()
    for stack in args.stack or project.stacks():
        found = check(plan.load(project.directory, stack, args.config), result)
        print(f"Stack {stack}: {len(found)} finding(s)")
        print("".join(f"  {finding}\n" for finding in found), end="")
    print(f"{result.resources} resources, {result.values} values, {result.enums} enum values checked")
    return errors.EXIT_FAILED if result.findings else errors.EXIT_OK
