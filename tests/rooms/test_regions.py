"""Indonesia's regions: the index (pure, on a few rows), the shipped data against its pin,
RT/RW spelling, and `kamar regions update` on a tarball made here (no network)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from rooms.community.regions import check_place, check_rt_rw, regions
from rooms.community.regions.data import DATA_DIR, FILES, file_digests, read_source
from rooms.community.regions.index import Region, RegionIndex
from rooms.community.regions.update import UpdateError, install_tarball, sri_sha512
from rooms.errors import Invalid, NotFound

SMALL = RegionIndex(
    Region(code, name)
    for code, name in [
        ("32", "Jawa Barat"),
        ("32.04", "Kabupaten Bandung"),
        ("32.73", "Kota Bandung"),
        ("32.73.01", "Sukasari"),
        ("32.73.01.1001", "Sukarasa"),
        ("32.73.01.1002", "Gegerkalong"),
        ("35", "Jawa Timur"),
        ("35.13", "Kabupaten Probolinggo"),
        ("35.13.15", "Tegalsiwalan"),
        ("35.13.15.2017", 'Soka"an'),
    ]
)


@pytest.mark.parametrize(
    ("query", "level", "within", "codes"),
    [
        ("bandung", None, None, ["32.04", "32.73"]),
        ("BAND", None, None, ["32.04", "32.73"]),
        ("kota band", None, None, ["32.73"]),
        ("band kota", None, None, ["32.73"]),
        ("suka", None, None, ["32.73.01", "32.73.01.1001"]),
        ("suka", "village", None, ["32.73.01.1001"]),
        ("jawa", None, None, ["32", "35"]),
        ("bandung", None, "32.73", []),  # inside, not the region itself
        ("geger", None, "32.73", ["32.73.01.1002"]),
        ("geger", None, "35", []),
        ("soka an", None, None, ["35.13.15.2017"]),
        ("xx", None, None, []),
    ],
)
def test_a_search_finds_names_whose_words_start_with_the_query(
    query: str, level: str | None, within: str | None, codes: list[str]
) -> None:
    found = SMALL.search(query, level, within)  # type: ignore[arg-type]
    assert [region.code for region in found] == codes


@pytest.mark.parametrize("query", ["", "a", " - ", "x" * 61])
def test_a_search_needs_two_to_sixty_letters(query: str) -> None:
    with pytest.raises(Invalid) as refused:
        SMALL.search(query)
    assert refused.value.field == "q"


def test_a_code_has_a_path_and_children_and_a_label() -> None:
    assert [r.name for r in SMALL.path("32.73.01.1001")] == [
        "Jawa Barat",
        "Kota Bandung",
        "Sukasari",
        "Sukarasa",
    ]
    assert [r.code for r in SMALL.children("32")] == ["32.04", "32.73"]
    assert [r.code for r in SMALL.children(None)] == ["32", "35"]
    described = SMALL.describe("32.73.01.1001")
    assert described["level"] == "village"
    assert described["label"] == "Sukarasa, Sukasari, Kota Bandung, Jawa Barat"


@pytest.mark.parametrize(
    ("code", "error"),
    [("32.7", Invalid), ("32.73.01.100", Invalid), ("3273", Invalid), ("99", NotFound)],
)
def test_a_bad_code_is_refused_naming_the_region(code: str, error: type[Exception]) -> None:
    with pytest.raises(error) as refused:
        SMALL.get(code)
    assert refused.value.field == "region"  # type: ignore[attr-defined]


def test_an_index_refuses_an_orphan_or_a_duplicate() -> None:
    with pytest.raises(ValueError, match="no parent"):
        RegionIndex([Region("32.73", "Kota Bandung")])
    with pytest.raises(ValueError, match="twice"):
        RegionIndex([Region("32", "Jawa Barat"), Region("32", "Jawa Barat")])


def test_the_shipped_data_is_the_pinned_package_and_indexes() -> None:
    source = read_source()
    assert (source["package"], source["version"]) == ("idn-area-data", "4.0.1")
    assert file_digests(DATA_DIR) == source["files"]
    index = regions()
    assert len(index) == 38 + 514 + 7285 + 83762
    assert len(index.children(None)) == 38
    assert index.get("32.73").name == "Kota Bandung"
    assert index.get("31.71").name == "Kota Administrasi Jakarta Pusat"
    assert [r.code for r in index.search("kota bandung")][:1] == ["32.73"]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("", ""),
        ("  ", ""),
        ("3/5", "003/005"),
        ("003/005", "003/005"),
        ("RT 05 / RW 02", "005/002"),
        ("rt.5 rw.2", "005/002"),
        ("5-2", "005/002"),
        ("RT 5 RW 2", "005/002"),
        ("5, RW 2", "005/002"),
    ],
)
def test_rt_rw_is_stored_in_one_spelling(text: str, stored: str) -> None:
    assert check_rt_rw(text) == stored


@pytest.mark.parametrize(
    "text", ["5", "55", "5 2", "RT 5", "0/2", "1000/1", "abc", "5/2/1", "RW 2/5"]
)
def test_rt_rw_that_is_not_two_numbers_is_refused(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_rt_rw(text)
    assert refused.value.field == "rt_rw"


def test_rt_rw_needs_a_village() -> None:
    assert check_place("32.73.01.1001", "5/2") == {
        "region_code": "32.73.01.1001",
        "rt_rw": "005/002",
    }
    assert check_place("", "") == {"region_code": "", "rt_rw": ""}
    with pytest.raises(Invalid) as refused:
        check_place("32.73", "5/2")
    assert refused.value.field == "rt_rw"


def _package(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _shipped_files() -> dict[str, bytes]:
    return {name: (DATA_DIR / name).read_bytes() for name in (*FILES, "LICENSE.md")}


def test_an_update_installs_a_package_that_matches_its_pin(tmp_path: Path) -> None:
    files = _shipped_files()
    files["villages.csv"] += b'32.73.01.1099,32.73.01,"Desa Baru"\n'
    tarball = _package(files)
    source = read_source()
    installed = install_tarball(tarball, sri_sha512(tarball), source, tmp_path)
    assert installed["files"]["villages.csv"] != source["files"]["villages.csv"]
    assert json.loads((tmp_path / "SOURCE.json").read_text()) == installed
    assert (tmp_path / "villages.csv").read_bytes().endswith(b'Desa Baru"\n')


def test_an_update_refuses_a_package_that_differs_from_its_pin(tmp_path: Path) -> None:
    tarball = _package(_shipped_files())
    with pytest.raises(UpdateError, match="integrity"):
        install_tarball(tarball, sri_sha512(b"other"), read_source(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_update_refuses_data_with_an_orphan_village(tmp_path: Path) -> None:
    files = _shipped_files()
    files["villages.csv"] += b"99.99.99.9999,99.99.99,Nowhere\n"
    tarball = _package(files)
    with pytest.raises(UpdateError, match="no parent"):
        install_tarball(tarball, sri_sha512(tarball), read_source(), tmp_path)
    assert list(tmp_path.iterdir()) == []
