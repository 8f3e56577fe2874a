"""One environment's stacks, provisioned in order into one local cloud (docs/bluegreen.md): the shared
stack (`stacks/shared.yaml`: the tables, the user pool, the API in front of the colours) and one
stack per colour from the built template (`template.yaml` with ``Colour`` blue or green).

    envs = provision_environment(plan, endpoint_url, function_url=...)
    envs.shared, envs.colours["blue"], envs.view("blue")   # the shared stack + blue, as one Provisioned

Stack names are ``<EnvironmentName>-shared`` and ``<EnvironmentName>-<colour>``, as `make deploy`
names them on AWS. Two environments (two developers) provision into the same moto side by side:
every named resource carries the environment name (`tests/e2e/test_bluegreen.py` shows it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.provision import FunctionConfig, Provisioned, provision
from localcloud.provision.template import load_template
from localcloud.wiring import local_parameters

SHARED_TEMPLATE = Path(__file__).resolve().parents[1] / "stacks" / "shared.yaml"
COLOURS = ("blue", "green")


class StackPlanError(ValueError):
    """An environment that cannot be provisioned as asked (unknown colour, no colour, ...)."""


@dataclass(frozen=True)
class EnvironmentPlan:
    """What to provision: the templates, the environment, its colours (the first is live) and the
    parameters the local cloud sets (`localcloud.wiring.local_parameters`'s inputs)."""

    colour_template: Path
    environment: str = "dev"
    colours: tuple[str, ...] = ("blue",)
    shared_template: Path = SHARED_TEMPLATE
    time_scale: float = 1.0
    api_rate: float | None = None
    api_burst: int | None = None
    harness: bool = True
    parameters: Mapping[str, str] = field(default_factory=dict)  # user overrides, every stack declaring them

    def __post_init__(self) -> None:
        unknown = [c for c in self.colours if c not in COLOURS]
        if unknown or not self.colours or len(set(self.colours)) != len(self.colours):
            raise StackPlanError(
                f"colours {list(self.colours)!r}: one or both of {', '.join(COLOURS)}, once each"
            )

    def stack_name(self, part: str) -> str:
        return f"{self.environment}-{part}"


@dataclass
class Environment:
    """The provisioned stacks of one environment."""

    plan: EnvironmentPlan
    shared: Provisioned
    colours: dict[str, Provisioned]

    @property
    def live(self) -> str:
        return self.plan.colours[0]

    def view(self, colour: str | None = None) -> Provisioned:
        """The shared stack and one colour's stack (the live one by default) as one `Provisioned`."""
        return combined(self.shared, self.colours[colour or self.live])

    def all(self) -> list[Provisioned]:
        return [self.shared, *self.colours.values()]

    def functions(self) -> list[FunctionConfig]:
        """Every function of every stack."""
        return [fn for prov in self.all() for fn in prov.functions.values()]

    def describe(self, function_urls: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        """What a client needs to reach each colour (its resources with the shared ones, its Function
        URLs by logical id): the blue/green part of `LocalCloud.info()`."""
        return {
            "environment": self.plan.environment,
            "liveColour": self.live,
            "colours": {
                colour: {
                    "resources": dict(self.view(colour).physical_ids),
                    "functionUrls": dict(function_urls.get(colour, {})),
                }
                for colour in self.colours
            },
        }


def combined(shared: Provisioned, colour: Provisioned) -> Provisioned:
    """A colour stack seen with its shared stack (logical ids do not overlap between the two)."""
    out = Provisioned(
        stack_name=colour.stack_name,
        region=colour.region,
        account_id=colour.account_id,
        parameters={**shared.parameters, **colour.parameters},
    )
    for prov in (shared, colour):
        out.functions.update(prov.functions)
        out.layers.update(prov.layers)
        out.event_source_mappings += prov.event_source_mappings
        out.pipes += prov.pipes
        out.ttl_tables += prov.ttl_tables
        out.function_urls += prov.function_urls
        out.apis += prov.apis
        out.physical_ids.update(prov.physical_ids)
        out.attributes.update(prov.attributes)
        out.types.update(prov.types)
        out.outputs.update(prov.outputs)
        out.not_emulated += prov.not_emulated
        out.notes += prov.notes
    return out


FunctionUrlFactory = Callable[[str, str, str, str], str]  # (colour, url logical id, function lid, auth)


def provision_environment(
    plan: EnvironmentPlan,
    endpoint_url: str,
    *,
    region: str = "us-east-1",
    env_overrides: Mapping[str, str] | None = None,
    function_url: FunctionUrlFactory | None = None,
) -> Environment:
    """Provision the shared stack, then each colour's, at `endpoint_url` (the local AWS endpoint)."""

    def params(template: Path, extra: Mapping[str, str]) -> dict[str, str]:
        declared = set((load_template(template).get("Parameters") or {}).keys())
        out = local_parameters(declared, plan.time_scale, plan.api_rate, plan.api_burst, plan.harness)
        out.update({k: v for k, v in plan.parameters.items() if k in declared})
        out.update({k: v for k, v in extra.items() if k in declared})
        return out

    env = {"EnvironmentName": plan.environment}
    shared = provision(
        plan.shared_template,
        endpoint_url,
        params(plan.shared_template, {**env, "LiveColour": plan.colours[0]}),
        stack_name=plan.stack_name("shared"),
        region=region,
    )
    colours: dict[str, Provisioned] = {}
    for colour in plan.colours:
        factory = None
        if function_url is not None:
            factory = _for_colour(function_url, colour)
        colours[colour] = provision(
            plan.colour_template,
            endpoint_url,
            params(plan.colour_template, {**env, "Colour": colour}),
            stack_name=plan.stack_name(colour),
            region=region,
            env_overrides=env_overrides,
            function_url=factory,
        )
    return Environment(plan, shared, colours)


def _for_colour(factory: FunctionUrlFactory, colour: str) -> Callable[[str, str, str], str]:
    return lambda url_lid, function_lid, auth: factory(colour, url_lid, function_lid, auth)


def colours_arg(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"blue,green"`` (or a sequence) -> ("blue", "green"), checked by `EnvironmentPlan`."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(p.strip() for p in parts if p.strip())
