"""What platform-app.service runs on a VM: credentials from Secret Manager into the container's environment only."""

from __future__ import annotations

import base64
import json

import pytest

from components.gcp import launcher

IMAGE = "us-docker.pkg.dev/team-project/apps/web:2.0.0"
METADATA = {
    "attributes/platform-image": IMAGE,
    "attributes/platform-env": json.dumps({"PORT": "8080", "APP_COLOR": "green", "REDIS_CA_CERT": "-----BEGIN\nX"}),
    "attributes/platform-secrets": json.dumps(
        {"DATABASE_PASSWORD": "projects/p/secrets/platform-dev-database-password"}
    ),
    "service-accounts/default/token": json.dumps({"access_token": "ya29.token", "expires_in": 3599}),
}


@pytest.fixture
def vm(monkeypatch, tmp_path):
    """The VM's metadata server and Secret Manager, and what the launcher asks docker to do."""
    calls: dict = {"urls": [], "runs": []}

    def get(url, headers):
        calls["urls"].append((url, headers))
        if url.startswith(launcher.METADATA):
            return METADATA[url.removeprefix(launcher.METADATA)].encode()
        payload = base64.b64encode(b"s3cret-value").decode()
        return json.dumps({"name": url, "payload": {"data": payload}}).encode()

    def run(command, **kwargs):
        calls["runs"].append((command, kwargs))

    def execvpe(file, args, env):
        calls["exec"] = (file, args, env)

    monkeypatch.setattr(launcher, "_get", get)
    monkeypatch.setattr(launcher, "STARTED_VERSIONS", tmp_path / "versions.json")
    monkeypatch.setattr(launcher.subprocess, "run", run)
    monkeypatch.setattr(launcher.os, "execvpe", execvpe)
    return calls


def test_secrets_are_read_with_the_vm_token_and_reach_only_the_environment(vm):
    launcher.main()
    secret_url, headers = vm["urls"][-1]
    assert secret_url == (
        "https://secretmanager.googleapis.com/v1/projects/p/secrets/platform-dev-database-password/versions/latest:access"
    )
    assert headers == {"Authorization": "Bearer ya29.token"}
    file, args, env = vm["exec"]
    assert file == "docker" and args[-1] == IMAGE
    assert env["DATABASE_PASSWORD"] == "s3cret-value" and env["REDIS_CA_CERT"] == "-----BEGIN\nX"
    assert "s3cret-value" not in " ".join(args)  # passed by name: not visible in the process list
    position = args.index("DATABASE_PASSWORD")
    assert args[position - 1] == "--env"


def test_artifact_registry_login_uses_the_vm_token_on_stdin_then_pulls(vm):
    launcher.main()
    (login, login_options), (pull, _), (remove, _) = vm["runs"]
    assert login == [
        "docker",
        "login",
        "--username",
        "oauth2accesstoken",
        "--password-stdin",
        "https://us-docker.pkg.dev",
    ]
    assert login_options["input"] == b"ya29.token" and login_options["check"] is True
    assert pull == ["docker", "pull", IMAGE]
    assert remove == ["docker", "rm", "--force", "platform-app"]


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0", "us-docker.pkg.dev"),
        ("gcr.io/google-samples/hello-app:1.0", "gcr.io"),
        ("eu.gcr.io/team/app:1", "eu.gcr.io"),
        ("registry.example.com/team/app:1", None),
        ("docker.io/library/nginx:1.27", None),
        ("nginx:1.27", None),
    ],
)
def test_only_google_registries_get_the_token(image, registry):
    assert launcher.google_registry(image) == registry


def test_the_container_runs_unprivileged_on_the_host_network():
    command = launcher.docker_run(IMAGE, ["PORT", "APP_COLOR"])
    assert command[:5] == ["docker", "run", "--rm", "--name", "platform-app"]
    flags = " ".join(command)
    assert "--network host --user 10001:10001 --read-only --tmpfs /tmp --cap-drop ALL" in flags
    assert "--security-opt no-new-privileges" in flags
    assert command[-5:] == ["--env", "APP_COLOR", "--env", "PORT", IMAGE]
