"""DynamoDB tables (keys, GSIs/LSIs, streams, TTL) and SAM SimpleTables."""

from __future__ import annotations

from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, physical_name, truthy
from localcloud.provision.model import TtlTableConfig


def create_table(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    name = p.get("TableName") or physical_name(ctx.stack, lid, 255)
    billing = p.get("BillingMode", "PROVISIONED")
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": p["KeySchema"],
        "AttributeDefinitions": p["AttributeDefinitions"],
        "BillingMode": billing,
    }
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if billing != "PAY_PER_REQUEST":
        kwargs["ProvisionedThroughput"] = p.get("ProvisionedThroughput", throughput)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if p.get(key):
            idx = []
            for i in p[key]:
                i = {
                    k: v
                    for k, v in i.items()
                    if k in ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
                }
                if billing == "PAY_PER_REQUEST":
                    i.pop("ProvisionedThroughput", None)
                elif key == "GlobalSecondaryIndexes":
                    i.setdefault("ProvisionedThroughput", throughput)
                idx.append(i)
            kwargs[key] = idx
    if p.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
    ddb = ctx.client("dynamodb")
    desc = ddb.create_table(**kwargs)["TableDescription"]
    ttl = p.get("TimeToLiveSpecification") or {}
    if truthy(ttl.get("Enabled")) and ttl.get("AttributeName"):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
        ctx.out.ttl_tables.append(TtlTableConfig(name, ttl["AttributeName"]))
    if p.get("PointInTimeRecoverySpecification"):
        ctx.out.notes.append(f"{lid}: point-in-time recovery is accepted but not emulated")
    ctx.set(
        lid,
        name,
        Arn=desc["TableArn"],
        StreamArn=desc.get("LatestStreamArn", desc["TableArn"] + "/stream/local"),
    )


def create_simple_table(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    pk = p.get("PrimaryKey", {"Name": "id", "Type": "String"})
    atype = {"String": "S", "Number": "N", "Binary": "B"}[pk.get("Type", "String")]
    table = {
        "TableName": p.get("TableName") or physical_name(ctx.stack, lid, 255),
        "KeySchema": [{"AttributeName": pk["Name"], "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": pk["Name"], "AttributeType": atype}],
        "BillingMode": "PAY_PER_REQUEST" if "ProvisionedThroughput" not in p else "PROVISIONED",
    }
    if "ProvisionedThroughput" in p:
        table["ProvisionedThroughput"] = p["ProvisionedThroughput"]
    create_table(ctx, lid, table)


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::DynamoDB::Table": create_table,
    "AWS::Serverless::SimpleTable": create_simple_table,
}
