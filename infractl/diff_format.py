"""How ``infractl diff`` prints: text for a terminal, JSON for machines, Markdown for one pull-request comment.

The Markdown stays under GitHub's comment limit (65,536 characters): the summary table always fits,
the per-stack tables are cut when the budget runs out and a note says how many rows are not shown.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import jsontext

if TYPE_CHECKING:
    from .diff import StackDiff

MARKER = "<!-- infractl diff -->"  # finds the pull request's one sticky comment again
COMMENT_LIMIT = 65_536  # characters in a GitHub issue or pull-request comment
_CLOSING_RESERVE = 1_000  # what the closing tags and the truncation note need
_COLLAPSE_OVER = 15  # rows: a stack with more is collapsed
_CELL_CHARS = 100
_TEXT_CHARS = 200


def to_json(diffs: Sequence[StackDiff], base: str) -> str:
    """One stack: the diff object itself; several: ``{"base": ..., "stacks": [...]}``."""
    if len(diffs) == 1:
        return jsontext.dumps(diffs[0].to_dict())
    return jsontext.dumps({"base": base, "stacks": [d.to_dict() for d in diffs]})


def to_text(diffs: Sequence[StackDiff], base: str) -> str:
    lines: list[str] = []
    for d in diffs:
        lines.append(f"Stack {d.stack} against {d.base}: {_counts(d)}")
        lines += [f"  + {r.type} {r.name}" for r in d.added]
        lines += [f"  - {r.type} {r.name}" for r in d.removed]
        for r in d.changed:
            lines.append(f"  ~ {r.type} {r.name}")
            lines += [f"      {c.path}: {_text(c.before)} -> {_text(c.after)}" for c in r.changes]
        if d.outputs_added or d.outputs_removed or d.outputs_changed:
            lines.append("  outputs:")
            lines += [f"    + {o.name} = {_text(o.after)}" for o in d.outputs_added]
            lines += [f"    - {o.name}" for o in d.outputs_removed]
            lines += [f"    ~ {o.name}: {_text(o.before)} -> {_text(o.after)}" for o in d.outputs_changed]
        lines += [f"  {line}" for line in contract_lines(d)]
        lines.append("")
    return "\n".join(lines).rstrip()


def contract_lines(d: StackDiff) -> list[str]:
    """What the outputs-contract guard found for one stack, one sentence a line."""
    lines = []
    for b in d.contract_breaks:
        readers = ", ".join(["every StackReference or `pulumi stack output` reading it", *b.consumers])
        lines.append(f"output {b.output} is {b.problem}: this breaks its consumers ({readers})")
    if not d.contract_breaks:
        return lines
    if d.contract_bump and not d.contract_undocumented:
        lines.append(f"contract_version bumped {d.contract_bump[0]} -> {d.contract_bump[1]}: the break is declared")
    elif d.contract_bump:
        lines.append(f"contract_version bumped to {d.contract_bump[1]}, but {d.contract_undocumented}")
    else:
        lines.append("bump contract_version and document the new version in README.md to make this change")
    return lines


def to_markdown(diffs: Sequence[StackDiff], base: str) -> str:
    comment = _Comment(COMMENT_LIMIT - _CLOSING_RESERVE)
    comment.add(MARKER)
    comment.add(f"### Plan diff against <code>{_escape(base)}</code>\n")
    comment.add("| stack | added | removed | changed | outputs | contract |")
    comment.add("| --- | ---: | ---: | ---: | --- | --- |")
    for d in diffs:
        contract = "broken" if d.broken else ("bumped" if d.contract_bump else "ok")
        comment.add(
            f"| `{d.stack}` | {len(d.added)} | {len(d.removed)} | {len(d.changed)} | {_output_counts(d)} | {contract} |"
        )
    broken = [(d.stack, line) for d in diffs if d.broken for line in contract_lines(d)]
    if broken:
        comment.add("\n> [!CAUTION]\n> **The outputs contract breaks.**")
        for stack, line in broken:
            comment.add(f"> - `{stack}`: {_escape(line)}")
    for d in diffs:
        _stack_section(comment, d)
    return comment.finish(base)


def _stack_section(comment: _Comment, d: StackDiff) -> None:
    rows = [f"| added | {_resource(r.type, r.name)} | | | |" for r in d.added]
    rows += [f"| removed | {_resource(r.type, r.name)} | | | |" for r in d.removed]
    rows += [
        f"| changed | {_resource(r.type, r.name)} | {_code(c.path)} | {_cell(c.before)} | {_cell(c.after)} |"
        for r in d.changed
        for c in r.changes
    ]
    outputs = [f"| added | `{o.name}` | | {_cell(o.after)} |" for o in d.outputs_added]
    outputs += [f"| removed | `{o.name}` | {_cell(o.before)} | |" for o in d.outputs_removed]
    outputs += [f"| changed | `{o.name}` | {_cell(o.before)} | {_cell(o.after)} |" for o in d.outputs_changed]
    if not rows and not outputs:
        comment.add(f"\n**`{d.stack}`**: no changes.")
        return
    opened = " open" if len(rows) + len(outputs) <= _COLLAPSE_OVER else ""
    if not comment.add(f"\n<details{opened}><summary><b>{d.stack}</b>: {_counts(d)}</summary>\n"):
        return
    comment.opened = True
    if rows:
        per_type = Counter((r.type, kind) for kind, group in _groups(d) for r in group)
        comment.add("| type | added | removed | changed |\n| --- | ---: | ---: | ---: |")
        for type_ in sorted({t for t, _ in per_type}):
            counts = " | ".join(str(per_type[type_, kind]) for kind in ("added", "removed", "changed"))
            comment.add(f"| `{type_}` | {counts} |")
        comment.add("\n|  | resource | input | before | after |\n| --- | --- | --- | --- | --- |")
        comment.rows(rows)
    if outputs:
        comment.add("\n|  | output | before | after |\n| --- | --- | --- | --- |")
        comment.rows(outputs)
    if comment.add("\n</details>"):
        comment.opened = False


def _groups(d: StackDiff) -> list[tuple[str, list[Any]]]:
    return [("added", d.added), ("removed", d.removed), ("changed", d.changed)]


class _Comment:
    """Markdown lines within a character budget; what does not fit is counted, not shown."""

    def __init__(self, budget: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.budget = budget
        self.omitted = 0
        self.opened = False  # inside a <details> that must be closed if the budget runs out

    def add(self, line: str) -> bool:
        if self.omitted or self.size + len(line) + 1 > self.budget:
            self.omitted += 1
            return False
        self.lines.append(line)
        self.size += len(line) + 1
        return True

    def rows(self, rows: list[str]) -> None:
        for row in rows:
            self.add(row)

    def finish(self, base: str) -> str:
        if self.omitted:
            if self.opened:
                self.lines.append("\n</details>")
            self.lines.append(
                f"\n> [!NOTE]\n> Truncated: {self.omitted} more lines do not fit in one comment"
                f" ({COMMENT_LIMIT:,} characters). The full diff: "
                f"`python -m infractl diff --base {_escape(base)}` (or the job log)."
            )
        return "\n".join(self.lines)


def _counts(d: StackDiff) -> str:
    resources = f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"
    return f"{resources}; outputs: {_output_counts(d)}"


def _output_counts(d: StackDiff) -> str:
    parts = [
        f"{len(group)} {kind}"
        for kind, group in (("added", d.outputs_added), ("removed", d.outputs_removed), ("changed", d.outputs_changed))
        if group
    ]
    return ", ".join(parts) or "no changes"


def _resource(type_: str, name: str) -> str:
    return f"`{type_}` {_escape(name)}"


def _cell(value: Any) -> str:
    """A value as code in a table cell: JSON, shortened, with nothing that could end the cell or the table."""
    text = value if isinstance(value, str) and value.startswith("[secret]") else jsontext.dumps(value, indent=None)
    return _code(text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…")


def _code(text: str) -> str:
    return f"<code>{_escape(text)}</code>"


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def _text(value: Any) -> str:
    text = jsontext.dumps(value, indent=None)
    return text if len(text) <= _TEXT_CHARS else text[: _TEXT_CHARS - 1] + "…"


FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown}
