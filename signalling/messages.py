"""Client message types of signalling protocol v1 (docs/protocol.md) and their parser
(signalling/events.py has the server side).

Pure: text in, typed message out, or ProtocolError saying exactly what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rooms.meeting.typed_once import MAX_CLIENT_ID
from rooms.text import unsendable
from signalling.errors import ProtocolError

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 512 * 1024
MEDIA_KINDS = ("audio", "video")
VIDEO_SOURCES = ("camera", "screen")  # sfu.owner.SOURCES: a camera, or a shared screen
MAX_TILE_PIXELS = 16384  # a tile side larger than any screen is a bug, not a request


@dataclass(frozen=True)
class Hello:
    v: int
    token: str
    room: str | None = None
    # An HLS viewer (docs/egress.md): in the meeting for its questions and comments only, no
    # media, not counted against max_participants.
    watch: bool = False


@dataclass(frozen=True)
class PublishOffer:
    sdp: str
    source: str = "camera"


@dataclass(frozen=True)
class Unpublish:
    source: str


@dataclass(frozen=True)
class SubscribeAnswer:
    sdp: str
    revision: int


@dataclass(frozen=True)
class Mute:
    kind: str
    muted: bool


@dataclass(frozen=True)
class DataSaver:
    on: bool


@dataclass(frozen=True)
class PauseVideo:
    participant_id: str
    paused: bool
    source: str = "camera"


@dataclass(frozen=True)
class VideoSize:
    participant_id: str
    width: int
    height: int
    source: str = "camera"


@dataclass(frozen=True)
class Leave:
    pass


@dataclass(frozen=True)
class Ping:
    id: Any = None


@dataclass(frozen=True)
class Auth:
    """Follow the community events of the rooms a session token's account is in."""

    token: str


@dataclass(frozen=True)
class Typing:
    room_id: int


@dataclass(frozen=True)
class Read:
    room_id: int
    message_id: int


# -- town-hall stage (docs/protocol.md, "Stage") ---------------------------------------------


@dataclass(frozen=True)
class RaiseHand:
    raised: bool


@dataclass(frozen=True)
class SetRole:
    participant_id: str
    role: str


@dataclass(frozen=True)
class MuteParticipant:
    participant_id: str
    kind: str


@dataclass(frozen=True)
class MuteAll:
    kind: str = "audio"


@dataclass(frozen=True)
class RemoveParticipant:
    participant_id: str
    ban: bool = False


@dataclass(frozen=True)
class LockMeeting:
    locked: bool


@dataclass(frozen=True)
class SetLobby:
    enabled: bool


@dataclass(frozen=True)
class Admit:
    participant_id: str
    allow: bool = True


@dataclass(frozen=True)
class EndMeeting:
    pass


@dataclass(frozen=True)
class Ask:
    text: str
    client_id: str | None = None  # the client's name for it, to take it once (typed_once.py)


@dataclass(frozen=True)
class Vote:
    question_id: int
    up: bool = True


@dataclass(frozen=True)
class AnswerQuestion:
    question_id: int
    answered: bool = True


@dataclass(frozen=True)
class HideQuestion:
    question_id: int
    hidden: bool = True


@dataclass(frozen=True)
class Comment:
    text: str
    client_id: str | None = None


@dataclass(frozen=True)
class React:
    emoji: str


@dataclass(frozen=True)
class EgressStart:
    """Go live to `rtmp` ([{"url", "key"}], rooms/meeting/egress/destinations.py) and/or record."""

    rtmp: Any = None
    record: bool = False
    hls: bool = False


@dataclass(frozen=True)
class EgressStop:
    pass


StageMessage = (
    RaiseHand
    | SetRole
    | MuteParticipant
    | MuteAll
    | RemoveParticipant
    | LockMeeting
    | SetLobby
    | Admit
    | EndMeeting
    | Ask
    | Vote
    | AnswerQuestion
    | HideQuestion
    | Comment
    | React
    | EgressStart
    | EgressStop
)
ClientMessage = (
    Hello
    | PublishOffer
    | SubscribeAnswer
    | Mute
    | PauseVideo
    | VideoSize
    | DataSaver
    | Unpublish
    | Leave
    | Ping
    | Auth
    | Typing
    | Read
    | StageMessage
)

# type name -> (message class, {field: (python type, required)})
_SCHEMAS: dict[str, tuple[type, dict[str, tuple[type | None, bool]]]] = {
    "hello": (
        Hello,
        {"v": (int, True), "token": (str, True), "room": (str, False), "watch": (bool, False)},
    ),
    "publish_offer": (PublishOffer, {"sdp": (str, True), "source": (str, False)}),
    "unpublish": (Unpublish, {"source": (str, True)}),
    "subscribe_answer": (SubscribeAnswer, {"sdp": (str, True), "revision": (int, True)}),
    "mute": (Mute, {"kind": (str, True), "muted": (bool, True)}),
    "pause_video": (
        PauseVideo,
        {"participant_id": (str, True), "paused": (bool, True), "source": (str, False)},
    ),
    "video_size": (
        VideoSize,
        {
            "participant_id": (str, True),
            "width": (int, True),
            "height": (int, True),
            "source": (str, False),
        },
    ),
    "data_saver": (DataSaver, {"on": (bool, True)}),
    "leave": (Leave, {}),
    "ping": (Ping, {"id": (None, False)}),
    "auth": (Auth, {"token": (str, True)}),
    "typing": (Typing, {"room_id": (int, True)}),
    "read": (Read, {"room_id": (int, True), "message_id": (int, True)}),
    "raise_hand": (RaiseHand, {"raised": (bool, True)}),
    "set_role": (SetRole, {"participant_id": (str, True), "role": (str, True)}),
    "mute_participant": (MuteParticipant, {"participant_id": (str, True), "kind": (str, True)}),
    "mute_all": (MuteAll, {"kind": (str, False)}),
    "remove_participant": (
        RemoveParticipant,
        {"participant_id": (str, True), "ban": (bool, False)},
    ),
    "lock_meeting": (LockMeeting, {"locked": (bool, True)}),
    "set_lobby": (SetLobby, {"enabled": (bool, True)}),
    "admit": (Admit, {"participant_id": (str, True), "allow": (bool, False)}),
    "end_meeting": (EndMeeting, {}),
    "ask": (Ask, {"text": (str, True), "client_id": (str, False)}),
    "vote": (Vote, {"question_id": (int, True), "up": (bool, False)}),
    "answer_question": (AnswerQuestion, {"question_id": (int, True), "answered": (bool, False)}),
    "hide_question": (HideQuestion, {"question_id": (int, True), "hidden": (bool, False)}),
    "comment": (Comment, {"text": (str, True), "client_id": (str, False)}),
    "react": (React, {"emoji": (str, True)}),
    "egress_start": (
        EgressStart,
        {"rtmp": (list, False), "record": (bool, False), "hls": (bool, False)},
    ),
    "egress_stop": (EgressStop, {}),
}
_TYPE_NAMES = {int: "an integer", str: "a string", bool: "true or false", list: "a list"}
_NAME_OF_CLASS = {cls: name for name, (cls, _fields) in _SCHEMAS.items()}
# Every client message type and its field names (tests and tools build frames from it).
MESSAGE_FIELDS = {name: tuple(fields) for name, (_cls, fields) in _SCHEMAS.items()}


def type_name(message: ClientMessage) -> str:
    """The wire `type` of a parsed message."""
    return _NAME_OF_CLASS[type(message)]


def parse_client_message(text: str) -> ClientMessage:
    try:
        data = json.loads(text)
    # ValueError also covers integers longer than Python's int_max_str_digits (4300).
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", f"the message is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ProtocolError("bad_json", "a message must be a JSON object")
    _refuse_unsendable_text(data)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("bad_message", "the field 'type' is missing or not a string")
    schema = _SCHEMAS.get(kind)
    if schema is None:
        raise ProtocolError("unknown_type", f"unknown message type {kind!r}", in_reply_to=kind)
    cls, fields = schema
    values: dict[str, Any] = {}
    for name, (expected, required) in fields.items():
        if name not in data or (data[name] is None and not required):
            if required:
                raise ProtocolError(
                    "bad_message", f"{kind}: the field {name!r} is missing", in_reply_to=kind
                )
            continue
        value = data[name]
        if expected is not None and not _is_type(value, expected):
            raise ProtocolError(
                "bad_message",
                f"{kind}: the field {name!r} must be {_TYPE_NAMES[expected]}",
                in_reply_to=kind,
            )
        values[name] = value
    _check_values(kind, values)
    message: ClientMessage = cls(**values)
    return message


def _check_values(kind: str, values: dict[str, Any]) -> None:
    """The fields' values beyond their types: media kinds, sources, roles, tile sizes, ids."""
    if (
        kind in ("mute", "mute_participant", "mute_all")
        and values.get("kind", "audio") not in MEDIA_KINDS
    ):
        raise ProtocolError(
            "bad_message", f"{kind}: the field 'kind' must be 'audio' or 'video'", in_reply_to=kind
        )
    sources = ("screen",) if kind == "unpublish" else VIDEO_SOURCES
    if "source" in values and values["source"] not in sources:
        raise ProtocolError(
            "bad_message",
            f"{kind}: the field 'source' must be {' or '.join(repr(s) for s in sources)}",
            in_reply_to=kind,
        )
    if kind == "set_role" and values["role"] not in ("speaker", "audience"):
        raise ProtocolError(
            "bad_message", "set_role: the field 'role' must be 'speaker' or 'audience'", kind
        )
    if "client_id" in values and not 0 < len(values["client_id"]) <= MAX_CLIENT_ID:
        raise ProtocolError(
            "bad_message",
            f"{kind}: the field 'client_id' must be 1-{MAX_CLIENT_ID} characters",
            in_reply_to=kind,
        )
    if kind == "video_size":
        for name in ("width", "height"):
            if not 0 <= values[name] <= MAX_TILE_PIXELS:
                raise ProtocolError(
                    "bad_message",
                    f"video_size: the field {name!r} must be between 0 and {MAX_TILE_PIXELS}",
                    in_reply_to=kind,
                )


def _refuse_unsendable_text(data: dict[str, Any]) -> None:
    """Every string of the frame, keys and nested values included, before anything reads it:
    one bad character anywhere is refused here, so it can reach no event, snapshot or log."""
    pending: list[Any] = [data]
    while pending:  # a stack, not recursion: JSON may nest as deep as its parser allows
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and unsendable(value):
            raise ProtocolError(
                "bad_message",
                "the message holds a lone UTF-16 surrogate or a control character",
            )


def _is_type(value: Any, expected: type) -> bool:
    # bool is a subclass of int in Python; JSON true is not an integer.
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)
