"""Pulumi.yaml, stack files, stack names and ``--config`` overrides: read as Pulumi reads them, or one clear error.

Every problem names the file and line (or the stack, or the override) and what is wrong, and reaches the
user as exit code 2 before the program runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infractl import cli
from infractl.stackconfig import ProgramError, Project
from tests.conftest import ROOT

PROJECT = b"name: platform\nruntime: python\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project in a temporary directory (the working directory, so messages name files as written)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "__main__.py").write_text("")

    def make(stack: bytes = b"config: {}\n", manifest: bytes = PROJECT) -> Path:
        (tmp_path / "Pulumi.yaml").write_bytes(manifest)
        (tmp_path / "Pulumi.t.yaml").write_bytes(stack)
        return tmp_path

    return make


def config_of(directory: Path, *overrides: str) -> dict[str, str]:
    return Project.load(directory).stack_config("t", overrides)[0]


def problem(directory: Path, *overrides: str) -> str:
    with pytest.raises(ProgramError) as error:
        config_of(directory, *overrides)
    return str(error.value)


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        (b"config:\n  platform:clouds: [aws\n", "Pulumi.t.yaml:3:1: expected ',' or ']', but got '<stream end>'"),
        (b"config:\n  platform:x: a: b\n", "Pulumi.t.yaml:2:16: mapping values are not allowed here"),
        (
            b"config:\n\tplatform:environment: dev\n",
            "Pulumi.t.yaml:2:1: a tab character here; YAML indents with spaces",
        ),
        (b"config:\n  platform:a: 1\n\tplatform:b: 2\n", "Pulumi.t.yaml:3:1: a tab character here"),
        (b"- config\n", "Pulumi.t.yaml:1: the top level must be a mapping (name: value lines), not a list"),
        (b"config\n", "Pulumi.t.yaml:1: the top level must be a mapping (name: value lines), not a str"),
        (b"# a comment\nconfig: [platform:x]\n", "Pulumi.t.yaml:2: config must be a mapping of namespace:key to value"),
        (b"config: dev\n", "Pulumi.t.yaml:1: config must be a mapping"),
        (b"config:\n  1: x\n", "Pulumi.t.yaml:2:3: key '1' reads as int, not text; quote it"),
        (b"config:\n  ~: x\n", "Pulumi.t.yaml:2:3: key '~' reads as NoneType, not text"),
        (b"config:\n  platform:tags: {true: x}\n", "Pulumi.t.yaml:2:19: key 'true' reads as bool, not text"),
        (b"config: {}\nconfig: {}\n", "Pulumi.t.yaml:2:1: duplicate key 'config' (first at line 1); Pulumi refuses"),
        (
            b"config:\n  platform:environment: dev\n  platform:environment: prod\n",
            "Pulumi.t.yaml:3:3: duplicate key 'platform:environment' (first at line 2)",
        ),
        (b"config:\n  platform:aws:\n    region: a\n    region: b\n", "Pulumi.t.yaml:4:5: duplicate key 'region'"),
        (
            b"config:\n  platform:tags: {owner: caf\xe9}\n",
            "Pulumi.t.yaml:2: byte 0xe9 is not UTF-8; save the file as UTF-8",
        ),
        (b"\xff\xfeconfig: {}\n", "Pulumi.t.yaml:1: byte 0xff is not UTF-8"),
        (b"config:\n  platform:x: a\x07b\n", "Pulumi.t.yaml:2: character #x0007 is not allowed in YAML"),
        (
            b"config: {}\n---\nconfig: {}\n",
            "Pulumi.t.yaml:2:1: expected a single document in the stream (line 1), but found another document",
        ),
        (
            b"config:\n  platform:environment: dev\n  platfrom:database: {}\n",
            "Pulumi.t.yaml:3: config key 'platfrom:database': unknown namespace 'platfrom'; "
            "did you mean platform:database? (other namespaces are providers' config, e.g. aws:region)",
        ),
        (b"config:\n  Platform:environment: dev\n", "Pulumi.t.yaml:2: config key 'Platform:environment': unknown"),
        (b"config:\n  platforms:environment: dev\n", "did you mean platform:environment?"),
        (
            b"config:\n  environment: dev\n",
            "Pulumi.t.yaml:2: config key 'environment' must be <namespace>:<name>, e.g. platform:environment",
        ),
        (b"config:\n  'platform:': dev\n", "Pulumi.t.yaml:2: config key 'platform:' must be <namespace>:<name>"),
        (b"config:\n  platform:a:b: dev\n", "config key 'platform:a:b' must be <namespace>:<name>"),
        (b"config:\n  platform:environment:\n", "Pulumi.t.yaml:2: config key 'platform:environment' has no value"),
        (
            b"config:\n  platform:alarms: {cpuPercent: {warning: .inf}}\n",
            "Pulumi.t.yaml:2:43: .inf is not a finite number; config values must be finite",
        ),
        (b"config:\n  platform:x: [1, -.Inf]\n", "Pulumi.t.yaml:2:19: -.Inf is not a finite number"),
        (b"config:\n  platform:x: .nan\n", "Pulumi.t.yaml:2:15: .nan is not a finite number"),
    ],
)
def test_stack_file_problems_name_file_line_and_problem(project, stack, expected):
    assert expected in problem(project(stack))


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (b"runtime: python\n", "Pulumi.yaml:1: name = None: a project needs a name of 1-100 letters"),
        (b"name: my project\nruntime: python\n", "Pulumi.yaml:1: name = 'my project': a project needs a name"),
        (b"name: platform\nruntime: nodejs\n", "Pulumi.yaml:2: runtime must be python, not 'nodejs'"),
        (b"name: platform\nruntime: python\nmain: [a]\n", "Pulumi.yaml:3: main = ['a']: must be a path"),
        (b"name: platform\nname: other\nruntime: python\n", "Pulumi.yaml:2:1: duplicate key 'name'"),
        (b"name: platform\nruntime: {name: python\n", "Pulumi.yaml:3:1: expected ',' or '}'"),
        (b"name: plat\xc3\n", "Pulumi.yaml:1: byte 0xc3 is not UTF-8"),
        (b"[name, platform]\n", "Pulumi.yaml:1: the top level must be a mapping"),
        (b"name: platform\nruntime: python\nconfig: [a]\n", "Pulumi.yaml:3: config must be a mapping"),
        (
            b"name: platform\nruntime: python\nconfig:\n  platfrom:environment: dev\n",
            "Pulumi.yaml:4: config key 'platfrom:environment': unknown namespace 'platfrom'; did you mean",
        ),
        (b"name: platform\nruntime: python\nconfig:\n  x: .nan\n", "Pulumi.yaml:4:6: .nan is not a finite number"),
    ],
)
def test_project_file_problems_name_file_line_and_problem(project, manifest, expected):
    with pytest.raises(ProgramError) as error:
        Project.load(project(manifest=manifest))
    assert expected in str(error.value)


def test_files_read_as_pulumi_reads_them(project):
    """YAML 1.2, as Pulumi's Go reader: times, dates, yes/no stay text; providers' namespaces pass through."""
    directory = project(
        b"config:\n"
        b"  platform:environment: dev\n"
        b"  platform:gcp: {databaseBackupStartTime: 13:00, project: yes}\n"
        b"  platform:blueGreen:\n"
        b"    releases:\n"
        b"      blue: &release {image: 'app:1', version: 2024-01-01}\n"
        b"      green: *release\n"
        b"  platform:database: {<<: {port: 5432, name: a}, name: b, allocatedStorageGb: 0x20}\n"
        b"  platform:config:cache: {port: 010}\n"
        b"  aws:region: eu-west-1\n"
        b"  azure-native:location: westeurope\n"
        b"  gcp:project: my-project\n"
        b"  kubernetes:context: kind\n"
        b"  pulumi:disable-default-providers: ['*']\n"
        b"  platform:secret: {secure: AAABAG}\n",
        manifest=PROJECT + b"config:\n  app:\n    default: {logLevel: debug}\n  aws:skipMetadataApiCheck: false\n",
    )
    config, secrets = Project.load(directory).stack_config("t")
    assert json.loads(config["platform:gcp"]) == {"databaseBackupStartTime": "13:00", "project": "yes"}
    assert json.loads(config["platform:blueGreen"])["releases"]["green"] == {"image": "app:1", "version": "2024-01-01"}
    assert json.loads(config["platform:database"]) == {"port": 5432, "name": "b", "allocatedStorageGb": 32}
    assert json.loads(config["platform:cache"]) == {"port": 10}
    assert (config["aws:region"], config["azure-native:location"], config["kubernetes:context"]) == (
        "eu-west-1",
        "westeurope",
        "kind",
    )
    assert config["platform:app"] == '{"logLevel": "debug"}' and config["aws:skipMetadataApiCheck"] == "false"
    assert (config["platform:secret"], secrets) == ("[secret]", ["platform:secret"])


@pytest.mark.parametrize("stack", ["dev", "feature-x.2_b", "A" * 100])
def test_stack_names_pulumi_accepts(project, stack):
    directory = project()
    (directory / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    assert Project.load(directory).stack_config(stack) == ({}, [])


@pytest.mark.parametrize("stack", ["../dev", "org/dev", "a\\b", "my stack", "", "A" * 101, "dev\n", "dév"])
def test_stack_names_pulumi_refuses_are_named_in_the_error(project, stack):
    with pytest.raises(ProgramError) as error:
        Project.load(project()).stack_config(stack)
    assert str(error.value) == (
        f"stack {stack!r}: a stack name is 1-100 letters, digits, -, _ and . (no spaces or path separators)"
    )


STACK = (
    b"config:\n  platform:environment: dev\n  platform:clouds: [aws]\n  platform:aws: {region: us-east-1}\n"
    b"  platform:a: {b: [{c: 1}, {c: 2}]}\n"
)


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        (["clouds[0]=gcp"], "platform:clouds", ["gcp"]),
        (["clouds[1]=azure"], "platform:clouds", ["aws", "azure"]),  # the next index appends
        (['clouds=["gcp"]'], "platform:clouds", ["gcp"]),
        (["aws.drRegion=us-west-1"], "platform:aws", {"region": "us-east-1", "drRegion": "us-west-1"}),
        (["platform:aws.region=eu-west-1"], "platform:aws", {"region": "eu-west-1"}),
        (["compute.web.minSize=3"], "platform:compute", {"web": {"minSize": 3}}),
        (["a.b[1].c=x"], "platform:a", {"b": [{"c": 1}, {"c": "x"}]}),
        (["a.b[2].c=x"], "platform:a", {"b": [{"c": 1}, {"c": 2}, {"c": "x"}]}),
        (
            ["alarms.subscriptions.critical[0]=oncall@example.com"],
            "platform:alarms",
            {"subscriptions": {"critical": ["oncall@example.com"]}},
        ),
        (['tags["cost.center"]=x'], "platform:tags", {"cost.center": "x"}),
        (
            ["x.on=true", "x.off=false", "x.n=-3", "x.zip=007", "x.v=1.5"],
            "platform:x",
            {"on": True, "off": False, "n": -3, "zip": "007", "v": "1.5"},
        ),
        (
            ['aws={"region": "us-west-2"}', "aws.drRegion=us-east-2"],
            "platform:aws",
            {"region": "us-west-2", "drRegion": "us-east-2"},
        ),
    ],
)
def test_config_paths_work_like_pulumi_config_set_path(project, overrides, key, expected):
    config = config_of(project(STACK), *overrides)
    assert json.loads(config[key]) == expected


def test_config_override_of_a_provider_key_and_a_plain_value(project):
    config = config_of(project(STACK), "aws:region=eu-west-1", "environment=staging")
    assert (config["aws:region"], config["platform:environment"]) == ("eu-west-1", "staging")
    assert json.loads(config["platform:aws"]) == {"region": "us-east-1"}  # the provider key is another key


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("clouds[3]=gcp", "platform:clouds[3] is past the end of platform:clouds (1 items); use [1] to append"),
        (
            "fresh.list[1]=x",
            "platform:fresh.list[1] is past the end of platform:fresh.list (0 items); use [0] to append",
        ),
        ("environment.name=x", 'platform:environment is the single value "dev", so nothing can be set inside it'),
        ("aws.region.name=x", 'platform:aws.region is the single value "us-east-1", so nothing can be set inside'),
        ("aws[0]=x", "platform:aws is an object, not a list; [0] cannot apply"),
        ("clouds.first=x", "platform:clouds is a list, so nothing can be set inside it (platform:clouds.first)"),
        ("clouds[0].name=x", 'platform:clouds[0] is the single value "aws", so nothing can be set inside it'),
        ("secret.name=x", "platform:secret is a secret (set it whole), so nothing can be set inside it"),
        (
            "aws..region=x",
            "cannot read the key path at '..region'; write name.name, name[0] or name[\"key.with.dots\"]",
        ),
        ("aws.=x", "cannot read the key path at '.'"),
        (".aws=x", "cannot read the key path at '.aws'"),
        ("aws[x]=1", "cannot read the key path at '[x]'"),
        ("aws[0]region=1", "cannot read the key path at 'region'"),
        ("[0]=x", "the key path must start with a name"),
        ("region", "expected KEY=VALUE"),
        ("=x", "expected KEY=VALUE"),
        ('aws={"region": ', "the value is not valid JSON"),
        ("aws=[NaN]", "the value is not valid JSON: NaN is not a finite number"),
        ('aws={"x": 1e999}', "1e999 is not a finite number"),
    ],
)
def test_config_path_problems_name_the_override(project, override, expected):
    message = problem(project(STACK + b"  platform:secret: {secure: AAABAG}\n"), override)
    assert message.startswith(f"--config {override!r}: ")
    assert expected in message


def _plan(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["plan", *argv])
    out, err = capsys.readouterr()
    assert out == "" or code == 0
    return code, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--stack", "../dev"], "infractl plan: stack '../dev': a stack name is 1-100 letters"),
        (["--stack", "t"], "/Pulumi.t.yaml:3:3: duplicate key 'platform:environment' (first at line 2)"),
        (["--stack", "dev", "--config", "clouds[2]=gcp"], "platform:clouds[2] is past the end of platform:clouds"),
        (
            ["--stack", "dev", "--config", "database.port.number=1"],
            'platform:database.port = {"number": 1}: Input should be a valid integer; '
            "platform:database.port is a single value, so nothing can be set inside it",
        ),
        (
            ["--stack", "dev", "--config", "clouds[0]=gcq"],
            "platform:clouds.0 = \"gcq\": Input should be 'aws', 'azure'",
        ),
    ],
)
def test_bad_input_exits_2_with_the_message_before_the_program_runs(capsys, tmp_path, argv, expected):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n  platform:environment: dev\n  platform:environment: prod\n")
    (tmp_path / "components").symlink_to(ROOT / "components")
    code, err = _plan(capsys, "--program", str(tmp_path), *argv)
    assert code == 2
    assert expected in err and "Traceback" not in err


def test_a_path_override_reaches_the_program(capsys):
    code = cli.main(["plan", "--stack", "dev", "--format", "json", "--config", "clouds[0]=gcp"])
    plan = json.loads(capsys.readouterr().out)
    assert code == 0
    clouds = {r["type"].split(":")[0] for r in plan["resources"] if r["custom"]}
    assert "gcp" in clouds and "aws" not in clouds
