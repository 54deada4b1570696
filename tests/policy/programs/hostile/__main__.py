"""A program that tries to end, crash or fool the gate that checks it; ``hostile:ending`` says how.

It first registers what the gate must catch whatever happens next: SSH open to the world
(restricted-ingress, per resource) and an unencrypted database outside any backup plan
(prod-database-backup-plan, a stack rule).
"""

import os
import signal
import sys

import pulumi
import pulumi_aws as aws

ending = pulumi.Config("hostile").require("ending")

aws.ec2.SecurityGroup(
    "ssh",
    ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
)
database = aws.rds.Instance(
    "db", engine="postgres", instance_class="db.t4g.micro", allocated_storage=20, storage_encrypted=False
)
pulumi.export("database", database.address)

if ending == "sys-exit-0":
    sys.exit(0)
elif ending == "os-exit-0":
    os._exit(0)
elif ending == "os-exit-7":
    os._exit(7)
elif ending == "system-exit-3":
    raise SystemExit(3)
elif ending == "exit-in-apply":
    database.arn.apply(lambda _: sys.exit(0))
elif ending == "raise":
    raise RuntimeError("the program gave up")
elif ending == "syntax-error":
    import broken_syntax  # noqa: F401  (the test writes it, so that the linters never read it)
elif ending == "missing-import":
    import no_such_module  # noqa: F401
elif ending == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif ending == "print":
    print('{"stacks": []}  <- not the gate speaking', flush=True)
    os.write(1, b"[]  <- nor is this\n")
elif ending == "non-finite":
    aws.cloudwatch.MetricAlarm(
        "alarm",
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=1,
        threshold=float("nan"),
        metric_name="errors",
        namespace="app",
        period=60,
        statistic="Sum",
    )
    pulumi.export("limit", float("-inf"))

aws.sqs.Queue("after-the-ending")  # registered only by a program that carries on
