"""Forgot password: who may make a reset code for whom, and a code's single use and expiry
(rooms/community/password_reset.py), on SQLite and PostgreSQL with a stepped clock."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community import sessions
from rooms.community.account_rules import Registration
from rooms.community.accounts import User
from rooms.community.bus import user_topic
from rooms.community.community import Community
from rooms.community.password_reset import (
    ALPHABET,
    CODE_TTL_MS,
    REQUEST_TTL_MS,
    code_hash,
    may_reset,
    new_code,
    normalise_code,
)
from rooms.errors import DomainError, Forbidden, Invalid, NotFound, Unauthorized
from tests.rooms.conftest import Clock, register

NEW_PASSWORD = "sandi-baru-123"


async def _room_with(community: Community, owner: User, *members: User) -> int:
    room = await community.directory.create(owner, "Serikat", "work")
    invite = await community.directory.create_invite(owner, room["id"], None, None)
    for member in members:
        await community.directory.accept_invite(member, invite["code"])
    return int(room["id"])


async def _admin(community: Community, name: str) -> User:
    form = Registration(password="rahasia-123", display_name=name.title(), username=name)
    return await community.accounts.register(form, is_admin=True)


def _reason(excinfo: pytest.ExceptionInfo[DomainError]) -> str | None:
    return excinfo.value.reason


def test_codes_are_random_readable_and_typed_loosely() -> None:
    codes = {new_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4]
        assert set("".join(groups)) <= set(ALPHABET)
    code = new_code()
    assert normalise_code(f" {code.lower().replace('-', ' ')} ") == code.replace("-", "")
    assert code_hash(code.lower()) == code_hash(code) != code_hash(new_code())
    assert len(code_hash(code)) == 64 and code not in code_hash(code)


@pytest.mark.parametrize(
    ("actor_admin", "target_admin", "shared", "allowed"),
    [
        (True, False, [], True),  # an administrator needs no shared room
        (True, True, [], True),
        (False, False, [], False),  # no room in common
        (False, False, [("member", "member")], False),
        (False, False, [("moderator", "member")], True),
        (False, False, [("moderator", "moderator")], False),
        (False, False, [("owner", "moderator")], True),
        (False, False, [("owner", "owner")], False),
        (False, False, [("member", "owner"), ("moderator", "member")], True),  # any one room
        (False, True, [("owner", "member")], False),  # never an administrator's password
    ],
)
def test_who_may_reset_whom(
    actor_admin: bool, target_admin: bool, shared: list[tuple[str, str]], allowed: bool
) -> None:
    assert may_reset(actor_admin, target_admin, shared) is allowed


async def test_an_organiser_resets_a_member_who_is_then_signed_out_everywhere(
    community: Community, clock: Clock
) -> None:
    owner, ani = await register(community, "owner"), await register(community, "ani")
    await _room_with(community, owner, ani)
    before = await community.accounts.get(ani.id)
    heard: list[Any] = []
    community.bus.subscribe(user_topic(ani.id), lambda _text, event: heard.append(event))
    clock.now += 5
    issued = await community.password_resets.issue(owner, ani.id)
    assert issued.expires_at_ms == int(clock.now * 1000) + CODE_TTL_MS
    assert heard == []  # making a code signs nobody out: the member may never use it
    clock.now += 60
    user = await community.password_resets.redeem(issued.code.lower(), NEW_PASSWORD)
    cutoff = int(clock.now * 1000)
    assert user.id == ani.id and user.sessions_valid_after == cutoff
    assert cutoff > before.sessions_valid_after
    # The "sign out everywhere" event, which closes the member's sockets on every node.
    assert heard == [{"type": "sessions_revoked", "before_ms": cutoff}]
    secret = "s" * 32
    old = sessions.decode(sessions.mint_session(ani.id, secret, clock.now - 1), secret, 0)
    fresh = sessions.decode(sessions.mint_session(ani.id, secret, clock.now), secret, 0)
    assert not sessions.still_valid(old, cutoff) and sessions.still_valid(fresh, cutoff)
    await community.accounts.login("ani", NEW_PASSWORD)
    with pytest.raises(Unauthorized):
        await community.accounts.login("ani", "rahasia-123")
    log = await community.password_resets.audit(await _admin(community, "root"))
    assert [(r["action"], r["actor"]["id"], r["target"]["id"]) for r in log] == [
        ("used", None, ani.id),
        ("issued", owner.id, ani.id),
    ]
    assert log[1]["actor"]["display_name"] == "Owner"


async def test_a_code_opens_once(community: Community) -> None:
    admin, ani = await _admin(community, "root"), await register(community, "ani")
    issued = await community.password_resets.issue(admin, ani.id)
    await community.password_resets.redeem(issued.code, NEW_PASSWORD)
    with pytest.raises(Unauthorized) as used:
        await community.password_resets.redeem(issued.code, "lagi-lagi-123")
    assert _reason(used) == "reset_code_used" and used.value.field == "code"
    await community.accounts.login("ani", NEW_PASSWORD)  # the second try changed nothing


async def test_a_code_expires_after_a_day(community: Community, clock: Clock) -> None:
    admin, ani = await _admin(community, "root"), await register(community, "ani")
    issued = await community.password_resets.issue(admin, ani.id)
    clock.now += CODE_TTL_MS / 1000
    with pytest.raises(Unauthorized) as expired:
        await community.password_resets.redeem(issued.code, NEW_PASSWORD)
    assert _reason(expired) == "reset_code_expired"
    clock.now -= 1  # a second earlier it still opened
    await community.password_resets.redeem(issued.code, NEW_PASSWORD)


async def test_wrong_codes_and_short_passwords_change_nothing(community: Community) -> None:
    admin, ani = await _admin(community, "root"), await register(community, "ani")
    issued = await community.password_resets.issue(admin, ani.id)
    with pytest.raises(Unauthorized) as wrong:
        await community.password_resets.redeem(new_code(), NEW_PASSWORD)
    assert _reason(wrong) == "reset_code_wrong"
    with pytest.raises(Invalid) as short:
        await community.password_resets.redeem(issued.code, "pendek")
    assert _reason(short) == "password_length" and short.value.field == "new_password"
    await community.password_resets.redeem(issued.code, NEW_PASSWORD)  # still unused


async def test_a_new_code_replaces_the_earlier_one(community: Community) -> None:
    admin, ani = await _admin(community, "root"), await register(community, "ani")
    first = await community.password_resets.issue(admin, ani.id)
    second = await community.password_resets.issue(admin, ani.id)
    with pytest.raises(Unauthorized) as replaced:
        await community.password_resets.redeem(first.code, NEW_PASSWORD)
    assert _reason(replaced) == "reset_code_wrong"
    await community.password_resets.redeem(second.code, NEW_PASSWORD)


async def test_members_and_organisers_are_held_to_their_rooms(community: Community) -> None:
    owner, mod = await register(community, "owner"), await register(community, "mod")
    ani, budi = await register(community, "ani"), await register(community, "budi")
    outsider = await register(community, "luar")
    room = await _room_with(community, owner, mod, ani, budi)
    await community.directory.set_role(owner, room, mod.id, "moderator")
    admin = await _admin(community, "root")
    await community.directory.accept_invite(
        admin, (await community.directory.create_invite(owner, room, None, None))["code"]
    )
    refused = [
        (ani, budi.id, "reset_not_allowed"),  # a member cannot reset another
        (mod, owner.id, "reset_not_allowed"),  # nor a moderator an owner
        (outsider, ani.id, "reset_not_allowed"),  # no room in common
        (owner, admin.id, "reset_admin"),  # an owner of a shared room, but an administrator
        (owner, 999_999, "reset_not_allowed"),  # no such account: the same answer
    ]
    for actor, target, reason in refused:
        with pytest.raises(Forbidden) as no:
            await community.password_resets.issue(actor, target)
        assert _reason(no) == reason, (actor.username, target)
    await community.password_resets.issue(mod, ani.id)
    await community.password_resets.issue(owner, mod.id)
    await community.password_resets.issue(admin, owner.id)
    await community.password_resets.issue(admin, (await _admin(community, "root2")).id)
    with pytest.raises(Invalid) as own:
        await community.password_resets.issue(owner, owner.id)
    assert _reason(own) == "reset_self"
    with pytest.raises(NotFound):
        await community.password_resets.issue(admin, 999_999)
    with pytest.raises(Forbidden):
        await community.password_resets.audit(owner)


async def test_requests_show_to_those_who_may_make_a_code(
    community: Community, clock: Clock
) -> None:
    owner, mod = await register(community, "owner"), await register(community, "mod")
    ani, budi = await register(community, "ani"), await register(community, "budi")
    outsider, admin = await register(community, "luar"), await _admin(community, "root")
    room = await _room_with(community, owner, mod, ani, budi)
    await community.directory.set_role(owner, room, mod.id, "moderator")
    resets = community.password_resets
    await resets.request("nobody")  # no such account: the same silence
    await resets.request(" ANI ")
    clock.now += 1
    await resets.request("mod")

    async def seen_by(actor: User) -> list[int]:
        return [row["user"]["id"] for row in await resets.requests_for(actor)]

    assert await seen_by(admin) == [mod.id, ani.id]
    assert await seen_by(owner) == [mod.id, ani.id]
    assert await seen_by(mod) == [ani.id]  # not their own request
    assert await seen_by(budi) == await seen_by(outsider) == []
    await resets.request("root")  # an administrator's request is for administrators only
    assert admin.id not in await seen_by(owner)
    await resets.issue(mod, ani.id)  # answered: the request is gone
    assert await seen_by(owner) == [mod.id]
    clock.now += REQUEST_TTL_MS / 1000  # a week later nobody is asked any more
    assert await seen_by(admin) == []  # root's own request and mod's are stale now
