"""Kubernetes workloads: no privileged containers or host namespaces; in prod, credentials as mounted files and
images pinned by digest. Every kind that carries a pod template is read, with all three container lists."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from .base import Params, dig, items, resource_rule, truthy

# Per kind (any API version, server-side-apply ``...Patch`` kinds too): where its pod spec is.
POD_SPECS = {
    "Pod": "spec",
    "PodTemplate": "template.spec",
    "Deployment": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "ReplicationController": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a Kubernetes workload, or None for other resources."""
    if not resource_type.startswith("kubernetes:"):
        return None
    path = POD_SPECS.get(resource_type.rpartition(":")[2].removesuffix("Patch"))
    spec = dig(props, path) if path else None
    return spec if isinstance(spec, Mapping) else None


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container of a pod spec (init and ephemeral ones too), as (description, container)."""
    for kind in CONTAINER_LISTS:
        for container in items(spec, kind):
            if isinstance(container, Mapping):
                prefix = "container" if kind == "containers" else kind.removesuffix("s")
                yield f"{prefix} {container.get('name', '?')}", container


# Capabilities that amount to a privileged container.
PRIVILEGED_CAPABILITIES = frozenset({"ALL", "SYS_ADMIN"})


def _privileged(spec: Mapping[str, Any]) -> Iterator[str]:
    if truthy(dig(spec, "securityContext.windowsOptions.hostProcess")):
        yield "the pod runs as a Windows HostProcess (securityContext.windowsOptions.hostProcess)"
    for what, container in containers(spec):
        context = container.get("securityContext") or {}
        if truthy(dig(context, "privileged")):
            yield f"{what} is privileged"
        added = {str(c).upper().removeprefix("CAP_") for c in items(context, "capabilities.add")}
        if added & PRIVILEGED_CAPABILITIES:
            yield f"{what} adds capabilities {', '.join(sorted(added & PRIVILEGED_CAPABILITIES))}"
        if truthy(dig(context, "windowsOptions.hostProcess")):
            yield f"{what} is a Windows HostProcess container"


def _host_namespaces(spec: Mapping[str, Any]) -> Iterator[str]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if truthy(spec.get(key)):
            yield f"{key} is true"


def _secret_env(spec: Mapping[str, Any]) -> Iterator[str]:
    for what, container in containers(spec):
        for variable in items(container, "env"):
            if dig(variable, "valueFrom.secretKeyRef"):
                yield f"{what} reads secret {dig(variable, 'valueFrom.secretKeyRef.name')} into ${variable.get('name')}"
        for source in items(container, "envFrom"):
            if dig(source, "secretRef"):
                yield f"{what} loads secret {dig(source, 'secretRef.name')} as environment variables"


# An OCI digest: sha256 (64 hex) or sha512 (128 hex), at the end of the reference.
DIGEST = re.compile(r"@(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


def _unpinned(spec: Mapping[str, Any]) -> Iterator[str]:
    for what, container in containers(spec):
        image = str(container.get("image") or "")
        if not DIGEST.search(image):
            yield f"{what} image {image or '(none)'} is not pinned by digest (@sha256:...)"


def _workload_rule(name: str, description: str, remediation: str, problems: Any) -> Any:
    """A resource rule over every pod spec, reporting each problem ``problems(spec)`` yields."""

    @resource_rule(name=name, description=description, remediation=remediation)
    def rule(args: ResourceValidationArgs, report: ReportViolation, params: Params) -> None:
        spec = pod_spec(args.resource_type, args.props)
        for problem in problems(spec) if spec is not None else ():
            report(f"{args.name}: {problem}.")

    return rule


no_privileged_containers = _workload_rule(
    "k8s-no-privileged-containers",
    "No container runs privileged (privileged, CAP_SYS_ADMIN / ALL, Windows HostProcess).",
    "Remove securityContext.privileged, drop added SYS_ADMIN / ALL capabilities and HostProcess; grant only the "
    "narrow capability a container needs.",
    _privileged,
)
no_host_namespaces = _workload_rule(
    "k8s-no-host-namespaces",
    "Pods do not share the node's network, process or IPC namespace (hostNetwork, hostPID, hostIPC).",
    "Remove hostNetwork, hostPID and hostIPC from the pod spec; expose ports through a Service.",
    _host_namespaces,
)
no_secret_env_vars = _workload_rule(
    "k8s-no-secret-env-vars",
    "Prod credentials reach pods as files mounted from the Secret, not as environment variables "
    "(env valueFrom.secretKeyRef, envFrom secretRef).",
    "Mount the Secret as a volume (readOnly) and read the credential files; drop secretKeyRef / secretRef "
    "environment variables.",
    _secret_env,
)
image_digest = _workload_rule(
    "k8s-image-digest",
    "Prod containers run images pinned by digest (image@sha256:...), so what was validated is what runs.",
    "Reference every image (init and ephemeral containers too) by digest: registry/repo[:tag]@sha256:<64 hex>.",
    _unpinned,
)

POLICIES = [no_privileged_containers, no_host_namespaces, no_secret_env_vars, image_digest]
