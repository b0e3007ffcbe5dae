"""Indonesia's administrative regions in memory: look up a Kemendagri code, walk the hierarchy,
search by name.

Pure: built from rows, reads no files (rooms/community/regions/data.py loads the shipped CSVs).
Codes are the official dotted ones: province "32", regency or city "32.73", district
"32.73.01", village or kelurahan "32.73.01.1001"; a code's parent is the code without its last
part, so "everything in Kota Bandung" is the codes that start with "32.73.".

The search is for a picker typed into on a phone: every word of the query must begin a word of
the name, case-insensitively ("kota band" and "bandung" both find Kota Bandung); the larger
regions come first. 91,599 regions take about 50 MB and 3 s to read and index on the shared
2-core test machine (load average 9), once per process.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from rooms.errors import Invalid, NotFound

Level = Literal["province", "regency", "district", "village"]
LEVELS: tuple[Level, ...] = ("province", "regency", "district", "village")
# The shape of each level's code: 2 digits, then 2, 2 and 4 more.
CODE = re.compile(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?")
MAX_CODE = 13  # "32.73.01.1001"
MIN_QUERY, MAX_QUERY = 2, 60
MAX_RESULTS = 50
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str

    @property
    def level(self) -> Level:
        return LEVELS[self.code.count(".")]

    @property
    def parent_code(self) -> str | None:
        return self.code.rpartition(".")[0] or None


def words(text: str) -> list[str]:
    """Lower-case words; "Soka'an" is one word, "Lubuk Pakam I,II" four."""
    return _WORD.findall(text.replace("'", "").casefold())


def check_code_shape(code: str) -> str:
    """The code itself if it is shaped like a Kemendagri code, else Invalid. Pure."""
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise Invalid("a region code looks like 32, 32.73, 32.73.01 or 32.73.01.1001", "region")
    return code


class RegionIndex:
    def __init__(self, regions: Iterable[Region]) -> None:
        self._order = list(regions)
        self._by_code = {region.code: region for region in self._order}
        if len(self._by_code) != len(self._order):
            raise ValueError("a region code appears twice")
        self._children: dict[str | None, list[Region]] = {}
        self._names = [words(region.name) for region in self._order]
        postings: list[tuple[str, int]] = []
        for number, region in enumerate(self._order):
            parent = region.code.rpartition(".")[0] or None
            if parent is not None and parent not in self._by_code:
                raise ValueError(f"region {region.code} has no parent {parent}")
            self._children.setdefault(parent, []).append(region)
            postings.extend((word, number) for word in set(self._names[number]))
        for siblings in self._children.values():
            siblings.sort(key=lambda r: (r.name.casefold(), r.code))
        postings.sort()
        self._words = [word for word, _ in postings]
        self._numbers = [number for _, number in postings]

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Region:
        """The region with this code, or NotFound (Invalid when it is not even shaped like one)."""
        region = self._by_code.get(check_code_shape(code))
        if region is None:
            raise NotFound(f"there is no region with code {code}", "region")
        return region

    def path(self, code: str) -> list[Region]:
        """The region and the ones containing it, the province first."""
        region = self.get(code)
        parts = region.code.split(".")
        return [self._by_code[".".join(parts[:n])] for n in range(1, len(parts) + 1)]

    def children(self, code: str | None) -> list[Region]:
        """The regions directly inside `code` (the provinces for None), by name."""
        if code is not None:
            self.get(code)
        return list(self._children.get(code, ()))

    def search(
        self,
        query: str,
        level: Level | None = None,
        within: str | None = None,
        limit: int = 20,
    ) -> list[Region]:
        """Regions whose name has a word starting with each word of the query, larger regions
        first, then by name; only those of `level` and inside `within` when given."""
        terms = words(query)
        if not MIN_QUERY <= len("".join(terms)) or len(query) > MAX_QUERY:
            raise Invalid(f"type {MIN_QUERY}-{MAX_QUERY} letters of the region's name", "q")
        if within is not None:
            self.get(within)
        limit = max(1, min(limit, MAX_RESULTS))
        # Start from the rarest term's postings, then check the others word by word.
        first = min(terms, key=self._posting_count)
        start = bisect.bisect_left(self._words, first)
        end = bisect.bisect_left(self._words, first + "\U0010ffff")
        found = {self._numbers[i] for i in range(start, end)}
        prefix = within + "." if within is not None else None
        matches = (
            self._order[number]
            for number in found
            if all(any(w.startswith(t) for w in self._names[number]) for t in terms)
            and (level is None or self._order[number].level == level)
            and (prefix is None or self._order[number].code.startswith(prefix))
        )
        return heapq.nsmallest(
            limit, matches, key=lambda r: (r.code.count("."), r.name.casefold(), r.code)
        )

    def _posting_count(self, term: str) -> int:
        start = bisect.bisect_left(self._words, term)
        return bisect.bisect_left(self._words, term + "\U0010ffff") - start

    def describe(self, code: str) -> dict[str, Any]:
        """A region as the API shows it: code, name, level and the names of its path."""
        path = self.path(code)
        region = path[-1]
        return {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "path": [{"code": r.code, "name": r.name, "level": r.level} for r in path],
            "label": ", ".join(r.name for r in reversed(path)),
        }
