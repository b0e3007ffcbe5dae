"""Members' accounts and what is kept about them beside the row in `users`: the codes
and requests of "forgot password", their browsers' push subscriptions, and the audit logs of
what administrators and organisers did to accounts.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table

from rooms.community.schema.base import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), unique=True),
    Column("phone", String(16), unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("organisation", String(120), nullable=False, server_default=""),
    Column("province", String(80), nullable=False, server_default=""),
    Column("city", String(80), nullable=False, server_default=""),
    Column("rt_rw", String(20), nullable=False, server_default=""),
    # Kemendagri code of the member's region (rooms/community/regions), "" for none; province
    # and city above then hold its names.
    Column("region_code", String(13), nullable=False, server_default=""),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    # Sessions issued before this (ms since the epoch) no longer count: password changes and
    # "sign out everywhere" set it.
    Column("sessions_valid_after", BigInteger, nullable=False, server_default="0"),
    # Calendar links carry the generation they were made in; making a new link (rooms/
    # calendar_links.py) counts up, and links of older generations stop opening the feed.
    Column("calendar_generation", Integer, nullable=False, server_default="0"),
    # When the account was deleted (rooms/community/erasure.py), NULL while it exists. The row
    # stays, emptied of everything personal, so the messages it wrote keep an author ("deleted
    # member"); nothing can sign in as it or find it.
    Column("erased_at", BigInteger),
    Index(None, "region_code"),
)

# What administrators did to other members' accounts (deleting one, for now): who, what, whom,
# when. The target is the emptied account row (users.erased_at), so no name is kept here.
admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("admin_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(40), nullable=False),
    Column("target_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)

# Web Push (RFC 8030) subscriptions of members' browsers (rooms/community/push_subscriptions.py):
# the push service's endpoint and the browser's keys the payload is encrypted to (RFC 8291).
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("endpoint", String(1000), nullable=False, unique=True),
    Column("p256dh", String(100), nullable=False),
    Column("auth", String(40), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index(None, "user_id"),
)

# "Forgot password" without e-mail (rooms/community/password_reset.py): an administrator or a
# room organiser makes a one-time code for a member and passes it on in person or by phone.
# Only the code's SHA-256 is kept; one live code per member (a new one replaces it).
password_reset_codes = Table(
    "password_reset_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("issued_by", ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("used_at", BigInteger),
    Index(None, "user_id"),
)

# "Please reset my password", sent by username or phone from the sign-in page: shown to those
# who may make the member a code (newest per member; gone when a code is made, or after a week).
password_reset_requests = Table(
    "password_reset_requests",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("requested_at", BigInteger, nullable=False, index=True),
)

# Who made a reset code for whom, and when it was used ("issued" / "used"): kept after the
# code itself is gone, like insight_audit.
password_reset_audit = Table(
    "password_reset_audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("actor_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("target_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(10), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index(None, "at"),
)
