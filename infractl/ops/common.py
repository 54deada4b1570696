"""What every operations command shares: boto3 clients, AWS error handling, progress and tables."""

from __future__ import annotations

import argparse
import functools
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO
from xml.etree import ElementTree

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)
from botocore.parsers import ResponseParserError

from components.config import AWS_REGIONS

from .. import errors


@dataclass(frozen=True)
class Clock:
    """Time as the waiting commands see it: injected so tests can bake and poll without waiting."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


CLOCK: Clock = Clock()

# Everything an AWS call can raise. A reply that is not the XML, JSON or CBOR the API speaks raises botocore's
# ResponseParserError, which is not a BotoCoreError, or for S3's GetBucketLocation (parsed by a botocore
# handler of its own) the XML parser's ParseError; both are named here.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError, ElementTree.ParseError)


def client(service: str, region: str | None = None) -> Any:
    """A plain boto3 client, so profiles, ``AWS_REGION`` and ``AWS_ENDPOINT_URL`` apply unchanged.

    A client that cannot be made (no region, unknown profile, malformed endpoint URL) is bad input.
    """
    try:
        made = boto3.client(service, region_name=region)  # type: ignore[call-overload]
    except (BotoCoreError, ValueError) as exc:  # ValueError: an AWS_ENDPOINT_URL that is not a URL
        raise errors.UsageError(f"cannot create an AWS {service} client: {describe(exc)}") from None
    made.meta.events.register("after-call", _refuse_unreadable_json)
    return made


def _refuse_unreadable_json(http_response: Any, model: Any, **_: Any) -> None:
    """botocore reads a JSON API's unparseable 200 reply as an empty answer; make it the parse error it is.

    Without this, an endpoint answering HTML (a proxy's login page, a wrong ``AWS_ENDPOINT_URL``) would
    look like "no such vault" or "no alarms", and a shift could bake on alarms it cannot see.
    """
    if (
        model.service_model.protocol in ("json", "rest-json")
        and http_response.status_code < 300
        and not model.has_streaming_output
        and http_response.content
    ):
        try:
            json.loads(http_response.content)
        except ValueError:
            raise ResponseParserError(f"invalid JSON received: {http_response.content[:80]!r}") from None


def region_argument(value: str) -> str:
    """argparse type for ``--region``: a known AWS region, so a typo fails before any call."""
    if value not in AWS_REGIONS:
        raise argparse.ArgumentTypeError(f"unknown AWS region {value!r}")
    return value


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def describe(exc: Exception) -> str:
    """One line for any AWS error: the API's own code and message, or what to set when it is ours."""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message", "")
        return f"{error_code(exc)}: {message} ({exc.operation_name})" if message else f"{error_code(exc)}"
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if isinstance(exc, NoRegionError):
        return "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)"
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: check AWS_PROFILE"
    if isinstance(exc, ResponseParserError | ElementTree.ParseError):
        first = (str(exc).splitlines() or [type(exc).__name__])[0].split(". Further retries")[0]
        return f"the endpoint's reply is not an AWS API response ({first[:160]}); check AWS_ENDPOINT_URL"
    return str(exc) or type(exc).__name__


@contextmanager
def validating(what: str) -> Iterator[None]:
    """AWS errors while checking input are bad input (exit 2): nothing has been changed yet."""
    try:
        yield
    except AWS_ERRORS as exc:
        raise errors.UsageError(f"{what}: {describe(exc)}") from None


def aws_command(name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Wrap a command's ``run`` so an AWS error after validation prints one line and exits 6 (Ctrl-C: 130)."""

    def wrap(run: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(run)
        def wrapped(*args: Any, **kwargs: Any) -> int:
            try:
                return run(*args, **kwargs)
            except AWS_ERRORS as exc:
                print(f"infractl {name}: AWS error: {describe(exc)}", file=sys.stderr)
                return errors.EXIT_AWS_FAILED
            except KeyboardInterrupt:  # shift handles its own signals; the others stop where they are
                print(f"infractl {name}: interrupted", file=sys.stderr)
                return errors.EXIT_SIGNAL_BASE + signal.SIGINT

        return wrapped

    return wrap


def number(low: float, high: float, *, zero_ok: bool = False, high_open: bool = False) -> Callable[[str], float]:
    """argparse type for a duration or age: finite, above ``low`` (or equal with ``zero_ok``), up to ``high``.

    Parsed with the other arguments, so a bad value stops the command before any AWS call.
    """
    bounds = f"{'>=' if zero_ok else '>'} {low:g} and {'<' if high_open else '<='} {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        above = value >= low if zero_ok else value > low
        below = value < high if high_open else value <= high
        if not (above and below):  # nan fails both comparisons, and the bounds are finite
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number {bounds}")
        return value

    return parse


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
