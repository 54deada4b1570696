"""Reading and validating the running stack's config, with one clear message per problem."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from .base import ConfigError
from .platform import PlatformConfig


def parse(raw: dict[str, Any], namespace: str = "platform") -> PlatformConfig:
    """Validate raw config (keys without namespace) into the model, or raise one ConfigError."""
    try:
        return PlatformConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(error, namespace, raw) for error in exc.errors()]) from None


def load(namespace: str = "platform") -> PlatformConfig:
    """Read every ``<namespace>:*`` key of the running stack and validate it."""
    prefix = namespace + ":"
    values = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key[len(prefix) :]: _decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse(raw, namespace)


def _decode(value: Any) -> Any:
    """Objects and lists arrive from the engine as JSON text; scalars stay text for pydantic to coerce."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: Any, namespace: str, raw: dict[str, Any]) -> str:
    """One line per problem: the key, the value found and what is allowed."""
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.endswith("]"))]
    path = ".".join(str(part) for part in loc)
    key = f"{namespace}:{path}" if path else namespace
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"{key}: unknown key; allowed keys here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{key}: required but not set"
    value = error.get("input")
    if isinstance(value, dict):  # a rule across several keys: the message names them
        return f"{key}: {message}"
    return f"{key} = {json.dumps(value, default=str)}: {message}"


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
