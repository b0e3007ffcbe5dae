"""Search on SQLite and PostgreSQL: Indonesian words found in their inflected forms, only in
rooms one is a member of, deleted and edited words leave the index, bad queries refused."""

from __future__ import annotations

import pytest

from rooms.community.community import Community
from rooms.community.search import check_query, fts5_match, tsquery_literal
from rooms.community.search_terms import candidates, index_terms
from rooms.errors import Forbidden, Invalid, NotFound
from tests.rooms.conftest import register
from tests.rooms.test_store import room_with


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("membeli", "beli"),
        ("dibeli", "beli"),
        ("pembelian", "beli"),
        ("belikan", "beli"),
        ("belinya", "beli"),
        ("memakai", "pakai"),
        ("menulis", "tulis"),
        ("menyapu", "sapu"),
        ("mengirim", "kirim"),
        ("mengambil", "ambil"),
        ("diperbaiki", "baik"),
        ("perumahan", "rumah"),
        ("bekerja", "kerja"),
        ("rapatnya", "rapat"),
    ],
)
def test_an_affixed_word_stands_for_its_root(word: str, root: str) -> None:
    assert root in candidates(word)
    assert word in candidates(word)


def test_short_words_and_numbers_are_kept_whole() -> None:
    assert candidates("dia") == {"dia"}
    assert candidates("2026") == {"2026"}
    assert index_terms("Rapat RT-05, Café!") == "rapat rt 05 cafe"


def test_queries_are_quoted_terms_in_either_syntax() -> None:
    found = [{"beli", "membeli"}, {"rumah"}]
    assert fts5_match(found) == '("beli" OR "membeli") AND ("rumah")'
    assert tsquery_literal(found) == "('beli' | 'membeli') & ('rumah')"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "search_empty"),
        ("  ?! ", "search_empty"),
        ("a" * 201, "search_too_long"),
        ("satu dua tiga empat lima enam tujuh delapan sembilan", "search_too_long"),
    ],
)
def test_a_bad_query_is_refused_with_its_reason(query: str, reason: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_query(query)
    assert refused.value.reason == reason


async def test_an_inflected_word_finds_its_root_and_other_forms(community: Community) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    for text in ["Saya mau beli beras", "Berasnya sudah dibeli kemarin", "Rapat jam tujuh"]:
        await community.chat.post(siti, room, text)
    results, _ = await community.search.messages(budi, "membeli")
    assert [r["message"]["text"] for r in results] == [
        "Berasnya sudah dibeli kemarin",
        "Saya mau beli beras",
    ]
    assert results[0]["room"] == {"id": room, "name": "Serikat", "kind": "work"}
    both, _ = await community.search.messages(budi, "membeli BERAS")
    assert len(both) == 2
    none, _ = await community.search.messages(budi, "membeli rapat")
    assert none == []


async def test_only_rooms_one_is_a_member_of_are_searched(community: Community) -> None:
    ours, siti, budi = await room_with(community, "siti", "budi")
    public = await community.directory.create(siti, "Umum", "work", "", "public")
    private = await community.directory.create(siti, "Pengurus", "work", "", "invite")
    await community.chat.post(siti, ours, "iuran dibayar")
    await community.chat.post(siti, public["id"], "iuran bulan ini")
    await community.chat.post(siti, private["id"], "iuran rahasia")
    found, _ = await community.search.messages(budi, "bayar iuran")
    assert [r["message"]["text"] for r in found] == ["iuran dibayar"]
    everything, _ = await community.search.messages(budi, "iuran")
    assert [r["message"]["room_id"] for r in everything] == [ours]
    with pytest.raises(NotFound):
        await community.search.messages(budi, "iuran", room_id=private["id"])
    in_room, _ = await community.search.messages(siti, "iuran", room_id=private["id"])
    assert [r["message"]["text"] for r in in_room] == ["iuran rahasia"]


async def test_a_public_room_one_has_not_joined_is_not_searched(
    community: Community,
) -> None:
    siti = await register(community, "siti")
    budi = await register(community, "budi")
    public = await community.directory.create(siti, "Umum", "work", "", "public")
    await community.chat.post(siti, public["id"], "iuran bulan ini")
    with pytest.raises(Forbidden) as refused:
        await community.search.messages(budi, "iuran", room_id=public["id"])
    assert refused.value.reason == "join_room_first"
    outsider_everywhere, _ = await community.search.messages(budi, "iuran")
    assert outsider_everywhere == []


async def test_edited_and_deleted_words_leave_the_index(community: Community) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    first = await community.chat.post(siti, room, "kumpul di balai desa")
    second = await community.chat.post(siti, room, "nomor rekening lama")
    await community.chat.edit(siti, first["id"], "kumpul di masjid")
    await community.chat.delete(siti, second["id"])
    assert (await community.search.messages(budi, "balai"))[0] == []
    assert (await community.search.messages(budi, "rekening"))[0] == []
    moved, _ = await community.search.messages(budi, "masjid")
    assert [r["message"]["id"] for r in moved] == [first["id"]]


async def test_results_come_in_pages_newest_first(community: Community) -> None:
    room, siti, budi = await room_with(community, "siti", "budi")
    posted = [await community.chat.post(siti, room, f"laporan ke-{n}") for n in range(5)]
    ids = [m["id"] for m in reversed(posted)]
    page, cursor = await community.search.messages(budi, "melaporkan", limit=2)
    assert [r["message"]["id"] for r in page] == ids[:2]
    page, cursor = await community.search.messages(budi, "laporan", before=cursor, limit=2)
    assert [r["message"]["id"] for r in page] == ids[2:4]
    page, cursor = await community.search.messages(budi, "laporan", before=cursor, limit=2)
    assert ([r["message"]["id"] for r in page], cursor) == (ids[4:], None)


async def test_a_direct_conversation_is_named_after_the_other_member(
    community: Community,
) -> None:
    _room, siti, budi = await room_with(community, "siti", "budi")
    direct = await community.direct.open(siti, budi.id)
    await community.chat.post(siti, direct["id"], "titip belanjaan")
    found, _ = await community.search.messages(budi, "belanja")
    assert found[0]["room"]["name"] == "Siti"
    assert found[0]["room"]["kind"] == "direct"
