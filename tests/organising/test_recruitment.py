"""Recruitment by referral on SQLite and PostgreSQL: personal codes, crediting the recruiter,
campaign rooms, room invitations, fraud flags and limits, and the reports."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.community.accounts import User
from rooms.errors import Forbidden, Invalid, NotFound, RateLimited
from rooms.organising import Organising
from rooms.organising.fraud import DEVICE_LIMIT_PER_DAY, flags_for, private_key
from rooms.organising.referrals import join_path
from rooms.organising.report import Scope
from tests.rooms.conftest import Clock, register

DAY = 86_400.0


async def campaign_with_rooms(
    organising: Organising, clock: Clock, organiser: User, **extra: Any
) -> tuple[dict[str, Any], list[int]]:
    directory = organising.community.directory
    rooms = [
        (await directory.create(organiser, name, "region", region_code=code))["id"]
        for name, code in (("Warga Sukarasa", "32.73.01.1001"), ("Serikat Bandung", "32.73"))
    ]
    now = int(clock.now * 1000)
    campaign = await organising.campaigns.create(
        organiser,
        "CFD Dago",
        rooms,
        now - 3_600_000,
        now + 7 * 86_400_000,
        target=extra.pop("target", 100),
        region_code="32.73",
    )
    return campaign, rooms


async def test_a_member_recruited_through_a_campaign_lands_in_its_rooms(
    organising: Organising, clock: Clock
) -> None:
    siti = await register(organising.community, "siti")
    campaign, rooms = await campaign_with_rooms(organising, clock, siti)
    code = await organising.recruitment.my_code(siti)
    assert await organising.recruitment.my_code(siti) == code  # one code per member
    assert (await organising.recruitment.recruiter(code)).id == siti.id
    preview = await organising.recruitment.preview(code, campaign["id"])
    assert preview == {
        "recruiter": {"display_name": "Siti"},
        "campaign": {"id": campaign["id"], "name": "CFD Dago"},
    }

    budi = await register(organising.community, "budi", region={"code": "32.73.01.1001"})
    recruiter = await organising.recruitment.recruiter(code)
    recorded = await organising.recruitment.record(
        budi, recruiter, "qr", campaign["id"], "10.0.0.1", "device-budi"
    )
    assert recorded == {
        "campaign": {"id": campaign["id"], "name": "CFD Dago"},
        "rooms": sorted(rooms),
        "flags": [],
    }
    joined = await organising.community.directory.list_mine(budi)
    assert sorted(room["id"] for room in joined) == sorted(rooms)
    mine = await organising.recruitment.recruits(siti)
    assert mine["count"] == 1
    assert mine["recruits"][0]["user"]["display_name"] == "Budi"
    assert mine["recruits"][0]["channel"] == "qr"


async def test_a_link_kept_after_its_campaign_still_credits_the_recruiter(
    organising: Organising, clock: Clock
) -> None:
    siti = await register(organising.community, "siti")
    campaign, _ = await campaign_with_rooms(organising, clock, siti)
    clock.now += 8 * DAY  # the campaign is over
    budi = await register(organising.community, "budi")
    recorded = await organising.recruitment.record(budi, siti, "link", campaign["id"], "", "")
    assert (recorded["campaign"], recorded["rooms"]) == (None, [])
    assert (await organising.recruitment.recruits(siti))["count"] == 1
    assert await organising.community.directory.list_mine(budi) == []


async def test_an_unknown_code_is_not_found(organising: Organising) -> None:
    with pytest.raises(NotFound) as refused:
        await organising.recruitment.preview("nobody12", None)
    assert refused.value.field == "code"


async def test_only_a_moderator_of_every_room_starts_a_campaign(
    organising: Organising, clock: Clock
) -> None:
    siti = await register(organising.community, "siti")
    budi = await register(organising.community, "budi")
    _, rooms = await campaign_with_rooms(organising, clock, siti)
    invite = await organising.community.directory.create_invite(siti, rooms[0], None, None)
    await organising.community.directory.accept_invite(budi, invite["code"])
    now = int(clock.now * 1000)
    with pytest.raises(Forbidden):
        await organising.campaigns.create(budi, "Mine", rooms[:1], now, now + 1000)
    with pytest.raises(NotFound):  # not even a member of the second room
        await organising.campaigns.create(budi, "Mine", rooms[1:], now, now + 1000)
    for args, field in [
        (("", rooms, now, now + 1000), "name"),
        (("X", rooms, now, now), "ends_at"),
        (("X", [], now, now + 1000), "room_ids"),
        (("X", [rooms[0], rooms[0]], now, now + 1000), "room_ids"),
    ]:
        with pytest.raises(Invalid) as refused:
            await organising.campaigns.create(siti, *args)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(NotFound):
        await organising.campaigns.create(siti, "X", rooms, now, now + 1, region_code="32.99")
    with pytest.raises(Forbidden):
        await organising.campaigns.require_organiser(budi, 1)


async def test_a_room_invitation_credits_its_maker_once_and_only_for_new_accounts(
    organising: Organising, clock: Clock
) -> None:
    siti = await register(organising.community, "siti")
    room = await organising.community.directory.create(siti, "PUK", "work")
    invite = await organising.community.directory.create_invite(siti, room["id"], None, None)
    budi = await register(organising.community, "budi")
    await organising.community.directory.accept_invite(budi, invite["code"])
    recruitment = organising.recruitment
    assert await recruitment.record_room_invite(budi, invite["code"], "10.0.0.2", "d")
    assert not await recruitment.record_room_invite(budi, invite["code"], "10.0.0.2", "d")
    clock.now += 2 * 3600
    ani = await register(organising.community, "ani")
    clock.now += 2 * 3600  # Ani had her account for two hours before the invitation
    assert not await recruitment.record_room_invite(ani, invite["code"], "", "")
    assert not await recruitment.record_room_invite(siti, invite["code"], "", "")
    assert not await recruitment.record_room_invite(ani, "no-such-code", "", "")
    recruits = await recruitment.recruits(siti)
    assert [(r["user"]["display_name"], r["channel"]) for r in recruits["recruits"]] == [
        ("Budi", "room_invite")
    ]


async def test_many_sign_ups_from_one_device_are_flagged_then_refused(
    organising: Organising, clock: Clock
) -> None:
    siti = await register(organising.community, "siti")
    flags = []
    for number in range(3):
        member = await register(organising.community, f"anggota{number}")
        await organising.recruitment.check_device("one-phone")
        recorded = await organising.recruitment.record(
            member, siti, "link", None, f"10.0.0.{number}", "one-phone"
        )
        flags.append(recorded["flags"])
    assert flags == [[], [], ["same_device"]]
    report = await organising.report(siti, Scope(recruiter_id=siti.id))
    assert (report["signups"], report["flagged"]) == (3, 1)
    assert report["leaderboard"][0]["flagged"] == 1
    for number in range(3, DEVICE_LIMIT_PER_DAY):
        member = await register(organising.community, f"anggota{number}")
        await organising.recruitment.record(member, siti, "link", None, "", "one-phone")
    with pytest.raises(RateLimited) as refused:
        await organising.recruitment.check_device("one-phone")
    assert refused.value.field == "device" and refused.value.retry_after
    await organising.recruitment.check_device("another-phone")
    clock.now += DAY
    await organising.recruitment.check_device("one-phone")


@pytest.mark.parametrize(
    ("device", "address", "flags"),
    [
        (0, 0, []),
        (2, 0, ["same_device"]),
        (0, 5, ["same_address"]),
        (5, 9, ["same_device", "same_address"]),
    ],
)
def test_flags_follow_the_counts(device: int, address: int, flags: list[str]) -> None:
    assert flags_for(device, address) == flags


def test_addresses_and_devices_are_kept_only_as_keyed_hashes() -> None:
    key = private_key("secret", "address", "10.0.0.1")
    assert len(key) == 16 and "10.0.0.1" not in key
    assert key == private_key("secret", "address", "10.0.0.1")
    assert key != private_key("other", "address", "10.0.0.1")
    assert key != private_key("secret", "device", "10.0.0.1")
    assert private_key("secret", "device", "") == ""


def test_a_join_path_names_the_channel_and_campaign() -> None:
    assert join_path("abc") == "/#/join/abc"
    assert join_path("abc", 7, "qr") == "/#/join/abc?via=qr&campaign=7"


async def test_the_campaign_report_counts_sign_ups_activity_and_regions(
    organising: Organising, clock: Clock
) -> None:
    community = organising.community
    siti = await register(community, "siti")
    ani = await register(community, "ani")
    campaign, rooms = await campaign_with_rooms(organising, clock, siti, target=4)
    members = []
    for recruiter, name, code in [
        (siti, "budi", "32.73.01.1001"),
        (siti, "cici", "32.04"),
        (ani, "dedi", "32.73.01"),
    ]:
        member = await register(community, name, region={"code": code})
        await organising.recruitment.record(member, recruiter, "link", campaign["id"], "", "")
        members.append(member)
    # Budi posts on his first day, Dedi on day 10; Cici never does.
    await community.chat.post(members[0], rooms[0], "Halo semua")
    clock.now += 10 * DAY
    await community.chat.post(members[2], rooms[0], "Saya baru bisa ikut")
    report = await organising.report(siti, Scope(campaign_id=campaign["id"]))
    assert (report["signups"], report["active_7d"], report["active_30d"]) == (3, 1, 2)
    assert (report["target"], report["progress"], report["flagged"]) == (4, 0.75, 0)
    assert len(report["per_day"]) == 1 and report["per_day"][0]["signups"] == 3
    assert [
        (row["recruiter"]["display_name"], row["signups"]) for row in report["leaderboard"]
    ] == [
        ("Siti", 2),
        ("Ani", 1),
    ]
    assert [(row["code"], row["name"], row["signups"]) for row in report["by_region"]] == [
        ("32.73", "Kota Bandung", 2),
        ("32.04", "Kabupaten Bandung", 1),
    ]
    with pytest.raises(Forbidden):
        await organising.report(ani, Scope(campaign_id=campaign["id"]))
    with pytest.raises(Forbidden):
        await organising.report(ani, Scope(region_code="32"))
    mine = await organising.report(ani, Scope(recruiter_id=ani.id))
    assert mine["signups"] == 1


async def test_the_report_follows_a_members_region_and_earlier_activity_after_sign_up(
    organising: Organising, clock: Clock
) -> None:
    """The report reads each referral's copy of its member's region and first activity:
    a region set after signing up moves the sign-up, and activity before the credit counts."""
    community = organising.community
    siti = await register(community, "siti")
    campaign, rooms = await campaign_with_rooms(organising, clock, siti, target=2)
    budi = await register(community, "budi")
    await organising.recruitment.record(budi, siti, "link", campaign["id"], "", "")
    cici = await register(community, "cici", region={"code": "35.78"})
    own_room = (await community.directory.create(cici, "Rumah Cici", "region"))["id"]
    await community.chat.post(cici, own_room, "Halo")
    report = await organising.report(siti, Scope(campaign_id=campaign["id"]))  # rolled up
    assert report["signups"] == 1 and report["by_region"][0]["code"] == ""

    await organising.recruitment.record(cici, siti, "qr", campaign["id"], "", "")
    await community.accounts.update_profile(budi, region={"code": "32.73.01.1001"})
    report = await organising.report(siti, Scope(campaign_id=campaign["id"]))
    assert (report["signups"], report["active_7d"]) == (2, 1)
    assert [(row["code"], row["signups"]) for row in report["by_region"]] == [
        ("32.73", 1),
        ("35.78", 1),
    ]
    bandung = await organising.report(siti, Scope(recruiter_id=siti.id, region_code="32.73"))
    assert (bandung["signups"], bandung["active_7d"]) == (1, 0)
    await community.accounts.update_profile(budi, region={"code": "35.78"})
    moved = await organising.report(siti, Scope(recruiter_id=siti.id, region_code="35"))
    assert moved["signups"] == 2
    await community.chat.post(budi, rooms[0], "Saya juga")
    assert (await organising.report(siti, Scope(campaign_id=campaign["id"])))["active_7d"] == 2
