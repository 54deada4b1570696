"""Configuration archives: a daily copy of the config bucket, kept ``backup.configRetentionDays``.

The database's backups are Cloud SQL's own standard backups (``database.py``): CMEK-encrypted, kept
in the DR region in prod, with point-in-time recovery. Backup and DR's enhanced backups are not
used because they support neither CMEK nor cross-region backups, and an instance uses one option
at a time (Cloud SQL, "Choose your backup option"). What remains here is the config archive: a daily
Storage Transfer job copies the config bucket into a versioned archive bucket that keeps each day's
versions that long, then deletes them; with ``backup.copyToDr`` the archive lives in the DR region.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from ..config import PlatformConfig
from .keys import Keys
from .storage import grant_transfer, private_bucket, transfer_agent


class ConfigArchive(pulumi.ComponentResource):
    archive: gcp.storage.Bucket

    def __init__(
        self,
        name: str,
        cfg: PlatformConfig,
        keys: Keys,
        config_bucket: gcp.storage.Bucket,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("platform:gcp:ConfigArchive", name, None, opts)
        backup = cfg.backup
        archive_key = keys.dr_data if backup.copy_to_dr else keys.data
        assert archive_key is not None  # config: copyToDr needs DR on, and with it the DR key
        location = cfg.gcp.dr_region if backup.copy_to_dr else cfg.gcp.region
        self.archive = private_bucket(
            self, "config-archive", cfg, location, archive_key, keys, backup.config_retention_days
        )
        grants = grant_transfer(self, "archive", transfer_agent(cfg, self), config_bucket, self.archive)
        start = int(cfg.gcp.database_backup_start_time.split(":")[0])
        gcp.storage.TransferJob(
            "config-archive",
            description=f"{cfg.name()}: daily copy of the config bucket, kept {backup.config_retention_days} days",
            transfer_spec={
                "gcs_data_source": {"bucket_name": config_bucket.name},
                "gcs_data_sink": {"bucket_name": self.archive.name, "path": "daily/"},
            },
            schedule={
                "schedule_start_date": {"year": 2024, "month": 1, "day": 1},
                "start_time_of_day": {"hours": start, "minutes": 0, "seconds": 0, "nanos": 0},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=grants),
        )
        self.register_outputs({"archive": self.archive.name})
