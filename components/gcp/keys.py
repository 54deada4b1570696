"""Cloud KMS: key rings per region and the crypto keys every data store encrypts with (CMEK).

The data key encrypts Cloud SQL (and its backups), Memorystore, disks, buckets, secrets, topics,
parameters and the rotation workflow; the logs key encrypts the log buckets. A CMEK key must live
in its data's region, so prod (with DR) has a second ring in the DR region, with a data and a logs
key. Each service agent gets encrypt/decrypt on the keys it uses, and nothing else. Keys rotate
every ``security.keyRotationDays`` (Cloud KMS allows down to 1 day, so SPEC.md's 30 days applies
as is).
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .project import SECONDS_PER_DAY, ProjectServices, gcp_labels

ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# Service agents that encrypt with the data key in each region.
DATA_KEY_USERS = (
    "cloud-sql",
    "memorystore",
    "storage",
    "compute",
    "secret-manager",
    "pubsub",
    "parameter-manager",
    "workflows",
)


class Keys(pulumi.ComponentResource):
    rings: dict[str, gcp.kms.KeyRing]
    data: gcp.kms.CryptoKey
    # A Pub/Sub topic encrypted with the (regional) data key stores its messages only in the key's region.
    data_region_only: gcp.pubsub.TopicMessageStoragePolicyArgsDict
    logs: gcp.kms.CryptoKey
    dr_data: gcp.kms.CryptoKey | None
    dr_logs: gcp.kms.CryptoKey | None
    grants: list[gcp.kms.CryptoKeyIAMMember]

    def __init__(
        self, name: str, cfg: PlatformConfig, agents: ProjectServices, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("platform:gcp:Keys", name, None, opts)
        self._cfg = cfg
        regions = {"primary": cfg.gcp.region}
        if cfg.disaster_recovery.enabled:
            regions["dr"] = cfg.gcp.dr_region
        self.rings = {
            role: gcp.kms.KeyRing(
                role, name=cfg.name(role), location=region, opts=pulumi.ResourceOptions(parent=self, protect=True)
            )
            for role, region in regions.items()
        }
        self.grants = []
        self.data_region_only = {"allowed_persistence_regions": [cfg.gcp.region]}
        self.data = self._key("data", self.rings["primary"], {a: agents.member(a) for a in DATA_KEY_USERS})
        logging_agent = gcp.logging.get_project_cmek_settings_output(
            project=cfg.gcp.project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).service_account_id
        logging = {"logging": pulumi.Output.concat("serviceAccount:", logging_agent)}
        self.logs = self._key("logs", self.rings["primary"], logging)
        self.dr_data = self.dr_logs = None
        if "dr" in self.rings:
            self.dr_data = self._key("dr-data", self.rings["dr"], {a: agents.member(a) for a in DATA_KEY_USERS})
            self.dr_logs = self._key("dr-logs", self.rings["dr"], logging)
        self.register_outputs({"data_key_id": self.data.id})

    def _key(self, name: str, ring: gcp.kms.KeyRing, members: dict[str, pulumi.Output[str]]) -> gcp.kms.CryptoKey:
        key = gcp.kms.CryptoKey(
            name,
            name=self._cfg.name(name),
            key_ring=ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{self._cfg.security.key_rotation_days * SECONDS_PER_DAY}s",
            version_template={"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": "SOFTWARE"},
            labels=gcp_labels(self._cfg, "security", purpose=name),
            opts=pulumi.ResourceOptions(parent=self, protect=True),  # destroying a key destroys its data
        )
        self.grants += [
            gcp.kms.CryptoKeyIAMMember(
                f"{name}-{agent}",
                crypto_key_id=key.id,
                role=ENCRYPTER,
                member=member,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for agent, member in members.items()
        ]
        return key
