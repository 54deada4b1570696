"""The public entry point: an ALB whose HTTPS listener splits traffic between blue and green pools.

Web and api each have a blue and a green target group. The listener's default action (web)
and the ``/api/*`` rule (api) forward by weight, taken from ``blueGreen.activeColor`` and
``blueGreen.canaryWeight``: changing either and running ``pulumi up`` moves traffic, and
setting them back is the rollback (one listener update, well under two minutes). Port 80
only redirects to HTTPS; TLS uses a TLS 1.3 policy and an ACM certificate that ACM renews
by itself because its DNS validation record stays in place. Every request it serves is in its
access log (``access_logs.py``), and a WAF web ACL filters them first (``waf.py``).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config import COLORS, PlatformConfig, Tier
from .access_logs import ALB_PREFIX, AccessLogs
from .network import Network

HTTPS_PORT, HTTP_PORT = 443, 80
API_PATH = "/api/*"
API_RULE_PRIORITY = 100
VALIDATION_RECORD_TTL = 300
POOLED_TIERS: tuple[Tier, ...] = ("web", "api")  # tiers behind the load balancer; the worker tier is not


class BlueGreenLoadBalancer(pulumi.ComponentResource):
    lb: aws.lb.LoadBalancer
    certificate: aws.acm.Certificate
    certificate_validation: aws.acm.CertificateValidation
    target_groups: dict[str, dict[str, aws.lb.TargetGroup]]
    https_listener: aws.lb.Listener
    http_listener: aws.lb.Listener
    api_rule: aws.lb.ListenerRule
    dns_record: aws.route53.Record

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        network: Network,
        access_logs: AccessLogs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:aws:BlueGreenLoadBalancer", name, None, opts)
        if network.lb_sg is None:
            raise ValueError("BlueGreenLoadBalancer needs a network built with public=True")
        child = pulumi.ResourceOptions(parent=self)
        tags = cfg.tags_for("load-balancer")
        domain, zone_id = cfg.aws.domain_name, cfg.aws.hosted_zone_id

        self.certificate = aws.acm.Certificate(
            "certificate", domain_name=domain, validation_method="DNS", tags=tags, opts=child
        )
        validation = self.certificate.domain_validation_options[0]
        record = aws.route53.Record(
            "certificate-validation",
            zone_id=zone_id,
            name=validation.resource_record_name,
            type=validation.resource_record_type,
            records=[validation.resource_record_value],
            ttl=VALIDATION_RECORD_TTL,
            allow_overwrite=True,
            opts=child,
        )
        self.certificate_validation = aws.acm.CertificateValidation(
            "certificate", certificate_arn=self.certificate.arn, validation_record_fqdns=[record.fqdn], opts=child
        )

        self.lb = aws.lb.LoadBalancer(
            "alb",
            load_balancer_type="application",
            internal=False,
            subnets=[s.id for s in network.public_subnets],
            security_groups=[network.lb_sg.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=cfg.environment == "prod",
            enable_http2=True,
            access_logs={"bucket": access_logs.bucket.id, "prefix": ALB_PREFIX, "enabled": True},
            tags=tags,
            # ELB writes a test object when access logs are turned on, so the bucket must already let it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[access_logs.policy]),
        )
        self.target_groups = {
            tier: {color: self._target_group(cfg, network, tier, color) for color in COLORS} for tier in POOLED_TIERS
        }

        self.https_listener = aws.lb.Listener(
            "https",
            load_balancer_arn=self.lb.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=cfg.aws.tls_policy,
            certificate_arn=self.certificate_validation.certificate_arn,
            default_actions=[
                {"type": "forward", "forward": {"target_groups": _weighted(self.target_groups["web"], cfg)}}
            ],
            tags=tags,
            opts=child,
        )
        self.api_rule = aws.lb.ListenerRule(
            "api",
            listener_arn=self.https_listener.arn,
            priority=API_RULE_PRIORITY,
            conditions=[{"path_pattern": {"values": [API_PATH]}}],
            actions=[{"type": "forward", "forward": {"target_groups": _weighted(self.target_groups["api"], cfg)}}],
            tags=tags,
            opts=child,
        )
        self.http_listener = aws.lb.Listener(
            "http",
            load_balancer_arn=self.lb.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_actions=[
                {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTPS", "port": str(HTTPS_PORT), "status_code": "HTTP_301"},
                }
            ],
            tags=tags,
            opts=child,
        )
        self.dns_record = aws.route53.Record(
            "alias",
            zone_id=zone_id,
            name=domain,
            type="A",
            aliases=[{"name": self.lb.dns_name, "zone_id": self.lb.zone_id, "evaluate_target_health": True}],
            opts=child,
        )
        self.register_outputs({"dns_name": self.lb.dns_name})

    def _target_group(self, cfg: PlatformConfig, network: Network, tier: str, color: str) -> aws.lb.TargetGroup:
        """One pool of instances: plain HTTP inside the VPC, healthy only when the app says so."""
        return aws.lb.TargetGroup(
            f"{tier}-{color}",
            port=cfg.compute.app_port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=network.vpc.id,
            deregistration_delay=cfg.blue_green.deregistration_delay_seconds,
            health_check={
                "enabled": True,
                "protocol": "HTTP",
                "port": "traffic-port",
                "path": cfg.compute.health_path,
                "matcher": "200",
            },
            tags={**cfg.tags_for(tier), "color": color},
            opts=pulumi.ResourceOptions(parent=self),
        )


def _weighted(
    pools: dict[str, aws.lb.TargetGroup], cfg: PlatformConfig
) -> list[aws.lb.ListenerDefaultActionForwardTargetGroupArgsDict]:
    """Both colours with the configured weights (the inactive one may get 0), for a forward action."""
    weights = cfg.blue_green.weights
    return [{"arn": pools[color].arn, "weight": weights[color]} for color in COLORS]
