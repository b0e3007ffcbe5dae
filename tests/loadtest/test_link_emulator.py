"""The emulated bad link: netem's arithmetic (sans I/O, table tests), then the real thing
between two network namespaces, measured with UDP probes."""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.field.control import emulated_link, measure_link
from loadtest.field.emulator import LinkEmulator, answer
from loadtest.field.link import GilbertElliott, Pipe, PipeConfig
from loadtest.field.namespaces import participant_address, participant_index

PACKET = bytes(125)  # 1000 bits: 1 ms at 1 Mbit/s


def test_a_packet_leaves_after_the_delay_and_not_before() -> None:
    pipe = Pipe(PipeConfig(delay_s=0.15))
    assert pipe.offer(10.0, PACKET) == pytest.approx(10.15)
    assert pipe.next_due() == pytest.approx(10.15)
    assert pipe.take_due(10.149) == []
    assert pipe.take_due(10.15) == [PACKET]
    assert pipe.next_due() is None and pipe.counters.delivered == 1


@pytest.mark.parametrize(
    ("delay_s", "offered_at", "leaves_at"),
    [
        # A burst of three at 1 Mbit/s: serialized one after another, then the delay.
        (0.0, [0.0, 0.0, 0.0], [0.001, 0.002, 0.003]),
        (0.1, [0.0, 0.0, 0.0], [0.101, 0.102, 0.103]),
        # Spaced wider than the serialization time: each only pays its own.
        (0.1, [0.0, 0.01, 0.02], [0.101, 0.111, 0.121]),
        # The link is still busy with the first when the second comes.
        (0.0, [0.0, 0.0005], [0.001, 0.002]),
    ],
)
def test_the_rate_serializes_packets_as_netem_does(
    delay_s: float, offered_at: list[float], leaves_at: list[float]
) -> None:
    pipe = Pipe(PipeConfig(delay_s=delay_s, rate_bps=1_000_000))
    assert [pipe.offer(now, PACKET) for now in offered_at] == pytest.approx(leaves_at)


def test_a_full_queue_drops_the_newcomer() -> None:
    pipe = Pipe(PipeConfig(delay_s=1.0, queue=3))
    verdicts = [pipe.offer(0.0, PACKET) for _ in range(5)]
    assert verdicts[3:] == [None, None]
    assert pipe.counters.queue_drops == 2 and pipe.counters.queue_peak == 3
    pipe.take_due(1.0)
    assert pipe.offer(1.0, PACKET) is not None  # room again once they left


def test_an_outage_drops_everything_offered_while_it_lasts_but_not_what_is_under_way() -> None:
    pipe = Pipe(PipeConfig(delay_s=0.1))
    pipe.offer(0.0, PACKET)
    pipe.go_down(0.05, 5.0)
    assert pipe.offer(0.05, PACKET) is None and pipe.offer(5.04, PACKET) is None
    assert pipe.offer(5.05, PACKET) is not None
    assert pipe.take_due(0.1) == [PACKET]
    assert pipe.counters.outage_drops == 2


def test_jitter_never_reorders() -> None:
    pipe = Pipe(PipeConfig(delay_s=0.1, jitter_s=0.05), random.Random(3))
    times = [pipe.offer(i * 0.001, PACKET) for i in range(200)]
    assert times == sorted(times)
    assert min(t - i * 0.001 for i, t in enumerate(times) if t is not None) >= 0.05


@pytest.mark.parametrize(("loss", "burst"), [(0.03, 1.0), (0.02, 4.0), (0.2, 10.0)])
def test_loss_is_near_the_configured_share_with_bursts_of_the_configured_length(
    loss: float, burst: float
) -> None:
    pipe = Pipe(PipeConfig(loss=loss, loss_burst=burst), random.Random(7))
    fates = []
    for i in range(200_000):
        pipe.take_due(i * 0.001)
        fates.append(pipe.offer(i * 0.001, PACKET) is None)
    assert sum(fates) / len(fates) == pytest.approx(loss, rel=0.1)
    runs = [len(run) for run in "".join("x" if f else "." for f in fates).split(".") if run]
    assert sum(runs) / len(runs) == pytest.approx(1 / (1 - loss) if burst == 1 else burst, rel=0.1)


def test_the_burst_model_is_a_two_state_chain() -> None:
    model = GilbertElliott(loss=0.5, mean_burst=2)  # to bad 0.5, to good 0.5
    assert [model.lost(d) for d in (0.6, 0.4, 0.6, 0.4, 0.4)] == [False, True, True, False, True]


@pytest.mark.parametrize(
    "settings",
    [
        {"loss": 1.0},
        {"loss": -0.1},
        {"delay_s": 11},
        {"delay_s": 0.1, "jitter_s": 0.2},
        {"rate_bps": 100},
        {"queue": 0},
        {"loss_burst": 0.5},
    ],
)
def test_impossible_links_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PipeConfig(**settings)


def test_addresses_map_to_participants_and_nothing_else() -> None:
    assert participant_address(0) == "10.99.0.11"
    assert participant_index(bytes([10, 99, 0, 12])) == 1
    assert participant_index(bytes([10, 99, 0, 1])) is None  # the server
    assert participant_index(bytes([10, 99, 1, 11])) is None
    assert participant_index(bytes([127, 0, 0, 1])) is None


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/dev/net/tun").exists(), reason="needs root and /dev/net/tun"
)


@pytest.mark.webrtc
@needs_root
async def test_the_link_between_namespaces_has_the_configured_delay_loss_and_rate() -> None:
    # 50 ms each way, 10 % loss each way, 1 Mbit/s each way; a fixed seed.
    config = PipeConfig(delay_s=0.05, loss=0.1, rate_bps=1_000_000)
    async with emulated_link(1, config, config, seed=5) as link:
        measured = await measure_link(link, config, config, pings=300, interval_ms=5)
        stats = await link.stats()
    # The minimum round trip is robust to load: 2 x 50 ms + 2 x 1 ms to serialize 128 B.
    assert 102 <= measured["rtt_ms_min"] <= 102 + 40
    # A round trip survives both ways: 1 - 0.9 ** 2 = 0.19.
    assert measured["loss_ratio"] == pytest.approx(0.19, abs=0.06)
    # Never faster than the rate; slower only when this machine is very busy.
    assert 500 <= measured["throughput_kbps"] <= 1010
    assert measured["burst_received"] == measured["burst_sent"]  # no loss during the burst
    assert stats["unroutable"] == 0
    assert stats["up"][0]["lost"] > 0 and stats["down"][0]["lost"] > 0
    # The emulator ended cleanly at the end of its input, and its namespaces with it.
    assert link.process.returncode == 0


@pytest.mark.parametrize(
    "line",
    [
        b"not json\n",
        b"[1, 2]\n",
        b'{"op": "fly"}\n',
        b'{"op": "down"}\n',
        b'{"op": "down", "seconds": -1}\n',
        b'{"op": "down", "seconds": "soon"}\n',
        b'{"op": "set", "up": {"loss": 2}, "down": {}}\n',
        b'{"op": "set", "up": {"colour": 1}, "down": {}}\n',
        b'{"op": "set", "up": {}, "down": []}\n',
    ],
)
async def test_a_bad_command_gets_an_error_answer_and_changes_nothing(line: bytes) -> None:
    read_end, write_end = os.pipe()  # stand-ins for TUN descriptors: nothing is read or sent
    try:
        config = PipeConfig(delay_s=0.1)
        emulator = LinkEmulator([read_end, write_end], config, config, seed=1)
        reply = answer(emulator, line)
        assert set(reply) == {"error"}
        pipe = emulator.uplinks[0].pipe
        assert pipe.config == config and pipe.down_until == float("-inf")
        assert answer(emulator, b'{"op": "stats"}')["up"][0]["offered"] == 0
    finally:
        os.close(read_end)
        os.close(write_end)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
commands = st.fixed_dictionaries(
    {"op": st.sampled_from(["set", "down", "stats", "x"])},
    optional={"seconds": json_values, "up": json_values, "down": json_values},
)


@pytest.mark.fuzz
@settings(max_examples=50)
@given(line=st.binary(max_size=64) | commands.map(lambda c: json.dumps(c).encode()))
def test_any_command_line_gets_an_answer_never_an_exception(line: bytes) -> None:
    read_end, write_end = os.pipe()
    loop = asyncio.new_event_loop()
    try:

        async def build() -> LinkEmulator:
            return LinkEmulator([read_end, write_end], PipeConfig(), PipeConfig(), seed=1)

        emulator = loop.run_until_complete(build())
        assert isinstance(answer(emulator, line), dict)
    finally:
        loop.close()
        os.close(read_end)
        os.close(write_end)
