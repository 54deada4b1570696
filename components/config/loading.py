"""Reading and validating the running stack's config, with one clear message per problem."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from .base import ConfigError, SettingError
from .platform import PlatformConfig


def parse(raw: dict[str, Any], namespace: str = "platform") -> PlatformConfig:
    """Validate raw config (keys without namespace) into the model, or raise one ConfigError."""
    try:
        return PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(error, namespace, raw) for error in exc.errors()]) from None


def load(namespace: str = "platform") -> PlatformConfig:
    """Read every ``<namespace>:*`` key of the running stack and validate it.

    A key in a namespace that looks like a typo of ours (``platfrom:database``) is an error: the engine
    would pass it on and the program would silently run on defaults. Other namespaces are providers' config.
    """
    prefix = namespace + ":"
    values = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    misspelt = sorted(key for key in values if misspelt_namespace(key.partition(":")[0], namespace))
    if misspelt:
        raise ConfigError(
            [f"{key}: unknown namespace; did you mean {prefix}{key.partition(':')[2]}?" for key in misspelt]
        )
    raw = {key[len(prefix) :]: _decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse(raw, namespace)


# How alike a namespace must be to ours to count as a typo of it (platfrom, Platform, platforms: 0.88-1.0;
# aws, gcp, azure-native, kubernetes, pulumi: below 0.45).
TYPO_SIMILARITY = 0.75


def misspelt_namespace(namespace: str, expected: str) -> bool:
    """True when ``namespace`` is not ``expected`` but close enough to be a typo of it."""
    similarity = difflib.SequenceMatcher(None, namespace.lower(), expected.lower()).ratio()
    return namespace != expected and similarity >= TYPO_SIMILARITY


def _decode(value: Any) -> Any:
    """Objects and lists arrive from the engine as JSON text; scalars stay text for pydantic to coerce."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: Any, namespace: str, raw: dict[str, Any]) -> str:
    """One line per problem: the key, the value found (shortened) and what is allowed."""
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.endswith("]"))]
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, SettingError):  # a rule that names the key it is about (cross-field and cross-section rules)
        loc, value = [*loc, *cause.key.split(".")], cause.value
    path = ".".join(str(part) for part in loc)
    key = f"{namespace}:{path}" if path else namespace
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{key}: unknown key; allowed keys here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{key}: required but not set"
    if error["type"] in _SCALAR_TYPES and isinstance(value, (dict, list)):
        message = f"{message}; {key} is a single value, so nothing can be set inside it"
    return f"{key} = {shorten(value)}: {message}"


# Errors of a single-value field: given an object or list, the key path went deeper than any real key.
_SCALAR_TYPES = frozenset(
    ("string_type", "int_type", "int_parsing", "float_type", "float_parsing", "bool_type", "bool_parsing")
)
MAX_SHOWN = 80  # characters of a value quoted in an error; longer values are cut in the middle


def shorten(value: Any) -> str:
    """The value as JSON, cut in the middle when long (a pasted certificate must not flood the message)."""
    text = json.dumps(value, default=str)
    if len(text) <= MAX_SHOWN:
        return text
    half = (MAX_SHOWN - 5) // 2
    return f"{text[:half]} ... {text[-half:]}"


def _allowed_keys(loc: list[Any]) -> list[str]:
    model: Any = PlatformConfig
    for part in loc:
        field = next(
            (f for name, f in model.model_fields.items() if part in (name, f.alias)),
            None,
        )
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return sorted(field.alias or name for name, field in model.model_fields.items())
