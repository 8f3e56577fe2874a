"""Cognito user pools and clients."""

from __future__ import annotations

from typing import Any

from localcloud.provision.context import ProvisionContext, ResourceHandler, physical_name, truthy


def create_user_pool(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    name = p.get("UserPoolName") or physical_name(ctx.stack, lid, 128)
    kwargs: dict[str, Any] = {"PoolName": name}
    for key in (
        "Policies",
        "AutoVerifiedAttributes",
        "UsernameAttributes",
        "AliasAttributes",
        "Schema",
        "MfaConfiguration",
        "AdminCreateUserConfig",
    ):
        if key in p:
            kwargs[key] = p[key]
    if "Schema" in kwargs:
        kwargs["Schema"] = [
            {
                k: (truthy(v) if k in ("Required", "Mutable", "DeveloperOnlyAttribute") else v)
                for k, v in a.items()
            }
            for a in kwargs["Schema"]
        ]
    try:
        pool = ctx.client("cognito-idp").create_user_pool(**kwargs)["UserPool"]
    except Exception as exc:  # moto may refuse an exotic setting: fall back to the name only
        ctx.out.notes.append(f"{lid}: user pool created with defaults only ({exc})")
        pool = ctx.client("cognito-idp").create_user_pool(PoolName=name)["UserPool"]
    pid = pool["Id"]
    url = f"https://cognito-idp.{ctx.region}.amazonaws.com/{pid}"
    ctx.set(
        lid,
        pid,
        Arn=pool.get("Arn", ctx.arn("cognito-idp", f"userpool/{pid}")),
        ProviderName=url.removeprefix("https://"),
        ProviderURL=url,
        UserPoolId=pid,
    )


def create_user_pool_client(ctx: ProvisionContext, lid: str, raw: dict[str, Any]) -> None:
    p = ctx.resolver.resolve(raw)
    flows = list(p.get("ExplicitAuthFlows") or [])
    for needed in (
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    ):
        if needed not in flows:
            flows.append(needed)
    kwargs: dict[str, Any] = {
        "UserPoolId": p["UserPoolId"],
        "ClientName": p.get("ClientName") or physical_name(ctx.stack, lid, 128),
        "GenerateSecret": truthy(p.get("GenerateSecret", False)),
        "ExplicitAuthFlows": flows,
    }
    client = ctx.client("cognito-idp").create_user_pool_client(**kwargs)["UserPoolClient"]
    ctx.set(lid, client["ClientId"], ClientSecret=client.get("ClientSecret", ""), Name=kwargs["ClientName"])


HANDLERS: dict[str, ResourceHandler] = {
    "AWS::Cognito::UserPool": create_user_pool,
    "AWS::Cognito::UserPoolClient": create_user_pool_client,
}
