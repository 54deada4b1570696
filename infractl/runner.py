"""Run Pulumi programs in worker processes, isolated from the command that reads their plans.

A program is arbitrary code: it can print, exit, kill its own process or raise anything. Run in the
command's process, ``sys.exit(0)`` would end a policy gate with a pass. Here each program runs in a
forked worker (the SDK already imported), with its standard output sent to standard error so it
cannot forge the command's own output; the worker sends back the plan or a one-line summary of the
failure. A worker that dies without answering is a failed program, never a verdict.

A worker runs one job after another, preferring jobs of its last job's group (one cloud), so it
imports that cloud's SDK once; there are at most as many workers as the cores this process may use.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import pulumi

from . import errors, runtime
from .stackconfig import ProgramError, Project

_CONTEXT = multiprocessing.get_context("fork")  # the SDK is imported once, before the fork
_MESSAGE_LINES = 12  # of a program's error message; the rest is cut
_PACKAGE = f"{Path(__file__).resolve().parent}{os.sep}"  # infractl itself, which runs every program


class ProgramFailed(errors.UsageError):
    """The program could not produce a plan: bad input (exit 2), never a policy verdict."""


@dataclass(frozen=True)
class Job:
    """One program run: the project, the stack and its ``--config`` overrides; ``label`` names it in messages."""

    directory: Path
    stack: str
    overrides: tuple[str, ...] = ()
    label: str = ""
    group: str = ""  # jobs of one group (one cloud, one side of a diff) go to the same worker when they can

    @property
    def name(self) -> str:
        return self.label or self.stack


def cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0))


def load_project(directory: Path) -> Project:
    """The project at ``directory``; a malformed Pulumi.yaml is bad input, whatever the parser raised."""
    try:
        return Project.load(directory.resolve())
    except ProgramError as exc:
        raise errors.UsageError(str(exc)) from None
    except Exception as exc:  # YAML, type and key errors from a malformed Pulumi.yaml alike
        raise errors.UsageError(f"{directory / 'Pulumi.yaml'}: {_one_line(exc)}") from None


def stack_config(project: Project, stack: str, overrides: Sequence[str]) -> dict[str, str]:
    """The stack's config map as the engine passes it; a malformed stack file is bad input."""
    try:
        return project.stack_config(stack, list(overrides))[0]
    except ProgramError as exc:
        raise errors.UsageError(str(exc)) from None
    except Exception as exc:  # whatever a malformed stack file makes the parser raise
        raise errors.UsageError(f"{project.directory / f'Pulumi.{stack}.yaml'}: {_one_line(exc)}") from None


def plan(job: Job) -> runtime.Plan:
    """One program's plan, run in a worker process."""
    with Runs([job]) as runs:
        ((_, result),) = list(runs)
    return result


class Runs:
    """Each job's plan as soon as it is ready (in completion order), from up to ``workers`` processes.

    The workers start (fork) on creation, before the caller opens any connection of its own, and
    stop when the runs are closed (use ``with``). Iterating raises ProgramFailed for the first job
    whose program fails.
    """

    def __init__(self, jobs: Sequence[Job], workers: int | None = None) -> None:
        self.pending = list(jobs)
        self.pool = [_Worker() for _ in range(min(len(jobs), workers or cores()))]
        self.busy: dict[Connection, tuple[_Worker, Job]] = {}
        for worker in self.pool:
            self._give(worker, None)

    def __iter__(self) -> Iterator[tuple[Job, runtime.Plan]]:
        while self.busy:
            for ready in wait(list(self.busy)):
                assert isinstance(ready, Connection)
                worker, job = self.busy.pop(ready)
                result = worker.result(job)
                if self.pending:
                    self._give(worker, job.group)
                yield job, result

    def _give(self, worker: _Worker, group: str | None) -> None:
        job = _next(self.pending, group, {job.group for _, job in self.busy.values()})
        worker.connection.send(job)
        self.busy[worker.connection] = (worker, job)

    def close(self) -> None:
        for worker in self.pool:
            worker.stop()

    def __enter__(self) -> Runs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _next(pending: list[Job], group: str | None, running: set[str]) -> Job:
    """The next job for a worker: its last job's group first, then a group no other worker runs.

    A worker that stays with one cloud imports that cloud's SDK once, not every worker every SDK.
    """
    for wanted in (lambda job: job.group == group, lambda job: job.group not in running):
        index = next((i for i, job in enumerate(pending) if wanted(job)), None)
        if index is not None:
            return pending.pop(index)
    return pending.pop(0)


class _Worker:
    """One forked process that runs jobs one after another."""

    def __init__(self) -> None:
        sys.stdout.flush()  # a fork copies unflushed buffers, which the child would print again
        sys.stderr.flush()
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def result(self, job: Job) -> runtime.Plan:
        try:
            status, payload = self.connection.recv()
        except (EOFError, OSError):
            self.process.join()
            raise ProgramFailed(f"stack {job.name}: the program's process {_death(self.process.exitcode)}") from None
        if status == "failed":
            raise ProgramFailed(f"stack {job.name}: {payload}")
        if payload.ended_early:
            print(
                f"infractl: stack {job.name}: the program ended itself with {payload.ended_early} after registering"
                f" {len(payload.resources)} resources; those are what is reported",
                file=sys.stderr,
            )
        return payload

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.process.join(timeout=5)
        if self.process.is_alive():  # still running a program we no longer need
            self.process.kill()
            self.process.join()
        self.connection.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by signal {-exitcode} before it finished; nothing it registered was checked"
    return f"ended with status {exitcode} before it finished; nothing it registered was checked"


def _serve(connection: Connection) -> None:
    """The worker's loop: run each job it is sent until it is sent ``None``."""
    os.dup2(2, 1)  # whatever the program prints is not the command's output
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    gc.disable()  # a worker lives for a few plans: collecting their garbage costs more than the memory (runtime.py)
    # A parent that ran a program itself (a test session) left an event loop whose executor threads
    # did not survive the fork: the SDK would queue work for them forever. Start from a new loop.
    asyncio.set_event_loop(asyncio.new_event_loop())
    while (job := connection.recv()) is not None:
        outcome = _run(job)
        try:
            connection.send(outcome)
        except Exception as exc:  # e.g. an input value that cannot be pickled
            connection.send(("failed", f"the plan could not be returned: {_one_line(exc)}"))


def _run(job: Job) -> tuple[str, Any]:
    _forget_shadowed_modules(job.directory)
    try:
        return "ok", runtime.run(Project.load(job.directory), job.stack, job.overrides)
    except (ProgramError, pulumi.RunError) as exc:  # config errors and the like: already one clear message
        return "failed", str(exc)
    except Exception as exc:  # any failure of the program: summarised, never a traceback
        return "failed", f"the program failed{_where(exc, job.directory)}: {_one_line(exc)}"


def _forget_shadowed_modules(directory: Path) -> None:
    """Drop modules the program at ``directory`` imports from there but that were loaded from elsewhere.

    A diff runs two copies of one program (``components`` at the base and in the working tree), and
    a worker inherits whatever its parent had imported: each run must import its own copy. Modules
    loaded from ``directory`` stay, so the next stack of the same program reuses them.
    """
    prefix = f"{directory}{os.sep}"
    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        origin = getattr(module, "__file__", None) or ""
        if (
            origin
            and name != "__main__"
            and not origin.startswith((prefix, _PACKAGE))
            and ((directory / top).is_dir() or (directory / f"{top}.py").is_file())
        ):
            del sys.modules[name]


def _where(exc: BaseException, directory: Path) -> str:
    """`` at components/x.py:12``: the innermost line of the program's own code that raised."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {_relative(exc.filename, directory)}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(f"{directory}{os.sep}")]
    return f" at {_relative(frames[-1].filename, directory)}:{frames[-1].lineno}" if frames else ""


def _relative(filename: str, directory: Path) -> str:
    path = Path(filename)
    return path.relative_to(directory).as_posix() if path.is_relative_to(directory) else filename


def _one_line(exc: BaseException) -> str:
    """``TypeName: message``, the message cut to a few lines."""
    text = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    lines = text.strip().splitlines() or [""]
    shown = "\n".join(lines[:_MESSAGE_LINES]) + ("\n..." if len(lines) > _MESSAGE_LINES else "")
    return f"{type(exc).__name__}: {shown}" if shown else type(exc).__name__
