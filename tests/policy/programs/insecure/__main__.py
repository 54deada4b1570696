"""Breaks rules on purpose: a public, unencrypted database, SSH from anywhere, plain-HTTP forwarding."""

import pulumi_aws as aws

aws.rds.Instance(
    "db",
    engine="postgres",
    instance_class="db.m5.24xlarge",
    allocated_storage=5000,
    publicly_accessible=True,
    storage_encrypted=False,
    backup_retention_period=0,
)
aws.ec2.SecurityGroup(
    "ssh",
    ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
)
aws.lb.Listener(
    "http",
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
    port=80,
    protocol="HTTP",
    default_actions=[
        {"type": "forward", "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1"}
    ],
)
