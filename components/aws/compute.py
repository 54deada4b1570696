"""The web, api and worker tiers as EC2 autoscaling groups in the private subnets.

Web and api run one group per colour (blue and green), each registered with its own target
group, so the load balancer's weights decide which colour serves; both colours stay at their
minimum size so a rollback only moves weights. Each tier scales on SPEC.md's signal: web on
CPU, api on requests per target, worker on queue backlog per instance. Launch-template changes
roll out through instance refresh.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import COLORS, TIERS, PlatformConfig, Tier
from .feature_flags import FeatureFlags
from .iam import assume_role_policy, policy_document
from .load_balancer import POOLED_TIERS, BlueGreenLoadBalancer
from .logs import AppLogs
from .network import Network
from .queue import WorkQueue

# AWS managed policies: Session Manager access (instead of SSH) and the CloudWatch agent.
MANAGED_POLICIES = {"ssm": "AmazonSSMManagedInstanceCore", "cloudwatch-agent": "CloudWatchAgentServerPolicy"}
# IMDSv2 with a hop limit of 1: containers or proxies on the instance cannot reach the credentials.
IMDS_HOP_LIMIT = 1
ROOT_DEVICE = "/dev/xvda"
AGENT_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
AGENT_INTERVAL_SECONDS = 60
APP_ENV_FILE = "/etc/platform/app.env"
# Group metrics published to CloudWatch; the worker's scaling metric divides by GroupInServiceInstances.
_METRIC = aws.autoscaling.Metric
GROUP_METRICS = [
    _METRIC.GROUP_MIN_SIZE,
    _METRIC.GROUP_MAX_SIZE,
    _METRIC.GROUP_DESIRED_CAPACITY,
    _METRIC.GROUP_IN_SERVICE_INSTANCES,
    _METRIC.GROUP_PENDING_INSTANCES,
    _METRIC.GROUP_STANDBY_INSTANCES,
    _METRIC.GROUP_TERMINATING_INSTANCES,
    _METRIC.GROUP_TOTAL_INSTANCES,
]


class Compute(pulumi.ComponentResource):
    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile
    launch_templates: dict[Tier, aws.ec2.LaunchTemplate]
    groups: dict[str, aws.autoscaling.Group]
    scaling_policies: dict[str, aws.autoscaling.Policy]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        key: aws.kms.Key,
        load_balancer: BlueGreenLoadBalancer,
        queue: WorkQueue,
        app_logs: AppLogs,
        secret_arns: list[pulumi.Input[str]],
        flags: FeatureFlags,
        service_env: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``service_env``: where the app finds its services (endpoints, queue URL, secret ARNs), written
        beside the app settings; ``secret_arns`` are the secrets the instances may read."""
        super().__init__("platform:aws:Compute", name, None, opts)
        self._cfg, self._lb, self._queue = cfg, load_balancer, queue
        self._instance_role(key, queue, app_logs, secret_arns, flags)
        user_data = pulumi.Output.all(**service_env).apply(lambda resolved: _user_data(cfg, resolved))
        self.launch_templates = {tier: self._launch_template(tier, network, key, user_data) for tier in TIERS}

        # (group key, tier, colour, target group): one group per colour behind the LB, one worker group.
        pools: list[tuple[str, Tier, str | None, aws.lb.TargetGroup | None]] = [
            (f"{tier}-{color}", tier, color, load_balancer.target_groups[tier][color])
            for tier in POOLED_TIERS
            for color in COLORS
        ]
        pools.append(("worker", "worker", None, None))
        self.groups, self.scaling_policies = {}, {}
        for key_, tier, color, target_group in pools:
            group = self._group(key_, tier, color, target_group, network)
            self.groups[key_] = group
            self.scaling_policies[key_] = aws.autoscaling.Policy(
                key_,
                autoscaling_group_name=group.name,
                policy_type="TargetTrackingScaling",
                target_tracking_configuration=self._target_tracking(tier, group, target_group),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({})

    def _instance_role(
        self,
        key: aws.kms.Key,
        queue: WorkQueue,
        app_logs: AppLogs,
        secret_arns: list[pulumi.Input[str]],
        flags: FeatureFlags,
    ) -> None:
        """One role for the app instances: managed SSM/agent policies plus exactly the app's own resources."""
        child = pulumi.ResourceOptions(parent=self)
        tags = self._cfg.tags_for("compute")
        self.role = aws.iam.Role(
            "instance", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), tags=tags, opts=child
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        grants: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                label,
                role=self.role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy),
                opts=child,
            )
            for label, policy in MANAGED_POLICIES.items()
        ]
        log_groups = list(app_logs.groups.values())
        inline = aws.iam.RolePolicy(
            "instance",
            role=self.role.id,
            policy=policy_document(
                {
                    "Sid": "ReadAppSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": list(secret_arns),
                },
                {
                    "Sid": "UseDataKey",
                    "Effect": "Allow",
                    # Decrypt secrets, flags and messages; GenerateDataKey to send to the encrypted queue.
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": key.arn,
                },
                {
                    "Sid": "ReadFeatureFlags",
                    "Effect": "Allow",
                    "Action": ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
                    "Resource": pulumi.Output.concat(
                        flags.application.arn,
                        "/environment/",
                        flags.environment.environment_id,
                        "/configuration/",
                        flags.profile.configuration_profile_id,
                    ),
                },
                {
                    "Sid": "ConsumeWorkQueue",
                    "Effect": "Allow",
                    # web and api enqueue work, the worker consumes it; they share this role.
                    "Action": [
                        "sqs:SendMessage",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    "Resource": queue.queue.arn,
                },
                {
                    "Sid": "WriteAppLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": [pulumi.Output.concat(group.arn, ":*") for group in log_groups],
                },
            ),
            opts=child,
        )
        # Instances launch only once the role can do its work (secrets are read at boot).
        self.instance_profile = aws.iam.InstanceProfile(
            "instance",
            role=self.role.name,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*grants, inline]),
        )

    def _launch_template(
        self, tier: Tier, network: Network, key: aws.kms.Key, user_data: pulumi.Input[str]
    ) -> aws.ec2.LaunchTemplate:
        """Latest AMI from SSM, encrypted gp3 root volume, IMDSv2 only, no public address."""
        cfg = self._cfg
        tags = cfg.tags_for(tier)
        return aws.ec2.LaunchTemplate(
            tier,
            image_id="resolve:ssm:" + cfg.aws.ami_ssm_parameter,
            instance_type=cfg.aws.instance_types[tier],
            iam_instance_profile={"arn": self.instance_profile.arn},
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": [network.app_sg.id],
                }
            ],
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_type": "gp3",
                        "volume_size": cfg.compute.root_volume_gb,
                        "encrypted": "true",
                        "kms_key_id": key.arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": IMDS_HOP_LIMIT,
            },
            monitoring={"enabled": True},
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[{"resource_type": "volume", "tags": tags}],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _group(
        self,
        key_: str,
        tier: Tier,
        color: str | None,
        target_group: aws.lb.TargetGroup | None,
        network: Network,
    ) -> aws.autoscaling.Group:
        """An autoscaling group; behind the LB it is healthy only when its target group says so."""
        cfg = self._cfg
        sizes = cfg.compute.tier(tier)
        template = self.launch_templates[tier]
        tags = {**cfg.tags_for(tier), "Name": cfg.name(key_), **({"color": color} if color else {})}
        group_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in tags.items()
        ]
        return aws.autoscaling.Group(
            key_,
            name=cfg.name(key_),
            min_size=sizes.min_size,
            max_size=sizes.max_size,
            vpc_zone_identifiers=[s.id for s in network.private_subnets],
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            target_group_arns=[target_group.arn] if target_group else [],
            health_check_type="ELB" if target_group else "EC2",
            default_instance_warmup=cfg.compute.instance_warmup_seconds,
            enabled_metrics=GROUP_METRICS,
            metrics_granularity="1Minute",
            instance_refresh={
                "strategy": "Rolling",
                "preferences": {
                    "min_healthy_percentage": cfg.compute.refresh_min_healthy_percent,
                    "instance_warmup": str(cfg.compute.instance_warmup_seconds),
                },
            },
            tags=group_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _target_tracking(
        self, tier: Tier, group: aws.autoscaling.Group, target_group: aws.lb.TargetGroup | None
    ) -> aws.autoscaling.PolicyTargetTrackingConfigurationArgsDict:
        """The tier's SPEC.md scaling signal (config validation pins each tier to its metric)."""
        scaling = self._cfg.compute.tier(tier)
        if scaling.metric == "cpu_utilization":
            return {
                "target_value": scaling.target,
                "predefined_metric_specification": {"predefined_metric_type": "ASGAverageCPUUtilization"},
            }
        if scaling.metric == "request_count":
            assert target_group is not None, "request-count scaling needs a target group"
            return {
                "target_value": scaling.target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ALBRequestCountPerTarget",
                    "resource_label": pulumi.Output.concat(self._lb.lb.arn_suffix, "/", target_group.arn_suffix),
                },
            }
        return {
            "target_value": scaling.target,
            "customized_metric_specification": {"metrics": _backlog_per_instance(self._queue, group)},
        }


MetricQuery = aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricArgsDict


def _backlog_per_instance(queue: WorkQueue, group: aws.autoscaling.Group) -> list[MetricQuery]:
    """Visible messages divided by in-service instances: AWS's recommended SQS scaling metric."""

    def stat(
        metric_id: str, namespace: str, metric: str, dimension: str, value: pulumi.Input[str], how: str
    ) -> MetricQuery:
        return {
            "id": metric_id,
            "metric_stat": {
                "metric": {
                    "namespace": namespace,
                    "metric_name": metric,
                    "dimensions": [{"name": dimension, "value": value}],
                },
                "stat": how,
            },
            "return_data": False,
        }

    return [
        stat("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue.queue.name, "Sum"),
        stat("in_service", "AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group.name, "Average"),
        {"id": "backlog", "expression": "visible / in_service", "label": "Messages per instance", "return_data": True},
    ]


def _user_data(cfg: PlatformConfig, service_env: Mapping[str, Any]) -> str:
    """Boot script: app settings and service locations as an environment file, and the CloudWatch agent."""
    agent = {
        "agent": {"metrics_collection_interval": AGENT_INTERVAL_SECONDS},
        "metrics": {
            "namespace": "CWAgent",
            "append_dimensions": {"AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
            "aggregation_dimensions": [["AutoScalingGroupName"]],
            "metrics_collected": {
                "mem": {"measurement": ["mem_used_percent"]},
                "disk": {"measurement": ["disk_used_percent"], "resources": ["/"], "drop_device": True},
            },
        },
    }
    env = "\n".join(f"{name}={value}" for name, value in {**cfg.app.as_env(), **service_env}.items())
    script = f"""#!/bin/bash
set -euo pipefail
install -d -m 0755 {APP_ENV_FILE.rsplit("/", 1)[0]}
cat > {APP_ENV_FILE} <<'ENV'
{env}
ENV
dnf install -y amazon-cloudwatch-agent
cat > {AGENT_CONFIG} <<'JSON'
{json.dumps(agent, indent=2)}
JSON
/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:{AGENT_CONFIG}
"""
    return base64.b64encode(script.encode()).decode()
