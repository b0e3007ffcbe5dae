"""Region codes on profiles and rooms, stored on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from rooms.community.account_rules import Registration
from rooms.community.community import Community
from rooms.errors import Invalid, NotFound
from tests.rooms.conftest import register


async def test_a_profile_names_its_region_by_code_and_gets_its_names(
    community: Community,
) -> None:
    ani = await register(community, "ani", region={"code": "32.73.01.1001", "rt_rw": "rt 3 rw 5"})
    assert (ani.region_code, ani.province, ani.city, ani.rt_rw) == (
        "32.73.01.1001",
        "Jawa Barat",
        "Kota Bandung",
        "003/005",
    )
    moved = await community.accounts.update_profile(ani, region={"code": "31.71"})
    assert (moved.region_code, moved.province, moved.city) == (
        "31.71",
        "Daerah Khusus Ibukota Jakarta",
        "Kota Administrasi Jakarta Pusat",
    )
    assert moved.public()["region"]["code"] == "31.71"
    cleared = await community.accounts.update_profile(moved, region={"code": ""})
    assert (cleared.region_code, cleared.province, cleared.city) == ("", "", "")


@pytest.mark.parametrize(
    ("region", "error"),
    [({"code": "99.99"}, NotFound), ({"code": "32-73"}, Invalid), ({"rt_rw": "lima"}, Invalid)],
)
async def test_a_profile_with_an_unknown_code_changes_nothing(
    community: Community, region: dict[str, str], error: type[Exception]
) -> None:
    ani = await register(community, "ani", region={"city": "Bekasi"})
    with pytest.raises(error) as refused:
        await community.accounts.update_profile(ani, display_name="Other", region=region)
    assert refused.value.field == "region"  # type: ignore[attr-defined]
    again = await community.accounts.get(ani.id)
    assert (again.display_name, again.city, again.region_code) == ("Ani", "Bekasi", "")
    with pytest.raises(error):
        await community.accounts.register(
            Registration("rahasia-123", "Budi", username="budi", region=region)
        )


async def test_a_room_names_its_village_and_rt_rw(community: Community) -> None:
    ani = await register(community, "ani")
    room = await community.directory.create(
        ani, "RW 05 Sukarasa", "region", region_code="32.73.01.1001", rt_rw="5/5"
    )
    assert room["region"] == {
        "code": "32.73.01.1001",
        "rt_rw": "005/005",
        "label": "Sukarasa, Sukasari, Kota Bandung, Jawa Barat",
    }
    edited = await community.directory.edit(ani, room["id"], region_code="32.73", rt_rw="")
    assert edited["region"]["label"] == "Kota Bandung, Jawa Barat"
    with pytest.raises(Invalid) as refused:
        await community.directory.edit(ani, room["id"], rt_rw="1/1")  # a city has no RT
    assert refused.value.field == "rt_rw"
    with pytest.raises(NotFound):
        await community.directory.create(ani, "X", "region", region_code="32.99")
    [listed] = await community.directory.list_mine(ani)
    assert listed["region"]["code"] == "32.73"
