"""Feature flags: AppConfig's flag format with SPEC.md's flags, rolled out linearly."""

from __future__ import annotations

from components.aws.feature_flags import flag_document
from components.config import parse, profile

STRATEGY = "aws:appconfig/deploymentStrategy:DeploymentStrategy"


def test_document_has_spec_flags_with_rollout_and_allowlist():
    document = flag_document(profile("prod").feature_flags.flags)
    assert document["version"] == "1"
    assert {key: flag["name"] for key, flag in document["flags"].items()} == {
        "new_company_management": "NEW_COMPANY_MANAGEMENT",
        "advanced_monitoring": "ADVANCED_MONITORING",
        "real_time_alerts": "REAL_TIME_ALERTS",
    }
    assert document["values"]["new_company_management"] == {
        "enabled": False,
        "rolloutPercentage": 0,
        "allowlist": ["company1", "company2"],
    }
    assert "allowlist" not in document["values"]["real_time_alerts"]
    for flag in document["flags"].values():
        attributes = flag["attributes"]
        assert attributes["rolloutPercentage"]["constraints"] == {"type": "number", "minimum": 0, "maximum": 100}
        assert attributes["allowlist"]["constraints"] == {"type": "array", "elements": {"type": "string"}}


def test_document_follows_configured_flags():
    cfg = parse(
        {
            "environment": "dev",
            "featureFlags": {"flags": {"BETA": {"enabled": True, "rolloutPercentage": 25, "allowlist": ["acme"]}}},
        }
    )
    document = flag_document(cfg.feature_flags.flags)
    assert document["flags"]["beta"]["name"] == "BETA"  # added to SPEC's flags, which stack files merge into
    assert document["values"]["beta"] == {"enabled": True, "rolloutPercentage": 25, "allowlist": ["acme"]}
    assert set(document["flags"]) == set(document["values"])


def test_empty_allowlists_are_omitted_because_appconfig_rejects_them():
    cfg = parse(
        {
            "environment": "dev",
            "featureFlags": {
                "flags": {
                    "EMPTY": {"enabled": True, "rolloutPercentage": 50, "allowlist": []},
                    "LISTED": {"enabled": True, "rolloutPercentage": 50, "allowlist": ["acme"]},
                }
            },
        }
    )
    values = flag_document(cfg.feature_flags.flags)["values"]
    assert values["empty"] == {"enabled": True, "rolloutPercentage": 50}
    assert values["listed"]["allowlist"] == ["acme"]
    assert "allowlist" not in values["advanced_monitoring"]  # SPEC.md's flags with an empty allowlist


def test_hosted_version_is_a_feature_flags_profile_for_the_environment(plan):
    p = plan("staging")
    profile = p.named("aws:appconfig/configurationProfile:ConfigurationProfile", "flags")
    assert (profile.inputs["type"], profile.inputs["locationUri"]) == ("AWS.AppConfig.FeatureFlags", "hosted")
    environment = p.named("aws:appconfig/environment:Environment", "flags")
    assert environment.inputs["name"] == "staging"
    version = p.named("aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion", "flags")
    assert version.inputs["contentType"] == "application/json"
    assert version.inputs["content"]  # secret in state, so only its presence is visible here
    assert profile.urn in version.property_dependencies["configurationProfileId"]
    assert p.outputs["aws_feature_flags_id"].value == environment.inputs["applicationId"]  # the application's id


def test_strategy_is_linear_from_config(plan):
    strategy = plan("prod").named(STRATEGY, "flags")
    assert strategy.inputs["growthType"] == "LINEAR"
    assert strategy.inputs["growthFactor"] == 10
    assert strategy.inputs["deploymentDurationInMinutes"] == 30
    assert strategy.inputs["finalBakeTimeInMinutes"] == 5  # blue-green's 300 s between steps
    overridden = plan("dev", "featureFlags.rolloutGrowthPercent=25", "featureFlags.rolloutMinutes=60")
    assert overridden.named(STRATEGY, "flags").inputs["growthFactor"] == 25
    assert overridden.named(STRATEGY, "flags").inputs["deploymentDurationInMinutes"] == 60


def test_deployment_ships_the_version_with_the_strategy(plan):
    p = plan("prod")
    deployment = p.named("aws:appconfig/deployment:Deployment", "flags")
    urns = {
        field: p.named(type_, "flags").urn
        for field, type_ in (
            ("configurationVersion", "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"),
            ("deploymentStrategyId", STRATEGY),
            ("environmentId", "aws:appconfig/environment:Environment"),
        )
    }
    for field, urn in urns.items():
        assert urn in deployment.property_dependencies[field], field
    assert deployment.inputs["deploymentStrategyId"] == "platform-prod-flags-linear"


def test_flags_are_encrypted_with_the_data_key(plan):
    p = plan("staging")
    profile = p.named("aws:appconfig/configurationProfile:ConfigurationProfile", "flags")
    data_key = p.named("aws:kms/key:Key", "data")
    assert profile.inputs["kmsKeyIdentifier"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert data_key.urn in profile.property_dependencies["kmsKeyIdentifier"]
    deployment = p.named("aws:appconfig/deployment:Deployment", "flags")
    assert deployment.inputs["kmsKeyIdentifier"] == profile.inputs["kmsKeyIdentifier"]
