"""Application log groups and the metrics derived from them."""

from __future__ import annotations

import pytest

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("staging", 30), ("prod", 90)])
def test_one_encrypted_group_per_tier_and_one_for_the_scrape_kept_for_the_app_retention(plan, stack, days):
    p = plan(stack)
    groups = {r.name: r for r in p.children("platform:aws:AppLogs") if r.type == LOG_GROUP}
    assert set(groups) == {"web", "api", "worker", "scrape"}
    logs_key = p.named("aws:kms/key:Key", "logs")
    for tier, group in groups.items():
        assert group.inputs["name"] == f"/platform/{stack}/{'prometheus' if tier == 'scrape' else tier}"
        assert group.inputs["retentionInDays"] == days
        assert logs_key.urn in group.property_dependencies["kmsKeyId"]


def test_retention_follows_config(plan):
    groups = [
        r for r in plan("dev", "logging.appRetentionDays=14").children("platform:aws:AppLogs") if r.type == LOG_GROUP
    ]
    assert {g.inputs["retentionInDays"] for g in groups} == {14}


def test_failed_logins_and_api_requests_counted_from_the_api_log(plan):
    p = plan("staging")
    filters = {r.name: r for r in p.children("platform:aws:AppLogs") if r.type == FILTER}
    assert set(filters) == {"failed-logins", "api-requests"}
    assert filters["failed-logins"].inputs["pattern"] == '{ $.event = "login_failed" }'
    for f in filters.values():
        assert f.inputs["logGroupName"] == "/platform/staging/api"
        transformation = f.inputs["metricTransformation"]
        assert transformation["namespace"] == "Platform/staging"
        assert transformation["value"] == "1"
    assert filters["failed-logins"].inputs["metricTransformation"]["name"] == "FailedLogins"
    assert filters["api-requests"].inputs["metricTransformation"]["name"] == "ApiRequests"
