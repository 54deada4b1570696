"""``infractl diff`` on temporary git repositories: a small program committed on ``main``, then changed."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infractl import cli, diff, diff_format

PROGRAM = """
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
queue = aws.sqs.Queue(
    "jobs",
    message_retention_seconds=int(config.require("retention")),
    tags={"team": "platform", "tier": "worker"},
)
aws.ssm.Parameter("token", type="SecureString", value=pulumi.Output.secret("token-one"))
pulumi.export("contract_version", "1")
pulumi.export("queue_url", queue.url)
pulumi.export("queue_name", queue.name)
"""
STACK = 'config:\n  shop:retention: "86400"\n'
README = "# shop\n\n## Outputs (contract version 1)\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose ``main`` holds the program; tests edit the working tree."""
    repo = tmp_path / "shop"
    repo.mkdir()
    (repo / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (repo / "Pulumi.test.yaml").write_text(STACK)
    (repo / "__main__.py").write_text(PROGRAM)
    (repo / "README.md").write_text(README)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "base")
    return repo


def edit(repo: Path, name: str, old: str, new: str) -> None:
    path = repo / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))


def run_diff(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, Any, str]:
    code = cli.main(["diff", "--program", str(repo), "--stack", "test", "--base", "main", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_unchanged_tree_has_an_empty_diff(capsys, repo):
    code, result, _ = run_diff(capsys, repo)
    assert code == 0
    assert (result["added"], result["removed"], result["changed"]) == ([], [], [])
    assert result["outputs"] == {"added": [], "removed": [], "changed": []}
    assert result["stack"] == "test" and result["base"].startswith("main (")


def test_a_config_change_shows_exactly_the_changed_inputs(capsys, repo):
    edit(repo, "Pulumi.test.yaml", '"86400"', '"172800"')
    edit(repo, "__main__.py", '"tier": "worker"', '"tier": "batch"')
    code, result, _ = run_diff(capsys, repo)
    assert code == 0
    (changed,) = result["changed"]
    assert (changed["type"], changed["name"]) == ("aws:sqs/queue:Queue", "jobs")
    assert changed["changes"] == [
        {"path": "messageRetentionSeconds", "before": 86400, "after": 172800},
        {"path": "tags.tier", "before": "worker", "after": "batch"},
    ]
    assert result["added"] == result["removed"] == []


def test_a_renamed_resource_is_removed_and_added(capsys, repo):
    edit(repo, "__main__.py", '"jobs",', '"orders",')
    code, result, _ = run_diff(capsys, repo)
    assert code == 0  # its outputs keep their names and types
    assert [(r["type"], r["name"]) for r in result["removed"]] == [("aws:sqs/queue:Queue", "jobs")]
    assert [(r["type"], r["name"]) for r in result["added"]] == [("aws:sqs/queue:Queue", "orders")]
    assert result["added"][0]["urn"].endswith("$aws:sqs/queue:Queue::orders")
    assert result["changed"] == []


def test_a_secret_change_is_reported_without_its_value(capsys, repo):
    edit(repo, "__main__.py", '"token-one"', '"token-two"')
    for form in ("json", "text", "markdown"):
        code = cli.main(["diff", "--program", str(repo), "--stack", "test", "--base", "main", "--format", form])
        out, _ = capsys.readouterr()
        assert code == 0 and "[secret]" in out
        assert "token-one" not in out and "token-two" not in out
    _, result, _ = run_diff(capsys, repo)
    (changed,) = result["changed"]
    assert changed["name"] == "token"
    assert changed["changes"] == [{"path": "value", "before": "[secret]", "after": "[secret]"}]


def test_an_unchanged_secret_is_no_change(capsys, repo):
    edit(repo, "__main__.py", '"tier": "worker"', '"tier": "batch"')
    _, result, _ = run_diff(capsys, repo)
    assert [c["name"] for c in result["changed"]] == ["jobs"]  # the parameter's secret hashes the same


def test_an_output_removed_without_a_version_bump_exits_1(capsys, repo):
    edit(repo, "__main__.py", 'pulumi.export("queue_name", queue.name)\n', "")
    code, result, _ = run_diff(capsys, repo)
    assert code == 1
    assert [o["name"] for o in result["outputs"]["removed"]] == ["queue_name"]
    assert result["contract"] == {
        "broken": True,
        "version": None,
        "breaks": [{"output": "queue_name", "problem": "removed", "consumers": []}],
    }
    code = cli.main(["diff", "--program", str(repo), "--stack", "test", "--base", "main"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "output queue_name is removed: this breaks its consumers (every StackReference" in out
    assert "bump contract_version and document the new version in README.md" in out


def test_a_renamed_or_retyped_output_breaks_the_contract(capsys, repo):
    edit(repo, "__main__.py", '"queue_name", queue.name', '"queue_id", queue.name')
    edit(repo, "__main__.py", '"queue_url", queue.url', '"queue_url", {"primary": queue.url}')
    code, result, _ = run_diff(capsys, repo)
    assert code == 1
    assert {(b["output"], b["problem"]) for b in result["contract"]["breaks"]} == {
        ("queue_name", "renamed to queue_id"),
        ("queue_url", "changes type from string to object"),
    }


def test_a_version_bump_documented_in_the_readme_is_the_way_through(capsys, repo):
    edit(repo, "__main__.py", 'pulumi.export("queue_name", queue.name)\n', "")
    edit(repo, "__main__.py", '"contract_version", "1"', '"contract_version", "2"')
    code, result, _ = run_diff(capsys, repo)
    assert code == 1  # bumped, but README.md does not say what version 2 is
    assert result["contract"]["version"] == ["1", "2"]
    edit(repo, "README.md", "contract version 1", "contract version 2")
    code, result, _ = run_diff(capsys, repo)
    assert code == 0 and result["contract"]["broken"] is False
    assert result["outputs"]["changed"] == [{"name": "contract_version", "before": "1", "after": "2"}]


def test_consumers_in_this_repository_are_named():
    assert diff.consumers("aws_https_listener_id") == ["infractl/ops/release.py", "infractl/ops/shift.py"]
    assert diff.consumers("aws_dr_database_id") == ["infractl/ops/failover.py"]


def test_matrix_diffs_every_stack_and_cloud(capsys, repo):
    code = cli.main(["diff", "--program", str(repo), "--base", "main", "--matrix", "--format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [d["stack"] for d in result["stacks"]] == ["test:aws", "test:azure", "test:gcp"]


def test_a_stack_new_in_the_working_tree_is_all_added(capsys, repo):
    (repo / "Pulumi.qa.yaml").write_text(STACK)
    code = cli.main(["diff", "--program", str(repo), "--base", "main", "--format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    qa, test = result["stacks"]
    assert (qa["stack"], qa["removed"]) == ("qa", [])
    assert sorted(r["name"] for r in qa["added"]) == ["jobs", "token"]
    assert test["added"] == test["changed"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "no-such-branch"], "--base no-such-branch: "),
        (["--base", "main", "--stack", "missing"], "no stack file Pulumi.missing.yaml"),
    ],
)
def test_bad_input_exits_2(capsys, repo, args, message):
    code = cli.main(["diff", "--program", str(repo), *args])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and message in err


def test_not_a_repository_exits_2(capsys, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: loose\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    assert cli.main(["diff", "--program", str(tmp_path), "--base", "main"]) == 2
    assert "not a git repository" in capsys.readouterr().err


def test_the_temporary_worktree_is_removed(capsys, repo):
    run_diff(capsys, repo)
    assert git(repo, "worktree", "list").count("\n") == 1


def _stack_diff(changes: int) -> diff.StackDiff:
    return diff.StackDiff(
        stack="prod",
        base="main (0123456789ab)",
        changed=[
            diff.ResourceChange(
                f"urn:{i}", "aws:s3/bucket:Bucket", f"bucket-{i}", [diff.Change("policy", "x" * 500, i)]
            )
            for i in range(changes)
        ],
    )


def test_markdown_stays_under_the_comment_limit_with_a_note():
    comment = diff_format.to_markdown([_stack_diff(5_000), _stack_diff(3)], "main")
    assert len(comment) <= diff_format.COMMENT_LIMIT
    assert comment.startswith(diff_format.MARKER)
    assert "| `prod` | 0 | 0 | 5000 |" in comment  # the summary always fits
    assert "Truncated: " in comment and "more lines do not fit in one comment" in comment
    assert comment.count("<details") == comment.count("</details>") == 1


def test_markdown_collapses_long_sections_and_escapes_cells():
    short, long_ = _stack_diff(2), _stack_diff(40)
    short.changed[0].changes[0] = diff.Change("tags.x|y", "a|b\nc", "<script>")
    comment = diff_format.to_markdown([short, long_], "main")
    assert comment.count("<details open>") == 1 and comment.count("<details>") == 1
    assert "<code>tags.x&#124;y</code>" in comment and '<code>"a&#124;b\\nc"</code>' in comment
    assert "&lt;script&gt;" in comment and "<script>" not in comment
    assert "Truncated" not in comment


def test_each_side_imports_its_own_copy_of_local_modules(capsys, repo, monkeypatch):
    (repo / "shop_settings.py").write_text('RETENTION_TAG = "short"\n')
    edit(repo, "__main__.py", '"tier": "worker"', '"tier": "worker", "retention": shop_settings.RETENTION_TAG')
    edit(repo, "__main__.py", "import pulumi_aws as aws\n", "import pulumi_aws as aws\nimport shop_settings\n")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "settings")
    (repo / "shop_settings.py").write_text('RETENTION_TAG = "long"\n')
    monkeypatch.syspath_prepend(str(repo))
    monkeypatch.delitem(sys.modules, "shop_settings", raising=False)
    importlib.import_module("shop_settings")  # the working tree's copy, inherited by every worker
    _, result, _ = run_diff(capsys, repo)
    (changed,) = result["changed"]
    assert changed["changes"] == [{"path": "tags.retention", "before": "short", "after": "long"}]


def test_a_deleted_stack_is_all_removed_without_a_contract_to_guard(capsys, repo):
    (repo / "Pulumi.test.yaml").unlink()
    code, result, _ = run_diff(capsys, repo)
    assert code == 0  # decommissioned on purpose: its outputs go with it
    assert sorted(r["name"] for r in result["removed"]) == ["jobs", "token"]
    assert [o["name"] for o in result["outputs"]["removed"]] == ["contract_version", "queue_name", "queue_url"]
    assert result["contract"]["breaks"] == []
