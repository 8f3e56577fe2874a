"""SNS topics and subscriptions (raw delivery, filter policies and their scope)."""

from __future__ import annotations

import json
from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, attr_str, physical_name, truthy


def create_topic(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    fifo = truthy(p.get("FifoTopic"))
    name = p.get("TopicName") or physical_name(ctx.stack, lid, 251 if fifo else 256)
    if fifo and not name.endswith(".fifo"):
        name += ".fifo"
    attrs: dict[str, str] = {}
    if fifo:
        attrs["FifoTopic"] = "true"
        if "ContentBasedDeduplication" in p:
            attrs["ContentBasedDeduplication"] = attr_str(p["ContentBasedDeduplication"])
    if p.get("DisplayName"):
        attrs["DisplayName"] = str(p["DisplayName"])
    if p.get("KmsMasterKeyId"):
        ctx.out.notes.append(f"{lid}: SNS encryption (KmsMasterKeyId) accepted but not emulated")
    arn = ctx.client("sns").create_topic(Name=name, Attributes=attrs)["TopicArn"]
    ctx.set(lid, arn, TopicArn=arn, TopicName=name)
    for i, sub in enumerate(p.get("Subscription") or []):
        subscribe(ctx, f"{lid}Subscription{i}", {"TopicArn": arn, **sub})


def create_subscription(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    subscribe(ctx, lid, ctx.resolver.resolve(raw))


def subscribe(ctx: ProvisionContext, lid: str, p: dict[str, Any]) -> None:
    attrs: dict[str, str] = {}
    if "RawMessageDelivery" in p:
        attrs["RawMessageDelivery"] = attr_str(p["RawMessageDelivery"])
    if p.get("FilterPolicy") is not None:
        fp = p["FilterPolicy"]
        attrs["FilterPolicy"] = fp if isinstance(fp, str) else json.dumps(fp)
    if p.get("FilterPolicyScope"):
        attrs["FilterPolicyScope"] = str(p["FilterPolicyScope"])
    if p.get("RedrivePolicy"):
        rp = p["RedrivePolicy"]
        attrs["RedrivePolicy"] = rp if isinstance(rp, str) else json.dumps(rp)
    resp = ctx.client("sns").subscribe(
        TopicArn=p["TopicArn"],
        Protocol=p["Protocol"],
        Endpoint=p["Endpoint"],
        Attributes=attrs,
        ReturnSubscriptionArn=True,
    )
    sub_arn = resp["SubscriptionArn"]
    ctx.set(lid, sub_arn, Arn=sub_arn)
    ctx.out.physical_ids[lid] = sub_arn


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::SNS::Topic": create_topic,
    "AWS::SNS::Subscription": create_subscription,
}
