"""The Kubernetes deployment handed secret values, as a cloud's secret store would hand them over."""

import pulumi

from components import config, kubernetes

kubernetes.export(
    kubernetes.deploy(
        config.load(),
        secrets={"DATABASE_PASSWORD": pulumi.Output.secret("db-pass"), "REDIS_AUTH_TOKEN": pulumi.Output.secret("tok")},
    )
)
