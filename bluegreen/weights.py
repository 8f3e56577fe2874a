"""The router's state and the weights it gives each colour (pure: no AWS here).

The shared API's stage (stacks/shared.yaml) routes with two settings: its stage variable ``colour``
(the live colour) and its canary, which sends ``percentTraffic`` % of the requests with ``colour``
overridden (to the other colour). So the share of a colour is 100 - canary % when it is live, the
canary % when it is the canary's. `RouterState.with_share` gives the state for a new share: at 100 %
the colour becomes live with an empty canary (the promotion), at 0 % the other colour does.
"""

from __future__ import annotations

from dataclasses import dataclass

COLOURS = ("blue", "green")


class WeightsError(ValueError):
    """A colour or a share that the router cannot take."""


def other(colour: str) -> str:
    check_colour(colour)
    return COLOURS[1 - COLOURS.index(colour)]


def check_colour(colour: str) -> str:
    if colour not in COLOURS:
        raise WeightsError(f"colour {colour!r}: blue or green")
    return colour


def check_share(percent: float) -> float:
    if not 0.0 <= percent <= 100.0:
        raise WeightsError(f"share {percent!r}: a percentage from 0 to 100")
    return percent


@dataclass(frozen=True)
class RouterState:
    """The stage's routing: the live colour, the canary's colour (the other one) and its share."""

    live: str
    canary_percent: float = 0.0

    def __post_init__(self) -> None:
        check_colour(self.live)
        check_share(self.canary_percent)

    @property
    def canary(self) -> str:
        return other(self.live)

    def share(self, colour: str) -> float:
        """The percentage of the requests without the override header that `colour` receives."""
        check_colour(colour)
        return self.canary_percent if colour == self.canary else 100.0 - self.canary_percent

    def weights(self) -> dict[str, int]:
        """Whole percentages per colour, summing to 100 (the weights table's ``blue`` and ``green``)."""
        blue = round(self.share("blue"))
        return {"blue": blue, "green": 100 - blue}

    def with_share(self, colour: str, percent: float) -> RouterState:
        """The state that gives `colour` `percent` % of the traffic."""
        check_share(percent)
        if percent >= 100.0:
            return RouterState(live=colour)
        if percent <= 0.0:
            return RouterState(live=other(colour))
        if colour == self.live:
            return RouterState(live=colour, canary_percent=100.0 - percent)
        return RouterState(live=self.live, canary_percent=percent)

    def describe(self) -> str:
        w = self.weights()
        canary = f"canary {self.canary} {self.canary_percent:g} %"
        return f"blue {w['blue']} % / green {w['green']} % (live {self.live}, {canary})"


def parse_steps(text: str) -> list[float]:
    """``"10,50,100"`` -> [10.0, 50.0, 100.0]: increasing shares, each from 1 to 100."""
    try:
        steps = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise WeightsError(f"steps {text!r}: percentages separated by commas, e.g. 10,50,100") from None
    if not steps or any(not 0.0 < s <= 100.0 for s in steps) or steps != sorted(set(steps)):
        raise WeightsError(f"steps {text!r}: increasing percentages from 1 to 100, e.g. 10,50,100")
    return steps
