"""Who may do what in a room (kamar): pure rules over roles, table-tested.

Roles rank owner > moderator > member; `None` is someone who is not a member. Public rooms let
anyone signed in look at the room card and join; everything else needs membership.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "moderator", "member"]
ROLES: tuple[Role, ...] = ("owner", "moderator", "member")
RANK = {"member": 0, "moderator": 1, "owner": 2}

# action -> the lowest role allowed to do it
_LOWEST_ROLE: dict[str, Role] = {
    "read": "member",  # history, members, agenda, attachments, calendar
    "post": "member",  # messages, attachments, read receipts, typing
    "rsvp": "member",
    "join_meeting": "member",
    "invite": "moderator",
    "edit_room": "moderator",  # name, description, visibility
    "schedule_event": "moderator",
    "delete_any_message": "moderator",
    "set_role": "owner",
}
ACTIONS = tuple(_LOWEST_ROLE)


def may(role: str | None, action: str) -> bool:
    """Whether a member with `role` (None: not a member) may do `action` in the room."""
    if action not in _LOWEST_ROLE:
        raise ValueError(f"unknown action {action!r}")
    if role is None:
        return False
    return RANK[role] >= RANK[_LOWEST_ROLE[action]]


def may_remove(actor_role: str | None, target_role: str, is_self: bool) -> bool:
    """Leaving is always allowed (the last-owner rule is checked by the directory); removing
    someone else needs a strictly higher role: moderators remove members, owners moderators."""
    if is_self:
        return actor_role is not None
    if actor_role is None or RANK[actor_role] < RANK["moderator"]:
        return False
    return RANK[actor_role] > RANK[target_role]


def may_set_role(actor_role: str | None, target_role: str, new_role: str) -> bool:
    """Owners move members and moderators between member, moderator and owner (so an owner
    can hand the room on before leaving); an owner is never demoted by someone else."""
    return actor_role == "owner" and target_role != "owner" and new_role in ROLES
