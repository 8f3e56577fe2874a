"""bluegreen.weights: the router's state, the shares it gives, the steps a shift takes."""

from __future__ import annotations

import pytest

from bluegreen.weights import RouterState, WeightsError, parse_steps


def test_a_new_environment_sends_everything_to_its_live_colour() -> None:
    state = RouterState(live="blue")
    assert state.weights() == {"blue": 100, "green": 0}
    assert state.canary == "green"


@pytest.mark.parametrize(
    ("start", "colour", "percent", "expected", "weights"),
    [
        (RouterState("blue"), "green", 10, RouterState("blue", 10.0), {"blue": 90, "green": 10}),
        (RouterState("blue", 10.0), "green", 50, RouterState("blue", 50.0), {"blue": 50, "green": 50}),
        # 100 %: green is promoted (its stage variable), the canary empty and pointing at blue
        (RouterState("blue", 50.0), "green", 100, RouterState("green"), {"blue": 0, "green": 100}),
        # the live colour's own share: the canary takes the rest
        (RouterState("green"), "green", 70, RouterState("green", 30.0), {"blue": 30, "green": 70}),
        # 0 %: the other colour is live
        (RouterState("blue", 10.0), "blue", 0, RouterState("green"), {"blue": 0, "green": 100}),
    ],
)
def test_with_share(
    start: RouterState, colour: str, percent: float, expected: RouterState, weights: dict[str, int]
) -> None:
    state = start.with_share(colour, percent)
    assert state == expected
    assert state.weights() == weights
    assert state.share(colour) == percent


def test_fractional_canaries_round_to_whole_weights_that_sum_to_100() -> None:
    assert RouterState("blue", 12.5).weights() in ({"blue": 88, "green": 12}, {"blue": 87, "green": 13})
    assert sum(RouterState("green", 33.3).weights().values()) == 100


@pytest.mark.parametrize("bad", [lambda: RouterState("purple"), lambda: RouterState("blue", 101.0),
                                 lambda: RouterState("blue").with_share("green", -1)])
def test_colours_and_shares_are_checked(bad: object) -> None:
    with pytest.raises(WeightsError):
        bad()  # type: ignore[operator]


def test_steps() -> None:
    assert parse_steps("10,50,100") == [10.0, 50.0, 100.0]
    assert parse_steps(" 25 ") == [25.0]
    for bad in ("", "50,10", "10,10", "0,50", "10,150", "ten"):
        with pytest.raises(WeightsError, match="steps"):
            parse_steps(bad)
