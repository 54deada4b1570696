"""Cloud Armor: the web application firewall and rate limit on every backend service of the load balancer.

One backend security policy (type CLOUD_ARMOR) is attached to the blue and green backend services of
web and api. Rules are evaluated by priority, lowest first, and the first match decides:

1. Cloud Armor's preconfigured WAF rules (OWASP Core Rule Set 3.3, ``*-v33-stable``) deny with 403:
   the attack classes every HTTP application faces. The language-specific sets (php, java, nodejs)
   are left out because the release's runtime is not known here; ``gcp.armorWafSensitivity`` is the
   CRS paranoia level (1, the fewest false positives, by default).
2. A throttle per client IP from SPEC's application rate limit: ``app.rateLimitRequests`` per
   ``app.rateLimitWindow`` (one of the windows Cloud Armor accepts, checked by config), answering 429
   above it. Cloud Armor counts per backend service, so while traffic is split between colours a
   client may reach the limit on each colour's backend.
3. The default rule allows what is left.

JSON bodies are parsed (API requests are inspected field by field) and verdicts are logged verbosely
in the load balancer's request log, which every backend service writes (``gcp.loadBalancerLogSampleRate``).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from ..config.gcp import armor_rate_limit
from .project import gcp_labels

# Cloud Armor's preconfigured rule sets (CRS 3.3) this policy enforces, in evaluation order.
WAF_RULES = (
    "sqli",
    "xss",
    "lfi",
    "rfi",
    "rce",
    "methodenforcement",
    "scannerdetection",
    "protocolattack",
    "sessionfixation",
)
WAF_VERSION = "v33-stable"
WAF_FIRST_PRIORITY = 1000
RATE_LIMIT_PRIORITY = 2000
DEFAULT_PRIORITY = 2147483647  # the default rule every security policy must have
EVERYONE = {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}


def waf_expression(rule: str, sensitivity: int) -> str:
    return f"evaluatePreconfiguredWaf('{rule}-{WAF_VERSION}', {{'sensitivity': {sensitivity}}})"


def rules(cfg: PlatformConfig) -> list[Any]:
    """WAF denials first, then the per-IP throttle, then the default allow."""
    count, interval = armor_rate_limit(cfg)
    waf = [
        {
            "priority": WAF_FIRST_PRIORITY + index,
            "action": "deny(403)",
            "match": {"expr": {"expression": waf_expression(rule, cfg.gcp.armor_waf_sensitivity)}},
            "description": f"OWASP CRS 3.3: {rule}",
        }
        for index, rule in enumerate(WAF_RULES)
    ]
    throttle = {
        "priority": RATE_LIMIT_PRIORITY,
        "action": "throttle",
        "match": EVERYONE,
        "rate_limit_options": {
            "conform_action": "allow",
            "exceed_action": "deny(429)",
            "enforce_on_key": "IP",
            "rate_limit_threshold": {"count": count, "interval_sec": interval},
        },
        "description": f"app.rateLimitRequests per app.rateLimitWindow: {count} per {interval} s per client IP",
    }
    default = {"priority": DEFAULT_PRIORITY, "action": "allow", "match": EVERYONE, "description": "default: allow"}
    return [*waf, throttle, default]


class EdgeSecurity(pulumi.ComponentResource):
    policy: gcp.compute.SecurityPolicy

    def __init__(self, name: str, cfg: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("platform:gcp:EdgeSecurity", name, None, opts)
        self.policy = gcp.compute.SecurityPolicy(
            "edge",
            name=cfg.name("edge"),
            description=f"{cfg.name()}: OWASP CRS 3.3 and the application's rate limit on every backend service",
            type="CLOUD_ARMOR",
            rules=rules(cfg),
            advanced_options_config={"json_parsing": "STANDARD", "log_level": "VERBOSE"},
            labels=gcp_labels(cfg, "load-balancer"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy": self.policy.self_link})
