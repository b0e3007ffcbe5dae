"""Member insight's own tables (rooms/insight/): who may see it and what it showed to whom. What
it counts is in the activity roll-up (activity.py).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from rooms.community.schema.base import metadata

# Member insight (rooms/insight/): who besides administrators may see it, and every view of
# personal data it answered (UU 27/2022: accountability for processing).
insight_grants = Table(
    "insight_grants",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("granted_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("granted_at", BigInteger, nullable=False),
)

insight_audit = Table(
    "insight_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("viewer_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("view", String(40), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)
