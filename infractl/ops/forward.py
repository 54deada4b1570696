"""The weighted forward action a shift moves: an HTTPS listener's (web) or the ``/api/*`` rule's (api).

ELB has no conditional write, so a shift re-reads the action right before each write and refuses
to write when the weights are not the ones it last wrote (:class:`WeightsMovedError`): someone
else is moving traffic. The read and the write are two calls, so a change landing between them is not seen
until the next write; the lease (``lease.py``) keeps other shifts out of that window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.config import COLORS, Color

from .. import errors

Weights = dict[str, int]  # colour (or a stranger target group's ARN) -> weight as ELB stores it


class WeightsMovedError(Exception):
    """The weights on AWS are not the ones this run last wrote."""

    def __init__(self, arn: str, expected: Weights, found: Weights):
        super().__init__(
            f"{arn}: weights changed by someone else: expected {show(percent(expected))}, "
            f"found {show(percent(found))}; stopped without writing"
        )
        self.expected, self.found = expected, found


@dataclass
class Forward:
    """The weighted forward action of a listener (web) or of a listener rule (api's ``/api/*``)."""

    arn: str
    load_balancer_arn: str
    actions: list[dict[str, Any]]
    pools: dict[Color, str]  # colour -> target group ARN

    @property
    def is_rule(self) -> bool:
        return ":listener-rule/" in self.arn

    @property
    def index(self) -> int:
        forwards = [i for i, action in enumerate(self.actions) if action.get("Type") == "forward"]
        if len(forwards) != 1:
            raise errors.UsageError(f"{self.arn} has {len(forwards)} forward actions; expected exactly one")
        return forwards[0]

    def weights(self) -> Weights:
        """Each colour's weight (0 when absent); a target group of neither colour appears under its ARN."""
        action = self.actions[self.index]
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
        ]
        by_arn = {group["TargetGroupArn"]: group.get("Weight", 1) for group in groups}
        colours = {arn: colour for colour, arn in self.pools.items()}
        found: Weights = {colour: 0 for colour in COLORS}
        for arn, weight in by_arn.items():
            found[colours.get(arn, arn)] = weight
        return found

    def split(self) -> dict[Color, int]:
        """Current weights as percentages summing to 100 (ELB weights are relative); bad input if not ours."""
        weights = self.weights()
        strangers = sorted(set(weights) - set(COLORS))
        if strangers:
            raise errors.UsageError(f"{self.arn} also forwards to {', '.join(strangers)}; a shift would drop it")
        if sum(weights.values()) == 0:
            raise errors.UsageError(f"{self.arn} forwards with total weight 0; fix it before shifting")
        return percent(weights)

    def refresh(self, elbv2: Any) -> Weights:
        """Read the action again from AWS; its weights now."""
        self.actions, _ = describe_actions(elbv2, self.arn)
        return self.weights()

    def write(self, elbv2: Any, split: dict[Color, int]) -> None:
        """Replace the forward action with both pools at ``split``, keeping order, stickiness and other actions."""
        old = self.actions[self.index]
        config: dict[str, Any] = {
            "TargetGroups": [{"TargetGroupArn": self.pools[c], "Weight": split[c]} for c in COLORS],
        }
        if "TargetGroupStickinessConfig" in old.get("ForwardConfig", {}):
            config["TargetGroupStickinessConfig"] = old["ForwardConfig"]["TargetGroupStickinessConfig"]
        new = {"Type": "forward", "ForwardConfig": config, **({"Order": old["Order"]} if "Order" in old else {})}
        actions = [new if i == self.index else action for i, action in enumerate(self.actions)]
        if self.is_rule:
            elbv2.modify_rule(RuleArn=self.arn, Actions=actions)
        else:
            elbv2.modify_listener(ListenerArn=self.arn, DefaultActions=actions)
        self.actions = actions


def describe_actions(elbv2: Any, arn: str) -> tuple[list[dict[str, Any]], str]:
    """The actions of a listener (its default actions) or of a rule, and its load balancer's ARN."""
    if ":listener-rule/" in arn:
        # arn:...:listener-rule/app/NAME/LB-ID/LISTENER-ID/RULE-ID -> arn:...:loadbalancer/app/NAME/LB-ID
        load_balancer = arn.replace(":listener-rule/", ":loadbalancer/").rsplit("/", 2)[0]
        return elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"], load_balancer
    listener = elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]
    return listener["DefaultActions"], listener["LoadBalancerArn"]


def load_forward(elbv2: Any, arn: str, pools: dict[Color, str]) -> Forward:
    """Read the listener or rule and check both target groups are on its load balancer (no writes)."""
    if pools["blue"] == pools["green"]:
        raise errors.UsageError("--blue-tg and --green-tg are the same target group")
    actions, load_balancer = describe_actions(elbv2, arn)
    for group in elbv2.describe_target_groups(TargetGroupArns=list(pools.values()))["TargetGroups"]:
        if load_balancer not in group.get("LoadBalancerArns", []):
            raise errors.UsageError(f"target group {group['TargetGroupArn']} is not attached to {load_balancer}")
    forward = Forward(arn, load_balancer, actions, pools)
    forward.split()  # refuse now, not mid-shift, if the action forwards elsewhere
    return forward


def percent(weights: Weights) -> dict[Color, int]:
    """Relative weights as percentages of the two colours (green rounded, blue the rest)."""
    total = sum(weights.values()) or 1
    green = round(100 * weights.get("green", 0) / total)
    return {"blue": 100 - green, "green": green}


def show(split: dict[Color, int]) -> str:
    return " / ".join(f"{colour} {split[colour]}" for colour in COLORS)
