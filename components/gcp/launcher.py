"""Starts the release on an app VM; what ``platform-app.service`` runs, as root, at every start.

It runs on the VM under Debian's python3 (standard library only), installed there by the startup
script (``startup.py``), and is never imported by the Pulumi program. It reads the instance
metadata the template carries: ``platform-image`` (the colour's release), ``platform-env`` (app
settings and service endpoints) and ``platform-secrets`` (environment variable -> Secret Manager
secret). With the VM service account's token from the metadata server it reads each secret's latest
version, logs in to Artifact Registry or Container Registry when the image lives there, pulls the
image and replaces itself with ``docker run``: credentials reach only the container's environment,
never the metadata, the template or the disk (docker's login lives in the unit's runtime directory).

Credentials rotate in Secret Manager (``rotation.py``), so the launcher notes which version of each it
started the container with (names only, in the runtime directory). ``launch.py check``, run by a timer,
compares them with the latest versions and restarts the service when one changed: the container picks
the new value up without a redeploy.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterable
from pathlib import Path

METADATA = "http://metadata.google.internal/computeMetadata/v1/instance/"
SECRET_MANAGER = "https://secretmanager.googleapis.com/v1/"
CONTAINER = "platform-app"
SERVICE = "platform-app.service"
STARTED_VERSIONS = Path("/run/platform-app/versions.json")  # the unit's runtime directory: gone when it stops
RUN_AS_USER = "10001:10001"  # the uid the pods run as too; the image must not need root
TIMEOUT_SECONDS = 10
# Registries that take the VM service account's OAuth token: Artifact Registry and Container Registry.
GOOGLE_REGISTRIES = ("-docker.pkg.dev", "gcr.io")


def _get(url: str, headers: dict[str, str]) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_SECONDS) as response:
        body: bytes = response.read()
        return body


def metadata(path: str) -> str:
    return _get(METADATA + path, {"Metadata-Flavor": "Google"}).decode()


def secret(resource: str, token: str) -> tuple[str, str]:
    """The latest version of ``projects/<p>/secrets/<id>``: its name (``.../versions/<n>``) and its value."""
    body = json.loads(_get(f"{SECRET_MANAGER}{resource}/versions/latest:access", {"Authorization": f"Bearer {token}"}))
    return body["name"], base64.b64decode(body["payload"]["data"]).decode()


def _token() -> str:
    return str(json.loads(metadata("service-accounts/default/token"))["access_token"])


def _secret_names() -> dict[str, str]:
    names: dict[str, str] = json.loads(metadata("attributes/platform-secrets"))
    return names


def google_registry(image: str) -> str | None:
    """The registry host when the image lives in Artifact Registry or Container Registry, else None."""
    host, _, rest = image.partition("/")
    return host if rest and host.endswith(GOOGLE_REGISTRIES) else None


def docker_run(image: str, variables: Iterable[str]) -> list[str]:
    """``docker run`` for the release: host network (the app port is what the load balancer checks, the
    firewall admits only it), non-root, read-only root with a writable /tmp, no capabilities; each variable
    passed by name, so its value (credentials included) comes from this process's environment."""
    return [
        "docker",
        "run",
        "--rm",
        "--name",
        CONTAINER,
        "--network",
        "host",
        "--user",
        RUN_AS_USER,
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=50m",
        "--log-opt",
        "max-file=3",
        *(argument for name in sorted(variables) for argument in ("--env", name)),
        image,
    ]


def main() -> None:
    image = metadata("attributes/platform-image")
    env: dict[str, str] = json.loads(metadata("attributes/platform-env"))
    token = _token()
    latest = {name: secret(resource, token) for name, resource in _secret_names().items()}
    env |= {name: value for name, (_, value) in latest.items()}
    STARTED_VERSIONS.write_text(json.dumps({name: version for name, (version, _) in latest.items()}))
    registry = google_registry(image)
    if registry:
        login = ["docker", "login", "--username", "oauth2accesstoken", "--password-stdin", f"https://{registry}"]
        subprocess.run(login, input=token.encode(), check=True, capture_output=True)
    subprocess.run(["docker", "pull", image], check=True)
    subprocess.run(["docker", "rm", "--force", CONTAINER], check=False, capture_output=True)
    command = docker_run(image, env)
    os.execvpe(command[0], command, {**os.environ, **env})


def rotated() -> list[str]:
    """The credentials whose latest version is not the one the running container started with."""
    if not STARTED_VERSIONS.exists():
        return []  # the service is not running: its next start reads the latest anyway
    started: dict[str, str] = json.loads(STARTED_VERSIONS.read_text())
    token = _token()
    return [name for name, resource in _secret_names().items() if secret(resource, token)[0] != started.get(name)]


def check() -> None:
    """Restart the service onto rotated credentials (``launch.py check``, from the refresh timer)."""
    changed = rotated()
    if changed:
        print(f"rotated: {', '.join(changed)}; restarting {SERVICE}", flush=True)
        subprocess.run(["systemctl", "restart", SERVICE], check=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        check()
    else:
        main()
