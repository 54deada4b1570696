"""JSON that every parser accepts: no ``Infinity`` or ``NaN`` (Python's extension), odd values as text."""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(value: Any, indent: int | None = 2) -> str:
    return json.dumps(_finite(value), indent=indent, default=str, allow_nan=False)


def _finite(value: Any) -> Any:
    """Non-finite numbers become their text (``"inf"``), so the document stays standard JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
