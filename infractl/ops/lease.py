"""A lease on the listener or rule a shift moves, kept in that resource's own tags.

No new infrastructure: ELB listeners and rules take tags (AddTags/DescribeTags/RemoveTags), and
the lease is visible where an operator looks. ELB has no conditional write, so each run claims
under its own key, ``infractl:lease:<random>`` = ``<user>@<host> pid <pid> until <UTC time>``:

1. read the claims; any live one belongs to someone else: refuse, naming them, having written nothing;
2. remove expired claims (crashed runs) and write this run's claim;
3. read again; if another live claim is there, someone started at the same moment: remove ours and
   refuse (both may refuse; neither moves traffic).

No run ever overwrites or removes another's live claim, because the keys differ. If the second
read sees what every earlier write did, at most one of two overlapping runs passes step 3: the
one whose read came first cannot have missed the other's claim unless that claim was written
after it, and then the other's own read sees it. AWS does not document read-after-write
consistency for ELB tags, so a claim written within moments of another may still go unseen;
that window is the time between one run's write and the other's read (one API round trip), and the
check of the weights before every write (``forward.WeightsMovedError``) is the second line behind it.

A claim lasts ``seconds`` and the holder renews it while baking, so a crashed run blocks others for
at most that long; ``--take-over KEY`` removes a named claim at once (the command a failed run prints
carries its own key). Expiry is compared with each machine's own UTC clock: keep clocks in sync.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import common

PREFIX = "infractl:lease:"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CLAIM = re.compile(r"^(?P<who>.*) until (?P<until>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$")
# What ELB tag keys and values may contain (letters, digits, spaces and + - = . _ : / @).
NOT_TAG_SAFE = re.compile(r"[^\w .:/=+@-]")


@dataclass(frozen=True)
class Claim:
    key: str
    who: str
    until: datetime | None  # None: a value this tool did not write, treated as held until someone removes it

    @classmethod
    def parse(cls, key: str, value: str) -> Claim:
        match = CLAIM.match(value)
        if not match:
            return cls(key, value or "unknown holder", None)
        return cls(key, match["who"], datetime.strptime(match["until"], TIME_FORMAT).replace(tzinfo=UTC))

    def live(self, now: datetime) -> bool:
        return self.until is None or self.until > now

    def __str__(self) -> str:
        until = f"until {self.until:%Y-%m-%d %H:%M:%S} UTC" if self.until else "with no expiry"
        return f"{self.who} ({self.key}, {until})"


class LeaseHeldError(Exception):
    """Another run holds the lease."""

    def __init__(self, arn: str, holders: list[Claim]):
        super().__init__(
            f"{arn} is being moved by {'; '.join(map(str, holders))}. Wait for it to finish or for the lease to "
            f"expire; if that run is gone, re-run with --take-over {holders[0].key}"
        )
        self.holders = holders


class LeaseLostError(Exception):
    """This run's claim is gone (taken over, or expired while the run was stalled)."""


def whoami() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = "unknown"
    return NOT_TAG_SAFE.sub("-", f"{user}@{socket.gethostname()} pid {os.getpid()}")[:200]


@dataclass
class Lease:
    elbv2: Any
    arn: str
    seconds: float
    clock: common.Clock = common.CLOCK
    key: str = field(default_factory=lambda: PREFIX + secrets.token_hex(6))
    who: str = field(default_factory=whoami)
    renewed_at: float | None = None  # clock.now() of the last write of our claim; None while not held

    def claims(self) -> list[Claim]:
        tags = self.elbv2.describe_tags(ResourceArns=[self.arn])["TagDescriptions"][0]["Tags"]
        return [Claim.parse(tag["Key"], tag.get("Value", "")) for tag in tags if tag["Key"].startswith(PREFIX)]

    def holders(self, take_over: str | None = None, claims: list[Claim] | None = None) -> list[Claim]:
        """Live claims of other runs (ignoring the one being taken over)."""
        now = datetime.now(UTC)
        claims = self.claims() if claims is None else claims
        return [c for c in claims if c.key not in (self.key, take_over) and c.live(now)]

    def acquire(self, take_over: str | None = None) -> None:
        claims = self.claims()
        holders = self.holders(take_over, claims)
        if holders:
            raise LeaseHeldError(self.arn, holders)
        now = datetime.now(UTC)
        stale = [c.key for c in claims if c.key == take_over or not c.live(now)]
        if stale:
            self.elbv2.remove_tags(ResourceArns=[self.arn], TagKeys=stale)
        self._write()
        holders = self.holders(take_over)
        if holders:
            self.release()
            raise LeaseHeldError(self.arn, holders)

    def renew_if_due(self) -> None:
        """While baking: rewrite our claim a third of the way through its life; lost if it is gone."""
        if self.renewed_at is None or self.clock.now() - self.renewed_at < self.seconds / 3:
            return
        if self.key not in {claim.key for claim in self.claims()}:
            self.renewed_at = None
            raise LeaseLostError(f"{self.arn}: this run's lease {self.key} was removed; stopped without writing")
        self._write()

    def release(self) -> None:
        self.elbv2.remove_tags(ResourceArns=[self.arn], TagKeys=[self.key])
        self.renewed_at = None

    @property
    def held(self) -> bool:
        return self.renewed_at is not None

    def _write(self) -> None:
        until = datetime.now(UTC) + timedelta(seconds=self.seconds)
        value = f"{self.who} until {until:{TIME_FORMAT}}"
        self.elbv2.add_tags(ResourceArns=[self.arn], Tags=[{"Key": self.key, "Value": value}])
        self.renewed_at = self.clock.now()
