"""``infractl policy``: the offline pull-request gate, the real policy pack on each stack's plan.

Each stack's program runs in a worker process (runner.py, so the program cannot end or decide the
gate), then the pack is started and asked exactly what ``pulumi preview --policy-pack policies``
would ask it (see analyzer.py), one stack while the workers plan the next. ``--matrix`` checks every
stack file on every cloud the program supports, with Kubernetes enabled.
Exit 1 when any mandatory violation is found, 0 otherwise, 2 on bad input (a failing program too).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pulumi.runtime.proto import analyzer_pb2

from . import analyzer, errors, jsontext, plan, runner
from .analyzer import Violation
from .stackconfig import Project

ENVIRONMENT_KEY = "platform:environment"
# The clouds the program supports (components/config/base.py: Cloud) and how a combination enables Kubernetes.
MATRIX_CLOUDS = ("aws", "azure", "gcp")
MATRIX_KUBERNETES = "kubernetes.enabled=true"
_ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
Policies = Mapping[str, analyzer_pb2.PolicyInfo]


@dataclass(frozen=True)
class Checked:
    """One checked combination: its name (``prod`` or ``prod:gcp``), stack file and findings."""

    name: str
    stack: str
    violations: list[Violation]


Report = list[Checked]


def register(commands: Any) -> None:
    parser = commands.add_parser("policy", help="check stacks against the policy pack (offline, under mocks)")
    plan.add_program_arguments(parser)
    parser.add_argument("--stack", action="append", help="stack to check (repeatable; default: every stack file)")
    parser.add_argument(
        "--matrix",
        action="store_true",
        help=f"check each stack on every cloud ({', '.join(MATRIX_CLOUDS)}) with Kubernetes enabled, in parallel",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="policy pack config (as --policy-pack-config) for every stack, instead of policies/config/<env>.json",
    )
    parser.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    project = runner.load_project(args.program)
    jobs = combinations(project, args.stack, args.config, args.matrix)
    try:
        explicit = analyzer.load_config(args.policy_config) if args.policy_config else None
        report, policies = check(project, jobs, explicit)
    except (analyzer.PolicyConfigError, analyzer.AnalysisError) as exc:
        raise errors.UsageError(str(exc)) from None
    print(FORMATS[args.format](report, policies, project))
    mandatory = any(v.level == "mandatory" for checked in report for v in checked.violations)
    return errors.EXIT_FAILED if mandatory else errors.EXIT_OK


def combinations(
    project: Project, stacks: Sequence[str] | None, overrides: Sequence[str], matrix: bool
) -> list[runner.Job]:
    """One job per stack, or per stack and cloud with ``matrix`` (named ``<stack>:<cloud>``)."""
    stacks = stacks or project.stacks()
    if not stacks:
        raise errors.UsageError(f"{project.directory}: no Pulumi.<stack>.yaml files")
    if not matrix:
        return [runner.Job(project.directory, stack, tuple(overrides)) for stack in stacks]
    return [
        runner.Job(
            project.directory, stack, (*overrides, f'clouds=["{cloud}"]', MATRIX_KUBERNETES), f"{stack}:{cloud}", cloud
        )
        for stack in stacks
        for cloud in MATRIX_CLOUDS
    ]


def check(
    project: Project, jobs: Sequence[runner.Job], explicit: dict[str, Any] | None, workers: int | None = None
) -> tuple[Report, Policies]:
    """Plan the jobs in worker processes and analyze each plan with one pack as soon as it arrives.

    Every stack's config and policy config is read first (bad input fails before any program runs).
    Also returns the pack's policies (description, remediation) as GetAnalyzerInfo reported them.
    """
    stack_configs = {job: runner.stack_config(project, job.stack, job.overrides) for job in jobs}
    configs = {job: explicit if explicit is not None else policy_config(stack_configs[job]) for job in jobs}
    found: dict[runner.Job, list[Violation]] = {}
    # The workers fork before the pack's connection exists.
    with runner.Runs(jobs, workers) as plans, analyzer.Analyzer() as pack:
        for job, result in plans:
            pack.configure(configs[job], result, stack_configs[job])
            found[job] = pack.analyze(result)
    return [Checked(job.name, job.stack, found[job]) for job in jobs], pack.policies


def policy_config(stack_config: Mapping[str, str]) -> dict[str, Any]:
    """``policies/config/<environment>.json`` for the stack's validated environment, else the pack's defaults.

    Only an environment name that has a file there is accepted: nothing in a stack file can point the
    gate at another file (``--policy-config`` is the one way to choose another).
    """
    environment = stack_config.get(ENVIRONMENT_KEY)
    if environment is None:
        return {}
    known = sorted(p.stem for p in (analyzer.PACK_DIR / "config").glob("*.json"))
    if not _ENVIRONMENT_NAME.fullmatch(environment) or environment not in known:
        raise errors.UsageError(
            f"{ENVIRONMENT_KEY} = {environment[:64]!r}: no policy config for it; environments: {', '.join(known)}"
            " (or choose one with --policy-config)"
        )
    return analyzer.load_config(analyzer.PACK_DIR / "config" / f"{environment}.json")


def to_text(report: Report, policies: Policies, project: Project) -> str:
    lines = []
    for checked in report:
        mandatory = sum(v.level == "mandatory" for v in checked.violations)
        lines.append(f"Stack {checked.name}: {len(checked.violations)} violation(s), {mandatory} mandatory")
        for v in checked.violations:
            lines.append(f"  [{v.level}] {v.policy}  {v.resource_type} {v.resource_name}")
            lines += [f"      {line}" for line in v.message.splitlines()]
    return "\n".join(lines)


def to_json(report: Report, policies: Policies, project: Project) -> str:
    fields = ("policy", "level", "resource_type", "resource_name", "urn", "message")
    stacks = [
        {"stack": checked.name, "violations": [{f: getattr(v, f) for f in fields} for v in checked.violations]}
        for checked in report
    ]
    return jsontext.dumps({"stacks": stacks})


def to_sarif(report: Report, policies: Policies, project: Project) -> str:
    """SARIF 2.1.0 for code scanning: each result points at the stack file it came from."""
    results = [
        {
            "ruleId": v.policy,
            "level": "error" if v.level == "mandatory" else "warning",
            "message": {"text": f"{v.resource_type} {v.resource_name}: {v.message}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": _stack_file(project, checked.stack)}},
                    "logicalLocations": [{"fullyQualifiedName": v.urn, "kind": "resource"}],
                }
            ],
            "properties": {"stack": checked.name},
        }
        for checked in report
        for v in checked.violations
    ]
    rules = [
        {
            "id": name,
            "shortDescription": {"text": policy.description},
            "help": {"text": policy.remediation_steps or policy.description},
        }
        for name, policy in sorted(policies.items())
    ]
    driver = {
        "name": "infractl policy",
        "informationUri": "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/",
        "rules": rules,
    }
    return jsontext.dumps(
        {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}
    )


def to_junit(report: Report, policies: Policies, project: Project) -> str:
    """One suite per stack, one case per policy; mandatory violations fail it, advisory ones are output."""
    suites = ElementTree.Element("testsuites", name="policy")
    for checked in report:
        names = sorted(policies)
        suite = ElementTree.SubElement(suites, "testsuite", name=checked.name, tests=str(len(names)))
        failures = 0
        for name in names:
            case = ElementTree.SubElement(suite, "testcase", classname=f"policy.{checked.name}", name=name)
            hits = [v for v in checked.violations if v.policy == name]
            text = "\n".join(f"[{v.level}] {v.resource_type} {v.resource_name}: {v.message}" for v in hits)
            if any(v.level == "mandatory" for v in hits):
                failures += 1
                ElementTree.SubElement(case, "failure", message=f"{len(hits)} violation(s)").text = text
            elif hits:
                ElementTree.SubElement(case, "system-out").text = text
        suite.set("failures", str(failures))
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


def _stack_file(project: Project, stack: str) -> str:
    return Path(os.path.relpath(project.directory / f"Pulumi.{stack}.yaml")).as_posix()


FORMATS = {"text": to_text, "json": to_json, "sarif": to_sarif, "junit": to_junit}
