"""Stack rules on small sets of resources built with the SDK's PolicyResource."""

from __future__ import annotations

from policies.rules import network, stack

from .support import check_stack, resource

RDS = "aws:rds/instance:Instance"


def test_backup_plan() -> None:
    db = resource(RDS, "db", {"identifier": "db"})
    selection = resource("aws:backup/selection:Selection", "sel", {"resources": ["arn:aws:rds:x:1:db:db"]})
    assert check_stack(stack.prod_database_backup_plan, [db]) == ["db: not in any backup plan."]
    selection.property_dependencies["resources"] = [db]
    assert check_stack(stack.prod_database_backup_plan, [db, selection]) == []


def test_cross_region_replica() -> None:
    db = resource(RDS, "db", {"identifier": "db", "region": "us-east-1"})
    same = resource(RDS, "same", {"replicateSourceDb": "db", "region": "us-east-1"})
    assert check_stack(stack.prod_database_cross_region_replica, [db, same]) == ["db: no replica in another region."]
    other = resource(RDS, "dr", {"replicateSourceDb": "db", "region": "us-west-2"})
    assert check_stack(stack.prod_database_cross_region_replica, [db, other]) == []


def test_autoscaling_policies_and_alarms() -> None:
    group = resource("aws:autoscaling/group:Group", "web", {"name": "platform-web"})
    policy = resource("aws:autoscaling/policy:Policy", "p", {"autoscalingGroupName": "platform-web"})
    alarm = resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm", "a", {"dimensions": {"AutoScalingGroupName": "platform-web"}}
    )
    assert check_stack(stack.autoscaling_policies_and_alarms, [group, policy]) == ["web: no alarm."]
    assert check_stack(stack.autoscaling_policies_and_alarms, [group, policy, alarm]) == []


def test_blue_green_both_colours() -> None:
    blue = resource("aws:lb/targetGroup:TargetGroup", "blue", {"tags": {"color": "blue"}})
    green = resource("aws:lb/targetGroup:TargetGroup", "green", {"tags": {"color": "green"}})
    listener = resource("aws:lb/listener:Listener", "https", {})
    listener.property_dependencies["defaultActions"] = [blue]
    assert check_stack(stack.blue_green_both_colours, [blue, listener]) == ["https: forwards only to blue."]
    listener.property_dependencies["defaultActions"] = [blue, green]
    assert check_stack(stack.blue_green_both_colours, [blue, green, listener]) == []


def test_public_ingress_only_on_load_balancers() -> None:
    open_rule = [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]
    group = resource("aws:ec2/securityGroup:SecurityGroup", "lb-sg", {"ingress": open_rule})
    messages = check_stack(network.public_ingress_only_on_load_balancers, [group])
    assert messages == ["lb-sg: accepts traffic from anywhere but no load balancer uses it."]
    lb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", {})
    lb.property_dependencies["securityGroups"] = [group]
    assert check_stack(network.public_ingress_only_on_load_balancers, [group, lb]) == []


def test_standalone_ingress_rules_belong_to_their_group() -> None:
    """A rule resource opening a port to anywhere is fine on the load balancer's group, not on another."""
    lb_group = resource("aws:ec2/securityGroup:SecurityGroup", "lb-sg", {})
    app_group = resource("aws:ec2/securityGroup:SecurityGroup", "app-sg", {})
    lb = resource("aws:lb/loadBalancer:LoadBalancer", "alb", {}, securityGroups=lb_group)
    https = {"cidrIpv6": "::/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "securityGroupId": "sg-1"}
    rule_type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    on_lb = resource(rule_type, "https", https, securityGroupId=lb_group)
    assert check_stack(network.public_ingress_only_on_load_balancers, [lb_group, app_group, lb, on_lb]) == []
    on_app = resource(rule_type, "https", https, securityGroupId=app_group)
    assert check_stack(network.public_ingress_only_on_load_balancers, [lb_group, app_group, lb, on_app]) == [
        "https: accepts traffic from anywhere but no load balancer uses it."
    ]


def test_backup_selection_of_every_resource_or_by_tag() -> None:
    db = resource(RDS, "db", {"identifier": "db", "tags": {"backup": "daily"}})
    everything = resource("aws:backup/selection:Selection", "all", {"resources": ["*"]})
    assert check_stack(stack.prod_database_backup_plan, [db, everything]) == []
    by_tag = resource(
        "aws:backup/selection:Selection",
        "tagged",
        {"selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]},
    )
    assert check_stack(stack.prod_database_backup_plan, [db, by_tag]) == []
    other_tag = resource(
        "aws:backup/selection:Selection",
        "tagged",
        {"selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "weekly"}]},
    )
    assert check_stack(stack.prod_database_backup_plan, [db, other_tag]) == ["db: not in any backup plan."]
