"""Small IAM policy builders shared by the AWS components (policies as JSON, no provider calls)."""

from __future__ import annotations

from typing import Any

import pulumi


def assume_role_policy(*services: str) -> pulumi.Output[str]:
    """A trust policy letting the given AWS service principals assume a role."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": list(services) if len(services) > 1 else services[0]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def policy_document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A policy document from statements that may hold Outputs (ARNs of other resources)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def tls_only_statement(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Deny every request to a bucket that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
