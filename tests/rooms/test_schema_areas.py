"""The schema is split by area (rooms/community/schema/), yet `metadata` must hold every table
whichever area a caller imports first: the migrations compare against it and account erasure
finds every foreign key to `users` in it. The package imports each area module for that."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Table

from rooms.community import schema

SCHEMA_DIR = Path(schema.__file__).parent


def test_the_package_imports_every_area_module() -> None:
    on_disk = {path.stem for path in SCHEMA_DIR.glob("*.py")} - {"__init__", "base"}
    assert on_disk == set(schema.__all__) - {"metadata"}


def test_every_table_of_the_metadata_is_declared_by_exactly_one_area() -> None:
    declared = [
        value.name
        for area in set(schema.__all__) - {"metadata"}
        for value in vars(getattr(schema, area)).values()
        if isinstance(value, Table)
    ]
    assert sorted(declared) == sorted(schema.metadata.tables)
