"""Which simulcast layers a publisher keeps sending: those some subscriber receives."""

from __future__ import annotations

from sfu.layer_demand import HOLD, LayerDemand


def test_alone_in_a_room_every_layer_goes_off_after_the_hold() -> None:
    demand = LayerDemand(3)
    assert demand.update([False, False, False], 0.0) is None  # all on, as the browser starts
    assert demand.update([False, False, False], HOLD - 0.1) is None
    assert demand.update([False, False, False], HOLD) == [False, False, False]


def test_a_subscriber_on_the_middle_layer_keeps_it_and_the_lowest() -> None:
    demand = LayerDemand(3)
    demand.update([False, True, False], 0.0)
    assert demand.update([False, True, False], HOLD) == [True, True, False]
    assert demand.update([False, True, False], HOLD + 10) is None


def test_a_layer_wanted_again_goes_on_at_once() -> None:
    demand = LayerDemand(3)
    demand.update([True, False, False], 0.0)
    assert demand.update([True, False, False], HOLD) == [True, False, False]
    assert demand.update([True, False, True], HOLD + 1) == [True, False, True]


def test_switching_back_and_forth_within_the_hold_changes_nothing() -> None:
    demand = LayerDemand(2)
    demand.update([False, True], 0.0)
    assert demand.update([True, False], 1.0) is None  # stepped down: the top stays on a while
    assert demand.update([False, True], 2.0) is None  # and up again
    assert demand.update([True, False], 2.0 + HOLD - 0.1) is None
    assert demand.update([True, False], 2.0 + HOLD) == [True, False]


def test_when_the_last_subscriber_leaves_the_lowest_goes_off_too() -> None:
    demand = LayerDemand(2)
    demand.update([True, False], 0.0)
    assert demand.update([True, False], HOLD) == [True, False]
    assert demand.update([False, False], HOLD + 1) is None  # held
    assert demand.update([False, False], 2 * HOLD + 1) == [False, False]
    assert demand.update([True, False], 2 * HOLD + 2) == [True, False]  # someone joined
