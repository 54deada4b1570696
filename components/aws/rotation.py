"""Automatic rotation of the generated credentials, every ``security.secretRotationDays`` (SPEC.md: at most 90).

- PostgreSQL master password: AWS's own rotation function for it, the Serverless Application
  Repository app ``SecretsManagerRDSPostgreSQLRotationSingleUser`` (the version pinned as aws-cdk
  pins it). Single user: it logs in with the current password and changes it, so it runs in the
  private subnets with a security group the database admits on 5432, and reaches Secrets
  Manager's public endpoint through the NAT gateway. It reads the connection from the secret
  (engine, host, port, username, password, dbname) and keeps the password alphanumeric.
- Redis password and JWT signing key: no AWS template rotates them, so ``rotation_handler.py``
  does, one function per secret, outside the VPC (it only calls AWS APIs). The Redis password is
  an ElastiCache RBAC user's, which ElastiCache documents for Secrets Manager rotation; the new
  password joins the current one, so clients holding it keep working until the next rotation.

Secrets Manager rotates right away when rotation is turned on, so the values Pulumi generated (and
keeps, encrypted, in the state) stop opening anything on the first day; a failing setup shows then,
not in 90 days. How running containers pick up a new value: ``boot.py``'s credential watcher.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from ..config import PlatformConfig
from .cache import Cache
from .iam import assume_role_policy, policy_document
from .network import Network
from .secrets import CACHE_TOKEN_LENGTH, JWT_KEY_LENGTH, AppSecrets

POSTGRES_ROTATION_APP = (
    "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"
)
POSTGRES_ROTATION_VERSION = "1.1.671"
# The rotated password stays alphanumeric, like the generated one: safe in any client and connection URL.
EXCLUDED_CHARACTERS = string.punctuation
HANDLER = Path(__file__).with_name("rotation_handler.py")
HANDLER_RUNTIME = "python3.12"
HANDLER_TIMEOUT_SECONDS = 900  # room for the up to 600 s wait for an ElastiCache user to be active again
SECRETS_MANAGER_WRITE = [
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
]


class SecretRotations(pulumi.ComponentResource):
    rotations: dict[str, aws.secretsmanager.SecretRotation]

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        secrets: AppSecrets,
        network: Network,
        cache: Cache,
        key: aws.kms.Key,
        logs_key: aws.kms.Key,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """``key``: the data key the secrets are encrypted with; ``logs_key``: the functions' log groups."""
        super().__init__("platform:aws:SecretRotations", name, None, opts)
        self._cfg, self._key, self._logs_key = cfg, key, logs_key
        self._secrets = secrets
        self.rotations = {
            "database-master": self._postgres(network),
            "cache-auth-token": self._own_function(
                "cache-auth-token",
                "elasticache-user",
                CACHE_TOKEN_LENGTH,
                [
                    {
                        "Sid": "SetUserPasswords",
                        "Effect": "Allow",
                        "Action": ["elasticache:DescribeUsers", "elasticache:ModifyUser"],
                        "Resource": cache.user.arn,
                    }
                ],
            ),
            "jwt-signing-key": self._own_function("jwt-signing-key", "value", JWT_KEY_LENGTH, []),
        }
        self.register_outputs({})

    def _postgres(self, network: Network) -> aws.secretsmanager.SecretRotation:
        """AWS's single-user PostgreSQL rotation function, deployed from the Serverless Application Repository."""
        cfg = self._cfg
        assert network.rotation_sg is not None, "the primary network has the rotation security group"
        function_name = cfg.name("rotate", "database-master")
        log_group = self._log_group(function_name)
        stack = aws.serverlessrepository.CloudFormationStack(
            "database-master",
            name=function_name,
            application_id=POSTGRES_ROTATION_APP,
            semantic_version=POSTGRES_ROTATION_VERSION,
            # The app creates the function's role and lets Secrets Manager invoke it.
            capabilities=["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
            parameters={
                "functionName": function_name,
                "endpoint": f"https://secretsmanager.{cfg.aws.region}.amazonaws.com",
                "kmsKeyArn": self._key.arn,
                "vpcSubnetIds": pulumi.Output.all(*[s.id for s in network.private_subnets]).apply(",".join),
                "vpcSecurityGroupIds": network.rotation_sg.id,
                "excludeCharacters": EXCLUDED_CHARACTERS,
            },
            tags=cfg.tags_for("secrets"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        return self._rotate("database-master", stack.outputs["RotationLambdaARN"], [stack])

    def _own_function(
        self, purpose: str, target: str, length: int, statements: list[dict[str, Any]]
    ) -> aws.secretsmanager.SecretRotation:
        """``rotation_handler.py`` for one secret, with a role that may rotate only that secret (and ``statements``)."""
        cfg, child = self._cfg, pulumi.ResourceOptions(parent=self)
        secret = self._secrets.secrets[purpose]
        function_name = cfg.name("rotate", purpose)
        log_group = self._log_group(function_name)
        role = aws.iam.Role(
            f"rotate-{purpose}",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            tags=cfg.tags_for("secrets"),
            opts=child,
        )
        grants = aws.iam.RolePolicy(
            f"rotate-{purpose}",
            role=role.id,
            policy=policy_document(
                {"Sid": "RotateThisSecret", "Effect": "Allow", "Action": SECRETS_MANAGER_WRITE, "Resource": secret.arn},
                # GetRandomPassword acts on no resource.
                {
                    "Sid": "GeneratePasswords",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetRandomPassword",
                    "Resource": "*",
                },
                {
                    "Sid": "UseDataKeyThroughSecretsManager",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": self._key.arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{cfg.aws.region}.amazonaws.com"}},
                },
                {
                    "Sid": "WriteOwnLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": pulumi.Output.concat(log_group.arn, ":*"),
                },
                *statements,
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"rotate-{purpose}",
            name=function_name,
            description=f"Rotates {cfg.name()}/{purpose} (Secrets Manager rotation protocol)",
            runtime=HANDLER_RUNTIME,
            handler=f"{HANDLER.stem}.handler",
            code=pulumi.AssetArchive({HANDLER.name: pulumi.FileAsset(str(HANDLER))}),
            role=role.arn,
            timeout=HANDLER_TIMEOUT_SECONDS,
            environment={"variables": {"SECRET_ARN": secret.arn, "TARGET": target, "VALUE_LENGTH": str(length)}},
            tags=cfg.tags_for("secrets"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, grants]),
        )
        invoke = aws.lambda_.Permission(
            f"rotate-{purpose}",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="secretsmanager.amazonaws.com",
            source_arn=secret.arn,
            opts=child,
        )
        return self._rotate(purpose, function.arn, [invoke])

    def _rotate(
        self, purpose: str, function_arn: pulumi.Input[str], ready: list[pulumi.Resource]
    ) -> aws.secretsmanager.SecretRotation:
        return aws.secretsmanager.SecretRotation(
            purpose,
            secret_id=self._secrets.arns[purpose],  # resolves once the first value is stored
            rotation_lambda_arn=function_arn,
            rotation_rules={"automatically_after_days": self._cfg.security.secret_rotation_days},
            rotate_immediately=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=ready),
        )

    def _log_group(self, function_name: str) -> aws.cloudwatch.LogGroup:
        """The function's log group, before Lambda creates it unencrypted and kept forever."""
        cfg = self._cfg
        return aws.cloudwatch.LogGroup(
            function_name,
            name=f"/aws/lambda/{function_name}",
            retention_in_days=cfg.logging.app_retention_days,
            kms_key_id=self._logs_key.arn,
            tags=cfg.tags_for("secrets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
