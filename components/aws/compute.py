"""The web, api and worker tiers as EC2 autoscaling groups in the private subnets.

Web and api run one group per colour (blue and green), each registered with its own target
group, so the load balancer's weights decide which colour serves; both colours stay at their
minimum size so a rollback only moves weights. Each group has its own launch template, whose
instances run that colour's release (``boot.py``); the worker runs the active colour's. A new
release of one colour is a new version of that colour's template only, rolled out to its group
by instance refresh while the other colour keeps serving. Each tier scales on SPEC.md's signal:
web on CPU, api on requests per target, worker on queue backlog per instance.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from .. import application
from ..config import COLORS, PlatformConfig, Tier
from .boot import Credential, Destinations, Workload, ecr_repository, user_data
from .feature_flags import FeatureFlags
from .iam import assume_role_policy, policy_document
from .load_balancer import POOLED_TIERS, BlueGreenLoadBalancer
from .logs import AppLogs
from .network import Network
from .queue import WorkQueue

# AWS managed policies: Session Manager access (instead of SSH) and the CloudWatch agent.
MANAGED_POLICIES = {"ssm": "AmazonSSMManagedInstanceCore", "cloudwatch-agent": "CloudWatchAgentServerPolicy"}
# IMDSv2 with a hop limit of 1: only the host's network namespace reaches the instance role (the agent, docker, and
# the app container, which runs on the host network to use the role); a bridged container or a proxy cannot.
IMDS_HOP_LIMIT = 1
ROOT_DEVICE = "/dev/xvda"
# Pulling from a private ECR repository: a registry token (no resource-level permissions), then the image's layers.
ECR_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
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
    launch_templates: dict[str, aws.ec2.LaunchTemplate]
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
        credentials: Mapping[str, Credential],
        flags: FeatureFlags,
        endpoints: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``endpoints``: where the app finds its services (hosts, ports, queue URL), written beside the app
        settings; ``credentials``: what the container reads from Secrets Manager at start (the role may read them).
        """
        super().__init__("platform:aws:Compute", name, None, opts)
        self._cfg, self._lb, self._queue = cfg, load_balancer, queue
        self._instance_role(key, queue, app_logs, credentials, flags)

        # (group key, workload, target group): one group per colour behind the LB, one worker group.
        pools: list[tuple[str, Workload, aws.lb.TargetGroup | None]] = [
            (key_, Workload(tier, color, cfg.name(key_)), load_balancer.target_groups[tier][color])
            for tier in POOLED_TIERS
            for color in COLORS
            for key_ in [f"{tier}-{color}"]
        ]
        pools.append(("worker", Workload("worker", None, cfg.name("worker")), None))
        self.launch_templates, self.groups, self.scaling_policies = {}, {}, {}
        for key_, workload, target_group in pools:
            boot = self._boot(workload, app_logs, endpoints, credentials)
            template = self.launch_templates[key_] = self._launch_template(key_, workload.tier, network, key, boot)
            group = self.groups[key_] = self._group(key_, workload, template, target_group, network)
            self.scaling_policies[key_] = self._scaling_policy(key_, workload.tier, group, target_group)
        self.register_outputs({})

    def _boot(
        self,
        workload: Workload,
        app_logs: AppLogs,
        endpoints: Mapping[str, pulumi.Input[str]],
        credentials: Mapping[str, Credential],
    ) -> pulumi.Output[str]:
        """The group's user data, once the names and ARNs it writes are known."""
        arns = pulumi.Output.all(**{env: c.secret_arn for env, c in credentials.items()})

        def render(args: list) -> str:
            log_group, scrape_group, resolved_endpoints, resolved_arns = args
            return user_data(
                self._cfg,
                workload,
                Destinations(log_group, scrape_group, app_logs.metric_namespace),
                resolved_endpoints,
                {env: Credential(arn, credentials[env].field) for env, arn in resolved_arns.items()},
            )

        return pulumi.Output.all(
            app_logs.groups[workload.tier].name, app_logs.scrape.name, pulumi.Output.all(**endpoints), arns
        ).apply(render)

    def _instance_role(
        self,
        key: aws.kms.Key,
        queue: WorkQueue,
        app_logs: AppLogs,
        credentials: Mapping[str, Credential],
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
        log_groups = [*app_logs.groups.values(), app_logs.scrape]
        inline = aws.iam.RolePolicy(
            "instance",
            role=self.role.id,
            policy=policy_document(
                {
                    "Sid": "ReadAppSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": [c.secret_arn for c in credentials.values()],
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
                *_ecr_pull_statements(self._cfg, partition),
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
        self, key_: str, tier: Tier, network: Network, key: aws.kms.Key, boot: pulumi.Input[str]
    ) -> aws.ec2.LaunchTemplate:
        """Latest AMI from SSM, encrypted gp3 root volume, IMDSv2 only, no public address."""
        cfg = self._cfg
        tags = cfg.tags_for(tier)
        return aws.ec2.LaunchTemplate(
            key_,
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
            user_data=boot,
            update_default_version=True,
            tag_specifications=[{"resource_type": "volume", "tags": tags}],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _group(
        self,
        key_: str,
        workload: Workload,
        template: aws.ec2.LaunchTemplate,
        target_group: aws.lb.TargetGroup | None,
        network: Network,
    ) -> aws.autoscaling.Group:
        """An autoscaling group; behind the LB it is healthy only when its target group says so, once the grace
        period has let a new instance install, pull its release and start answering the health check."""
        cfg, tier, color = self._cfg, workload.tier, workload.color
        sizes = cfg.compute.tier(tier)
        release = application.release(cfg, color)
        tags = {
            **cfg.tags_for(tier),
            "Name": workload.group_name,
            "release": release.version,
            **({"color": color} if color else {}),
        }
        group_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in tags.items()
        ]
        return aws.autoscaling.Group(
            key_,
            name=workload.group_name,
            min_size=sizes.min_size,
            max_size=sizes.max_size,
            vpc_zone_identifiers=[s.id for s in network.private_subnets],
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            target_group_arns=[target_group.arn] if target_group else [],
            health_check_type="ELB" if target_group else "EC2",
            health_check_grace_period=cfg.aws.health_check_grace_seconds,
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

    def _scaling_policy(
        self, key_: str, tier: Tier, group: aws.autoscaling.Group, target_group: aws.lb.TargetGroup | None
    ) -> aws.autoscaling.Policy:
        """Target tracking on the tier's signal. Requests per target are counted only once the listener and
        its ``/api/*`` rule route to the target group, so such a policy waits for both."""
        by_requests = self._cfg.compute.tier(tier).metric == "request_count"
        routed = [self._lb.https_listener, self._lb.api_rule] if by_requests else []
        return aws.autoscaling.Policy(
            key_,
            autoscaling_group_name=group.name,
            policy_type="TargetTrackingScaling",
            target_tracking_configuration=self._target_tracking(tier, group, target_group),
            opts=pulumi.ResourceOptions(parent=self, depends_on=routed),
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


def _ecr_pull_statements(cfg: PlatformConfig, partition: pulumi.Input[str]) -> list[dict]:
    """Pull rights on exactly the ECR repositories the releases live in (none when no release is in ECR)."""
    repositories = sorted(
        {repo for release in cfg.blue_green.releases.values() if (repo := ecr_repository(release.image))},
        key=lambda repo: (repo.account, repo.region, repo.repository),
    )
    if not repositories:
        return []
    arns = [
        pulumi.Output.concat(
            "arn:", partition, ":ecr:", repo.region, ":", repo.account, ":repository/", repo.repository
        )
        for repo in repositories
    ]
    return [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "EcrPullReleases", "Effect": "Allow", "Action": ECR_PULL_ACTIONS, "Resource": arns},
    ]
