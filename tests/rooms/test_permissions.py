"""Who may do what in a room: every role against every action, removal and role changes."""

from __future__ import annotations

import pytest

from rooms.community.permissions import ACTIONS, ROLES, may, may_remove, may_set_role

# action -> the roles (None: not a member) that may do it
ALLOWED: dict[str, set[str | None]] = {
    "read": {"owner", "moderator", "member"},
    "post": {"owner", "moderator", "member"},
    "rsvp": {"owner", "moderator", "member"},
    "join_meeting": {"owner", "moderator", "member"},
    "invite": {"owner", "moderator"},
    "edit_room": {"owner", "moderator"},
    "schedule_event": {"owner", "moderator"},
    "delete_any_message": {"owner", "moderator"},
    "set_role": {"owner"},
}
EVERYONE: tuple[str | None, ...] = (*ROLES, None)


def test_the_table_covers_every_action_the_rules_know() -> None:
    assert set(ALLOWED) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("role", EVERYONE)
def test_a_role_may_do_exactly_the_actions_of_its_rank(role: str | None, action: str) -> None:
    assert may(role, action) is (role in ALLOWED[action])


@pytest.mark.parametrize("role", EVERYONE)
def test_an_unknown_action_is_a_programming_error(role: str | None) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        may(role, "launch_rockets")


# (actor, target, is_self) -> allowed
REMOVALS: list[tuple[str | None, str, bool, bool]] = [
    # leaving is always allowed to a member of any role
    ("owner", "owner", True, True),
    ("moderator", "moderator", True, True),
    ("member", "member", True, True),
    (None, "member", True, False),
    # removing someone else needs a strictly higher role, and at least moderator
    ("owner", "owner", False, False),
    ("owner", "moderator", False, True),
    ("owner", "member", False, True),
    ("moderator", "owner", False, False),
    ("moderator", "moderator", False, False),
    ("moderator", "member", False, True),
    ("member", "owner", False, False),
    ("member", "moderator", False, False),
    ("member", "member", False, False),
    (None, "owner", False, False),
    (None, "moderator", False, False),
    (None, "member", False, False),
]


@pytest.mark.parametrize(("actor", "target", "is_self", "allowed"), REMOVALS)
def test_removal_needs_a_higher_role_unless_one_leaves(
    actor: str | None, target: str, is_self: bool, allowed: bool
) -> None:
    assert may_remove(actor, target, is_self) is allowed


def test_the_removal_table_covers_every_pair_of_roles() -> None:
    others = {(a, t) for a, t, is_self, _ in REMOVALS if not is_self}
    assert others == {(a, t) for a in EVERYONE for t in ROLES}


NEW_ROLES = ("owner", "moderator", "member", "admin")


@pytest.mark.parametrize("new_role", NEW_ROLES)
@pytest.mark.parametrize("target", ROLES)
@pytest.mark.parametrize("actor", EVERYONE)
def test_only_an_owner_moves_non_owners_between_member_and_moderator(
    actor: str | None, target: str, new_role: str
) -> None:
    expected = (
        actor == "owner" and target != "owner" and new_role in ("owner", "moderator", "member")
    )
    assert may_set_role(actor, target, new_role) is expected


@pytest.mark.parametrize(
    ("actor", "target", "new_role", "allowed"),
    [
        ("owner", "member", "moderator", True),
        ("owner", "moderator", "member", True),
        ("owner", "member", "owner", True),  # handing the room on
        ("owner", "owner", "member", False),  # owners are never demoted by anyone
        ("moderator", "member", "moderator", False),
        ("member", "member", "moderator", False),
        (None, "member", "moderator", False),
    ],
)
def test_role_changes_by_example(
    actor: str | None, target: str, new_role: str, allowed: bool
) -> None:
    assert may_set_role(actor, target, new_role) is allowed
