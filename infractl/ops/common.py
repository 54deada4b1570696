"""What every operations command shares: boto3 clients, AWS error handling, progress and tables."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from components.config import AWS_REGIONS

from .. import errors


@dataclass(frozen=True)
class Clock:
    """Time as the waiting commands see it: injected so tests can bake and poll without waiting."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


CLOCK: Clock = Clock()


def client(service: str, region: str | None = None) -> Any:
    """A plain boto3 client, so profiles, ``AWS_REGION`` and ``AWS_ENDPOINT_URL`` apply unchanged."""
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def region_argument(value: str) -> str:
    """argparse type for ``--region``: a known AWS region, so a typo fails before any call."""
    if value not in AWS_REGIONS:
        raise argparse.ArgumentTypeError(f"unknown AWS region {value!r}")
    return value


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
    return str(exc)


@contextmanager
def validating(what: str) -> Iterator[None]:
    """AWS errors while checking input are bad input (exit 2): nothing has been changed yet."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise errors.UsageError(f"{what}: {describe(exc)}") from None


def aws_command(name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Wrap a command's ``run`` so an AWS error after validation prints one line and exits 1."""

    def wrap(run: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(run)
        def wrapped(*args: Any, **kwargs: Any) -> int:
            try:
                return run(*args, **kwargs)
            except (ClientError, BotoCoreError) as exc:
                print(f"infractl {name}: AWS error: {describe(exc)}", file=sys.stderr)
                return errors.EXIT_FAILED

        return wrapped

    return wrap


class Progress:
    """Step-by-step progress on stderr: a carriage-return bar on a terminal, plain lines otherwise."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty()
        self.done = 0

    def update(self, done: int, message: str) -> None:
        self.done = done
        if self.bar:
            filled = self.WIDTH * done // max(self.total, 1)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r\x1b[K[{bar}] {done}/{self.total} {message}")
        else:
            self.stream.write(f"[{done}/{self.total}] {message}\n")
        self.stream.flush()

    def tick(self, message: str) -> None:
        """Transient status (e.g. a bake countdown): redrawn on a terminal, dropped from plain logs."""
        if self.bar:
            self.update(self.done, message)

    def note(self, message: str) -> None:
        """A line that stays; on a terminal it replaces the bar, which the next update redraws below."""
        self.stream.write(("\r\x1b[K" if self.bar else "") + message + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar:
            self.stream.write("\n")
            self.stream.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with columns as wide as their widest cell."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in (headers, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
