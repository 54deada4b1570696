"""``infractl policy``: the offline pull-request gate, the real policy pack on each stack's plan.

Each stack runs under the mock runtime (as ``infractl plan``), then the pack is started and
asked exactly what ``pulumi preview --policy-pack policies`` would ask it (see analyzer.py).
Exit 1 when any mandatory violation is found, 0 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pulumi.runtime.proto import analyzer_pb2

from . import analyzer, errors, plan
from .analyzer import Violation
from .stackconfig import ProgramError, Project

ENVIRONMENT_KEY = "platform:environment"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
Report = list[tuple[str, list[Violation]]]
Policies = Mapping[str, analyzer_pb2.PolicyInfo]


def register(commands: Any) -> None:
    parser = commands.add_parser("policy", help="check stacks against the policy pack (offline, under mocks)")
    plan.add_program_arguments(parser)
    parser.add_argument("--stack", action="append", help="stack to check (repeatable; default: every stack file)")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="policy pack config (as --policy-pack-config) for stacks without platform:environment",
    )
    parser.add_argument("--format", choices=("text", "json", "sarif", "junit"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        project = Project.load(args.program.resolve())
        stacks = args.stack or project.stacks()
        if not stacks:
            raise ProgramError(f"{project.directory}: no Pulumi.<stack>.yaml files")
        fallback = analyzer.load_config(args.policy_config) if args.policy_config else {}
        report, policies = check(project, stacks, args.config, fallback)
    except (ProgramError, analyzer.PolicyConfigError) as exc:
        raise errors.UsageError(str(exc)) from None
    print(FORMATS[args.format](report, policies, project))
    mandatory = any(v.level == "mandatory" for _, found in report for v in found)
    return errors.EXIT_FAILED if mandatory else errors.EXIT_OK


def check(
    project: Project, stacks: Sequence[str], overrides: list[str], fallback: dict[str, Any]
) -> tuple[Report, Policies]:
    """Plan every stack first (bad input fails before the pack starts), then analyze each with one pack.

    Also returns the pack's policies (description, remediation) as GetAnalyzerInfo reported them.
    """
    plans = [
        (plan.load(project.directory, stack, overrides), project.stack_config(stack, overrides)[0]) for stack in stacks
    ]
    report: Report = []
    with analyzer.Analyzer() as pack:
        for result, stack_config in plans:
            environment = stack_config.get(ENVIRONMENT_KEY)
            config = (
                analyzer.load_config(analyzer.PACK_DIR / "config" / f"{environment}.json") if environment else fallback
            )
            pack.configure(config, result, stack_config)
            report.append((result.stack, pack.analyze(result)))
    return report, pack.policies


def to_text(report: Report, policies: Policies, project: Project) -> str:
    lines = []
    for stack, violations in report:
        mandatory = sum(v.level == "mandatory" for v in violations)
        lines.append(f"Stack {stack}: {len(violations)} violation(s), {mandatory} mandatory")
        for v in violations:
            lines.append(f"  [{v.level}] {v.policy}  {v.resource_type} {v.resource_name}")
            lines += [f"      {line}" for line in v.message.splitlines()]
    return "\n".join(lines)


def to_json(report: Report, policies: Policies, project: Project) -> str:
    fields = ("policy", "level", "resource_type", "resource_name", "urn", "message")
    stacks = [{"stack": s, "violations": [{f: getattr(v, f) for f in fields} for v in found]} for s, found in report]
    return json.dumps({"stacks": stacks}, indent=2)


def to_sarif(report: Report, policies: Policies, project: Project) -> str:
    """SARIF 2.1.0 for code scanning: each result points at the stack file it came from."""
    results = [
        {
            "ruleId": v.policy,
            "level": "error" if v.level == "mandatory" else "warning",
            "message": {"text": f"{v.resource_type} {v.resource_name}: {v.message}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": _stack_file(project, stack)}},
                    "logicalLocations": [{"fullyQualifiedName": v.urn, "kind": "resource"}],
                }
            ],
        }
        for stack, found in report
        for v in found
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
    return json.dumps(
        {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]},
        indent=2,
    )


def to_junit(report: Report, policies: Policies, project: Project) -> str:
    """One suite per stack, one case per policy; mandatory violations fail it, advisory ones are output."""
    suites = ElementTree.Element("testsuites", name="policy")
    for stack, found in report:
        names = sorted(policies)
        suite = ElementTree.SubElement(suites, "testsuite", name=stack, tests=str(len(names)))
        failures = 0
        for name in names:
            case = ElementTree.SubElement(suite, "testcase", classname=f"policy.{stack}", name=name)
            hits = [v for v in found if v.policy == name]
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
