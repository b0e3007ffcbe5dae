"""Egress asks the encoder's cameras for key frames again while no picture comes out of it
(processes.PictureWatch): the key frame asked for as a sink starts following a camera comes
before ffmpeg reads its ports, and a browser sends no other on its own for minutes."""

from __future__ import annotations

from rooms.meeting.egress.processes import PICTURE_WAIT, PictureWatch, carries_picture
from tests.rooms.test_egress_rules import ts_packet


def test_asking_again_is_due_while_a_running_encoder_puts_out_no_picture() -> None:
    watch = PictureWatch()
    assert not watch.due(100.0)  # no encoder running: nobody reads what a camera would send
    watch.started(100.0)
    assert not watch.due(100.0 + PICTURE_WAIT / 2)  # ffmpeg is still starting
    assert watch.due(100.0 + PICTURE_WAIT)
    assert not watch.due(100.0 + PICTURE_WAIT * 1.5)  # just asked: the answer is on its way
    assert watch.due(100.0 + PICTURE_WAIT * 2)  # lost again: ask again, and so on
    assert watch.asked == 2


def test_pictures_coming_out_keep_it_quiet_and_a_stall_makes_it_ask() -> None:
    watch = PictureWatch()
    watch.started(100.0)
    for tick in range(1, 20):  # a picture every 0.1 s: never asks
        watch.saw_picture(100.0 + tick / 10)
        assert not watch.due(100.0 + tick / 10 + 0.05)
    assert watch.due(101.9 + PICTURE_WAIT)  # then none for PICTURE_WAIT
    assert watch.asked == 1


def test_an_encoder_that_ended_is_not_asked_for_until_it_runs_again() -> None:
    watch = PictureWatch()
    watch.started(100.0)
    watch.ended()  # exited: restarted after a backoff; a key frame now would be lost again
    assert not watch.due(200.0)
    watch.started(200.0)  # the new process: its own wait, then asking
    assert not watch.due(200.5) and watch.due(200.0 + PICTURE_WAIT)


def test_a_picture_is_any_packet_of_the_video_stream() -> None:
    audio, video, pat, pmt = 0x101, 0x100, 0, 0x1000
    assert carries_picture(
        ts_packet(pat) + ts_packet(pmt) + ts_packet(audio, True) + ts_packet(video)
    )
    assert carries_picture(ts_packet(video, True, True))
    # Audio alone: ffmpeg's muxer passes the sound on when the picture has stalled for long.
    assert not carries_picture(
        ts_packet(pat) + ts_packet(pmt) + ts_packet(audio, True) + ts_packet(audio)
    )
    assert not carries_picture(b"")
