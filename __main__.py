"""The platform: one environment (dev, staging or prod) on each cloud the stack names.

Read top-down: validate the whole configuration first (nothing is created if it is
wrong), then stand up the environment on each cloud and export its outputs contract.
"""

import pulumi

from components import clouds, config, outputs

settings = config.load()

pulumi.export("environment", settings.environment)
pulumi.export("contract_version", outputs.CONTRACT_VERSION)
pulumi.export("active_color", settings.blue_green.active_color)
pulumi.export("traffic_weights", settings.blue_green.weights)

environments = {cloud: clouds.deploy(cloud, settings) for cloud in settings.clouds}
for cloud, environment in environments.items():
    outputs.export(cloud, environment)

if settings.kubernetes.enabled:
    from components import kubernetes  # imported only when used, like each cloud's SDK

    # Pods connect to the services of the first cloud the stack names.
    kubernetes.export(kubernetes.deploy(settings, environments[settings.clouds[0]].workload))
