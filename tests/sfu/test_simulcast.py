"""Choosing a simulcast layer per subscriber: tile size caps, congestion drops, a slow ramp."""

from __future__ import annotations

import pytest

from sfu.simulcast import Layer, LayerChooser, Video, cost, layer_for_tile

Q = Layer((160, 90), 100_000)
H = Layer((320, 180), 300_000)
F = Layer((640, 360), 900_000)
THREE = (Q, H, F)


@pytest.mark.parametrize(
    ("layers", "tile", "expected"),
    [
        (THREE, None, 2),  # no size reported: anything goes
        (THREE, (100, 56), 0),
        (THREE, (213, 120), 0),  # 160 >= 0.75 * 213
        (THREE, (214, 121), 1),
        (THREE, (360, 203), 1),  # the test viewport's tile
        (THREE, (480, 270), 2),
        (THREE, (1920, 1080), 2),  # nothing fills it: the best there is
        ((Layer(), Layer(), Layer()), (100, 56), 2),  # sizes unknown: no cap yet
        ((Q, Layer(), F), (600, 338), 1),  # an unknown layer is not skipped over
        ((Q,), (1920, 1080), 0),
        ((Layer((320, 180)), Layer((640, 360))), (320, 180), 0),
    ],
)
def test_the_lowest_layer_that_fills_the_tile_is_the_cap(
    layers: tuple[Layer, ...], tile: tuple[int, int] | None, expected: int
) -> None:
    assert layer_for_tile(layers, tile) == expected


def test_an_unmeasured_layer_costs_a_guess_by_its_place() -> None:
    video = Video((Layer(), Layer(bitrate=42), Layer(), Layer()), current=0)
    assert [cost(video, i) for i in range(4)] == [150_000, 42, 1_500_000, 1_500_000]


@pytest.mark.parametrize(
    ("current", "tile", "estimate", "expected"),
    [
        (2, (100, 56), None, 0),  # a smaller tile drops at once, whatever the estimate
        (2, (360, 203), 5_000_000, 1),
        (0, None, None, 1),  # no estimate yet: climb one step
        (0, None, 120_000, 1),  # the estimate covers what is sent: climb one step
        (0, None, 80_000, 0),  # it does not: stay
        (0, (100, 56), 5_000_000, 0),  # at the cap already
        (2, None, 900_000, 2),  # just fits
        (2, None, 700_000, 1),  # congested: down to what fits
        (2, None, 50_000, 0),  # badly congested: to the bottom, no lower
    ],
)
def test_one_video_moves_by_tile_and_estimate(
    current: int, tile: tuple[int, int] | None, estimate: int | None, expected: int
) -> None:
    chooser = LayerChooser()
    assert chooser.choose([Video(THREE, current, tile)], estimate, now=100.0) == [expected]


def climb(chooser: LayerChooser, layers: list[int], estimate: int | None, now: float) -> list[int]:
    videos = [Video(THREE, current) for current in layers]
    return chooser.choose(videos, estimate, now)


def test_the_ramp_climbs_one_layer_per_interval() -> None:
    chooser = LayerChooser(up_interval=2.0)
    assert climb(chooser, [0], None, 10.0) == [1]
    assert climb(chooser, [1], None, 11.0) == [1]  # too soon
    assert climb(chooser, [1], None, 12.0) == [2]
    assert climb(chooser, [2], None, 20.0) == [2]  # the top


def test_after_a_drop_it_waits_before_climbing_again() -> None:
    chooser = LayerChooser(up_interval=2.0, backoff=8.0)
    assert climb(chooser, [2], 500_000, 10.0) == [1]
    assert climb(chooser, [1], 5_000_000, 12.0) == [1]
    assert climb(chooser, [1], 5_000_000, 17.9) == [1]
    assert climb(chooser, [1], 5_000_000, 18.0) == [2]


def test_the_video_on_the_lowest_layer_climbs_first_and_ties_go_to_the_bigger_tile() -> None:
    chooser = LayerChooser(up_interval=0.0)
    videos = [Video(THREE, 1), Video(THREE, 0, (640, 360)), Video(THREE, 0, (1280, 720))]
    assert chooser.choose(videos, None, 1.0) == [1, 0, 1]


def test_congestion_lowers_the_costliest_video_first() -> None:
    chooser = LayerChooser()
    videos = [Video(THREE, 2), Video(THREE, 1), Video(THREE, 0)]
    # 900k + 300k + 100k = 1.3M sent; 1.0M fits 300k + 300k + 100k after one drop.
    assert chooser.choose(videos, 1_000_000, 1.0) == [1, 1, 0]
