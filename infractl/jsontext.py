"""JSON that every parser accepts: no ``Infinity`` or ``NaN`` (Python's extension), odd values as text."""

from __future__ import annotations

import json
import math
from typing import Any

from pulumi.output import Unknown

UNKNOWN = "[unknown]"  # a value only the cloud will know (an id, an ARN): the same in every plan


def dumps(value: Any, indent: int | None = 2, sort_keys: bool = False) -> str:
    return json.dumps(_finite(value), indent=indent, default=text, allow_nan=False, sort_keys=sort_keys)


def text(value: Any) -> str:
    """What a value JSON cannot hold is written as: ``[unknown]`` for unknowns, its text otherwise."""
    return UNKNOWN if isinstance(value, Unknown) else str(value)


def _finite(value: Any) -> Any:
    """Non-finite numbers become their text (``"inf"``), so the document stays standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
