"""The stage over real websockets: roles, hands, moderation, lobby, lock, Q&A, comments.

Media is not needed here (tests/whole/signalling/test_townhall_media_e2e.py covers it), so the
participants join with tokens that do not subscribe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from signalling.townhall import keep_write
from tests.conftest import RunningServer
from tests.signalling.test_ws import Client

ROOM = "balai"
_opened: list[Client] = []


@pytest.fixture(autouse=True)
async def close_clients(kamar: RunningServer) -> AsyncIterator[None]:
    """Every socket a test opened is closed before the server fixture waits for sessions."""
    yield
    while _opened:
        await _opened.pop().conn.close()


async def connect(kamar: RunningServer) -> Client:
    client = await Client.connect(kamar)
    _opened.append(client)
    return client


async def enter(kamar: RunningServer, identity: str, role: str, **grant: Any) -> Client:
    client = await connect(kamar)
    token = kamar.token(ROOM, identity, role=role, can_subscribe=False, **grant)
    welcome = await client.join(token)
    assert welcome["type"] == "welcome", welcome
    client.welcome = welcome  # type: ignore[attr-defined]
    return client


def me(client: Client) -> dict[str, Any]:
    participant: dict[str, Any] = client.welcome["participant"]  # type: ignore[attr-defined]
    return participant


async def error_for(client: Client, message: dict[str, Any]) -> dict[str, Any]:
    await client.send(message)
    return await client.recv_type("error")


async def test_the_audience_may_not_publish_nor_moderate(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    audience = await enter(kamar, "warga", "audience")
    assert me(audience)["role"] == "audience" and me(audience)["can_publish"] is False
    refused = await error_for(audience, {"type": "publish_offer", "sdp": "v=0"})
    assert refused["code"] == "forbidden"
    for message in (
        {"type": "set_role", "participant_id": me(moderator)["id"], "role": "audience"},
        {"type": "mute_all"},
        {"type": "lock_meeting", "locked": True},
        {"type": "end_meeting"},
    ):
        assert (await error_for(audience, message))["code"] == "forbidden", message


async def test_a_raised_hand_is_seen_and_the_moderator_brings_it_on_stage(
    kamar: RunningServer,
) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    audience = await enter(kamar, "warga", "audience")
    await audience.send({"type": "raise_hand", "raised": True})
    raised = await moderator.recv_type("participant_updated")
    assert raised["participant"]["id"] == me(audience)["id"]
    assert raised["participant"]["hand"] == 1
    await moderator.send(
        {"type": "set_role", "participant_id": me(audience)["id"], "role": "speaker"}
    )
    while True:  # its own update arrives too: first the hand, then the role
        update = (await audience.recv_type("participant_updated"))["participant"]
        if update["role"] == "speaker":
            break
    assert update["can_publish"] is True and update["hand"] is None
    refused = await error_for(audience, {"type": "raise_hand", "raised": True})
    assert refused["code"] == "bad_state"


async def test_moderators_cannot_be_moderated(kamar: RunningServer) -> None:
    first = await enter(kamar, "mod1", "moderator")
    second = await enter(kamar, "mod2", "moderator")
    for message in (
        {"type": "mute_participant", "participant_id": me(second)["id"], "kind": "audio"},
        {"type": "remove_participant", "participant_id": me(second)["id"]},
        {"type": "set_role", "participant_id": me(second)["id"], "role": "audience"},
    ):
        assert (await error_for(first, message))["code"] == "forbidden", message
    missing = await error_for(first, {"type": "remove_participant", "participant_id": "p0-x"})
    assert missing["code"] == "not_found"


async def test_mute_all_mutes_the_speakers_only(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    speaker = await enter(kamar, "ketua", "speaker")
    audience = await enter(kamar, "warga", "audience")
    await moderator.send({"type": "mute_all", "kind": "audio"})
    assert (await speaker.recv_type("muted_by_moderator"))["kind"] == "audio"
    update = await moderator.recv_type("participant_updated")
    assert update["participant"]["id"] == me(speaker)["id"]
    assert update["participant"]["audio_muted"] is True
    # The audience has nothing to mute: it hears of the speaker, nothing about itself.
    seen = await audience.recv_type("participant_updated")
    assert seen["participant"]["id"] == me(speaker)["id"]
    await audience.send({"type": "ping", "id": "after"})
    assert await audience.recv() == {"type": "pong", "id": "after"}
    await moderator.send(
        {"type": "set_role", "participant_id": me(speaker)["id"], "role": "audience"}
    )
    await moderator.send(
        {"type": "set_role", "participant_id": me(speaker)["id"], "role": "speaker"}
    )
    while True:  # back on stage, with fresh (unmuted) tracks
        back = (await moderator.recv_type("participant_updated"))["participant"]
        if back["role"] == "speaker":
            break
    assert back["audio_muted"] is False


async def test_a_banned_identity_cannot_come_back(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    troll = await enter(kamar, "troll", "audience")
    await moderator.send(
        {"type": "remove_participant", "participant_id": me(troll)["id"], "ban": True}
    )
    assert (await troll.recv_type("bye"))["reason"] == "banned"
    await troll.closed()
    left = await moderator.recv_type("participant_left")
    assert left == {
        "type": "participant_left",
        "participant_id": me(troll)["id"],
        "reason": "banned",
    }
    again = await connect(kamar)
    refused = await again.join(kamar.token(ROOM, "troll", role="audience", can_subscribe=False))
    assert refused["code"] == "banned"
    await again.closed()


async def test_a_locked_meeting_admits_only_moderators(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    await moderator.send({"type": "lock_meeting", "locked": True})
    state = await moderator.recv_type("meeting_state")
    assert state == {"type": "meeting_state", "locked": True, "lobby": False}
    late = await connect(kamar)
    refused = await late.join(kamar.token(ROOM, "late", role="audience", can_subscribe=False))
    assert refused["code"] == "meeting_locked"
    await late.closed()
    co_host = await enter(kamar, "mod2", "moderator")
    assert co_host.welcome["stage"]["locked"] is True  # type: ignore[attr-defined]


async def test_the_lobby_holds_newcomers_until_admitted_or_denied(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    await moderator.send({"type": "set_lobby", "enabled": True})
    await moderator.recv_type("meeting_state")
    tokens = {name: kamar.token(ROOM, name, role="audience", can_subscribe=False) for name in "ab"}
    waiting = {}
    for name, token in tokens.items():
        waiting[name] = await connect(kamar)
        await waiting[name].send({"type": "hello", "v": 1, "token": token})
        assert (await waiting[name].recv())["type"] == "lobby_wait"
    lobby = await moderator.recv_type("lobby")
    while len(lobby["waiting"]) < 2:
        lobby = await moderator.recv_type("lobby")
    ids = {entry["name"]: entry["id"] for entry in lobby["waiting"]}
    refused = await error_for(waiting["a"], {"type": "raise_hand", "raised": True})
    assert refused["code"] == "bad_state"  # nothing but waiting while in the lobby
    await moderator.send({"type": "admit", "participant_id": ids["a"]})
    welcome = await waiting["a"].recv_type("welcome")
    assert welcome["participant"]["id"] == ids["a"]
    await moderator.send({"type": "admit", "participant_id": ids["b"], "allow": False})
    denied = await waiting["b"].recv_type("error")
    assert denied["code"] == "denied"
    await waiting["b"].closed()
    again = await error_for(moderator, {"type": "admit", "participant_id": ids["b"]})
    assert again["code"] == "not_found"


async def test_questions_votes_and_hiding_reach_the_right_people(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    asker = await enter(kamar, "siti", "audience")
    voter = await enter(kamar, "budi", "audience")
    await asker.send({"type": "ask", "text": "Kapan upah naik?"})
    question = (await voter.recv_type("question"))["question"]
    assert (question["name"], question["votes"], question["hidden"]) == ("siti", 0, False)
    assert (await asker.recv_type("question"))["question"] == question  # the asker's own copy
    await voter.send({"type": "vote", "question_id": question["id"]})
    assert (await asker.recv_type("question"))["question"]["votes"] == 1
    await moderator.send({"type": "hide_question", "question_id": question["id"]})
    assert (await voter.recv_type("question_removed"))["question_id"] == question["id"]
    assert (await asker.recv_type("question"))["question"]["hidden"] is True
    latecomer = await enter(kamar, "cici", "audience")
    assert latecomer.welcome["stage"]["questions"] == []  # type: ignore[attr-defined]
    moderator_view = await enter(kamar, "mod2", "moderator")
    shown = moderator_view.welcome["stage"]["questions"]  # type: ignore[attr-defined]
    assert [q["id"] for q in shown] == [question["id"]]


async def test_comments_are_rate_limited_and_reactions_checked(kamar: RunningServer) -> None:
    speaker = await enter(kamar, "ketua", "speaker")
    audience = await enter(kamar, "warga", "audience")
    await audience.send({"type": "comment", "text": " Hidup buruh! "})
    comment = (await speaker.recv_type("comment"))["comment"]
    assert (comment["text"], comment["name"]) == ("Hidup buruh!", "warga")
    refused = await error_for(audience, {"type": "comment", "text": "lagi"})
    assert refused["code"] == "rate_limited"
    await audience.send({"type": "react", "emoji": "✊"})
    reaction = await speaker.recv_type("reaction")
    assert reaction == {"type": "reaction", "participant_id": me(audience)["id"], "emoji": "✊"}
    bad = await error_for(audience, {"type": "react", "emoji": "💩"})
    assert bad["code"] == "bad_message"


async def test_ending_the_meeting_sends_everyone_away(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    others = [await enter(kamar, name, "audience") for name in ("a", "b")]
    await moderator.send({"type": "end_meeting"})
    for client in [moderator, *others]:
        assert (await client.recv_type("bye"))["reason"] == "ended"
        await client.closed()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "set_role", "participant_id": "x", "role": "moderator"}, "bad_message"),
        ({"type": "mute_participant", "participant_id": "x", "kind": "screen"}, "bad_message"),
        ({"type": "vote", "question_id": "1"}, "bad_message"),
        ({"type": "vote", "question_id": 99}, "not_found"),
        ({"type": "ask", "text": "   "}, "bad_message"),
    ],
)
async def test_bad_stage_messages_get_clear_errors(
    kamar: RunningServer, message: dict[str, Any], code: str
) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    assert (await error_for(moderator, message))["code"] == code


async def test_a_promotion_outlasts_a_reconnect(kamar: RunningServer) -> None:
    moderator = await enter(kamar, "mod", "moderator")
    first = await enter(kamar, "warga", "audience")
    await moderator.send({"type": "set_role", "participant_id": me(first)["id"], "role": "speaker"})
    while (await moderator.recv_type("participant_updated"))["participant"]["role"] != "speaker":
        pass
    again = await enter(kamar, "warga", "audience")  # the phone dropped and came back
    assert me(again)["role"] == "speaker" and me(again)["can_publish"] is True
    assert (await first.recv_type("bye"))["reason"] == "replaced"
    await moderator.send(
        {"type": "set_role", "participant_id": me(again)["id"], "role": "audience"}
    )
    while (await moderator.recv_type("participant_updated"))["participant"]["role"] != "audience":
        pass
    third = await enter(kamar, "warga", "speaker")  # and sent back stays back, whatever the token
    assert me(third)["role"] == "audience"


async def test_a_stored_question_or_comment_outlives_its_cancelled_handler() -> None:
    # The member's socket closed while their comment was being written: the handler is
    # cancelled, the write goes on (it once did not, and the comment was lost).
    started, release, stored = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow_write() -> None:
        started.set()
        await release.wait()
        stored.set()

    handler = asyncio.create_task(keep_write(slow_write()))
    await started.wait()
    handler.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handler
    release.set()
    await asyncio.wait_for(stored.wait(), 5)


async def test_a_town_halls_writes_reach_the_database_in_the_order_the_stage_changed() -> None:
    # A question's write stores its whole state: asked (visible), then hidden by the moderator.
    # If the second write lands first, the first would bring the question back (it did on
    # PostgreSQL in CI). Another town hall's writes do not wait.
    done: list[str] = []
    release = asyncio.Event()

    async def write(name: str, wait: bool = False) -> None:
        if wait:
            await release.wait()
        done.append(name)

    asked = asyncio.create_task(keep_write(write("asked", wait=True), record=7))
    hidden = asyncio.create_task(keep_write(write("hidden"), record=7))
    other = asyncio.create_task(keep_write(write("other town hall"), record=8))
    await other
    assert done == ["other town hall"]  # record 7's second write still waits for its first
    release.set()
    await asyncio.gather(asked, hidden)
    assert done == ["other town hall", "asked", "hidden"]


async def test_a_question_or_comment_sent_again_after_a_reconnect_is_taken_once(
    kamar: RunningServer,
) -> None:
    # A phone's socket can die after the server read a question but before the page heard it
    # come back: the page sends it again with the same client id, and gets the first one back.
    moderator = await enter(kamar, "mod", "moderator")
    first = await enter(kamar, "warga", "audience")
    ask = {"type": "ask", "text": "Kapan upah naik?", "client_id": "q-7f3a"}
    comment = {"type": "comment", "text": "Hidup buruh!", "client_id": "c-7f3a"}
    await first.send(ask)
    question = (await moderator.recv_type("question"))["question"]
    await first.send(comment)
    said = (await moderator.recv_type("comment"))["comment"]
    await first.conn.close()
    again = await enter(kamar, "warga", "audience")
    await again.send(ask)
    assert (await again.recv_type("question"))["question"]["id"] == question["id"]
    await again.send(comment)
    assert (await again.recv_type("comment"))["comment"]["id"] == said["id"]
    later = await enter(kamar, "mod2", "moderator")
    stage = later.welcome["stage"]  # type: ignore[attr-defined]
    assert [q["id"] for q in stage["questions"]] == [question["id"]]
    assert [c["id"] for c in stage["comments"]] == [said["id"]]
    # A new client id is a new question; an empty one is no id a client makes.
    await again.send({**ask, "client_id": "q-8b1c"})
    assert (await moderator.recv_type("question"))["question"]["id"] != question["id"]
    bad = await error_for(again, {"type": "comment", "text": "x", "client_id": ""})
    assert bad["code"] == "bad_message"
