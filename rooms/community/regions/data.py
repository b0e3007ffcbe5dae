"""The shipped region data: four CSV files copied unchanged from the npm package
idn-area-data (data/SOURCE.json pins its version, its integrity and each file's SHA-256;
the data's licence, ODbL 1.0, is data/LICENSE.md). `kamar regions update` refreshes them
(rooms/community/regions/update.py); nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rooms.community.regions.index import Region, RegionIndex

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")


def read_source(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    source: dict[str, Any] = json.loads((data_dir / "SOURCE.json").read_text(encoding="utf-8"))
    return source


def file_digests(data_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest() for name in FILES}


def read_regions(data_dir: Path = DATA_DIR) -> Iterator[Region]:
    """Every region, larger ones first (each file's first column is the code, its last the
    name, whatever columns sit between)."""
    for name in FILES:
        with (data_dir / name).open(encoding="utf-8", newline="") as stream:
            rows = csv.reader(stream)
            header = next(rows)
            if header[0] != "code" or header[-1] != "name":
                raise ValueError(f"{name}: expected code,...,name columns, got {header}")
            for row in rows:
                yield Region(code=row[0], name=row[-1].strip())


@functools.cache
def regions() -> RegionIndex:
    """The index of the shipped data, built on first use and kept for the process."""
    return RegionIndex(read_regions())


async def loaded_regions() -> RegionIndex:
    """`regions()` from a coroutine: the first call builds the index in a worker thread."""
    return await asyncio.to_thread(regions)
