"""Client message parsing: text in, typed message out, or a ProtocolError saying what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signalling.errors import CLOSING_CODES, ProtocolError, error_event
from signalling.messages import (
    Hello,
    Leave,
    Mute,
    Ping,
    PublishOffer,
    SubscribeAnswer,
    VideoSize,
    parse_client_message,
    type_name,
)


def parse(message: dict[str, Any]) -> object:
    return parse_client_message(json.dumps(message))


def protocol_error(text: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(text)
    return caught.value


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "hello", "v": 1, "token": "t"}, Hello(v=1, token="t")),
        ({"type": "hello", "v": 1, "token": "t", "room": "r"}, Hello(1, "t", "r")),
        ({"type": "hello", "v": 2, "token": "t", "room": None}, Hello(2, "t", None)),
        ({"type": "publish_offer", "sdp": "v=0\r\n"}, PublishOffer("v=0\r\n")),
        ({"type": "subscribe_answer", "sdp": "v=0", "revision": 3}, SubscribeAnswer("v=0", 3)),
        ({"type": "mute", "kind": "audio", "muted": True}, Mute("audio", True)),
        ({"type": "mute", "kind": "video", "muted": False}, Mute("video", False)),
        (
            {"type": "video_size", "participant_id": "p1", "width": 320, "height": 180},
            VideoSize("p1", 320, 180),
        ),
        (
            {"type": "video_size", "participant_id": "p1", "width": 0, "height": 0},
            VideoSize("p1", 0, 0),
        ),
        ({"type": "leave"}, Leave()),
        ({"type": "ping"}, Ping()),
        ({"type": "ping", "id": 7}, Ping(7)),
        ({"type": "ping", "id": {"any": ["json"]}}, Ping({"any": ["json"]})),
    ],
)
def test_every_client_message_type_parses_to_its_dataclass(
    message: dict[str, Any], expected: object
) -> None:
    parsed = parse(message)
    assert type(parsed) is type(expected) and parsed == expected


def test_unknown_fields_are_ignored() -> None:
    assert parse({"type": "leave", "reason": "bye", "extra": [1, 2]}) == Leave()


@pytest.mark.parametrize("text", ["", "{", "hello", "{'type': 'ping'}", '{"type": "ping",}'])
def test_text_that_is_not_json_is_bad_json(text: str) -> None:
    error = protocol_error(text)
    assert error.code == "bad_json" and "not valid JSON" in error.message
    assert error.in_reply_to is None


@pytest.mark.parametrize("text", ["[]", '"ping"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_bad_json(text: str) -> None:
    error = protocol_error(text)
    assert (error.code, error.message) == ("bad_json", "a message must be a JSON object")


def test_deeply_nested_json_is_bad_json_not_a_crash() -> None:
    assert protocol_error("[" * 100_000).code == "bad_json"


@pytest.mark.parametrize("text", ["{}", '{"type": null}', '{"type": 1}', '{"type": ["ping"]}'])
def test_a_missing_or_non_string_type_is_a_bad_message(text: str) -> None:
    error = protocol_error(text)
    assert error.code == "bad_message" and "'type'" in error.message


def test_an_unknown_type_is_named_in_the_error() -> None:
    error = protocol_error('{"type": "dance"}')
    assert error.code == "unknown_type"
    assert error.message == "unknown message type 'dance'"
    assert error.in_reply_to == "dance"


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "hello", "token": "t"}, "v"),
        ({"type": "hello", "v": 1}, "token"),
        ({"type": "publish_offer"}, "sdp"),
        ({"type": "subscribe_answer", "sdp": "v=0"}, "revision"),
        ({"type": "mute", "muted": True}, "kind"),
        ({"type": "mute", "kind": "audio"}, "muted"),
    ],
)
def test_a_missing_required_field_is_named(message: dict[str, Any], field: str) -> None:
    error = protocol_error(json.dumps(message))
    assert error.code == "bad_message"
    assert error.message == f"{message['type']}: the field {field!r} is missing"
    assert error.in_reply_to == message["type"]


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"type": "hello", "v": "1", "token": "t"}, "'v' must be an integer"),
        ({"type": "hello", "v": True, "token": "t"}, "'v' must be an integer"),
        ({"type": "hello", "v": 1.0, "token": "t"}, "'v' must be an integer"),
        ({"type": "hello", "v": 1, "token": 5}, "'token' must be a string"),
        ({"type": "hello", "v": 1, "token": None}, "'token' must be a string"),
        ({"type": "hello", "v": 1, "token": "t", "room": 5}, "'room' must be a string"),
        ({"type": "publish_offer", "sdp": {"sdp": "v=0"}}, "'sdp' must be a string"),
        ({"type": "subscribe_answer", "sdp": "v=0", "revision": False}, "must be an integer"),
        ({"type": "mute", "kind": "audio", "muted": 1}, "'muted' must be true or false"),
        ({"type": "mute", "kind": "audio", "muted": "true"}, "'muted' must be true or false"),
        ({"type": "mute", "kind": ["audio"], "muted": True}, "'kind' must be a string"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_the_type_wanted(
    message: dict[str, Any], says: str
) -> None:
    error = protocol_error(json.dumps(message))
    assert error.code == "bad_message" and error.in_reply_to == message["type"]
    assert error.message.startswith(f"{message['type']}: the field ")
    assert says in error.message


@pytest.mark.parametrize("kind", ["screen", "Audio", ""])
def test_mute_accepts_only_audio_or_video(kind: str) -> None:
    error = protocol_error(json.dumps({"type": "mute", "kind": kind, "muted": True}))
    assert error.code == "bad_message"
    assert error.message == "mute: the field 'kind' must be 'audio' or 'video'"


def test_none_of_the_parse_errors_closes_the_socket() -> None:
    for text in ("{", "[]", "{}", '{"type": "x"}', '{"type": "hello"}'):
        assert protocol_error(text).closes is False


def test_an_absurdly_long_number_is_bad_json() -> None:
    assert protocol_error('{"type": "ping", "id": ' + "9" * 5000 + "}").code == "bad_json"


@pytest.mark.parametrize(
    "code",
    ["too_large", "version_unsupported", "unauthorized", "token_expired", "wrong_room"],
)
def test_closing_codes_close_the_socket(code: str) -> None:
    assert code in CLOSING_CODES and ProtocolError(code, "m").closes is True


@pytest.mark.parametrize(
    "code", ["bad_json", "bad_message", "unknown_type", "forbidden", "bad_sdp"]
)
def test_other_codes_keep_the_socket_open(code: str) -> None:
    assert ProtocolError(code, "m").closes is False


def test_a_protocol_error_becomes_an_error_event_with_its_code_and_message() -> None:
    event = error_event(ProtocolError("bad_message", "mute: the field 'kind' is missing"))
    assert event == {
        "type": "error",
        "code": "bad_message",
        "message": "mute: the field 'kind' is missing",
    }


def test_the_errors_own_in_reply_to_wins_over_the_callers() -> None:
    own = error_event(ProtocolError("unknown_type", "m", in_reply_to="dance"), "hello")
    assert own["in_reply_to"] == "dance"
    fallback = error_event(ProtocolError("bad_sdp", "m"), "publish_offer")
    assert fallback["in_reply_to"] == "publish_offer"


def test_an_unexpected_exception_reveals_nothing_about_internals() -> None:
    event = error_event(KeyError("secret internal state"), "mute")
    assert event["code"] == "internal" and event["in_reply_to"] == "mute"
    assert "secret" not in event["message"] and "KeyError" not in event["message"]
    assert "in_reply_to" not in error_event(RuntimeError("x"))


def test_every_parse_error_maps_to_a_wire_error_naming_the_message_type() -> None:
    error = protocol_error('{"type": "subscribe_answer", "sdp": "v=0", "revision": "3"}')
    event = error_event(error)
    assert event["code"] == "bad_message" and event["in_reply_to"] == "subscribe_answer"
    assert "'revision' must be an integer" in event["message"]


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "hello", "v": 1, "token": "t"}',
        '{"type": "publish_offer", "sdp": "v=0"}',
        '{"type": "subscribe_answer", "sdp": "v=0", "revision": 1}',
        '{"type": "mute", "kind": "audio", "muted": true}',
        '{"type": "pause_video", "participant_id": "p1", "paused": true}',
        '{"type": "video_size", "participant_id": "p1", "width": 1, "height": 2}',
        '{"type": "leave"}',
        '{"type": "ping"}',
    ],
)
def test_a_parsed_message_names_its_own_wire_type(text: str) -> None:
    assert type_name(parse_client_message(text)) == json.loads(text)["type"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"width": -1, "height": 180}, "'width' must be between 0 and 16384"),
        ({"width": 320, "height": 16385}, "'height' must be between 0 and 16384"),
        ({"width": 320.5, "height": 180}, "'width' must be an integer"),
        ({"width": True, "height": 180}, "'width' must be an integer"),
        ({"height": 180}, "'width' is missing"),
    ],
)
def test_a_video_size_outside_any_screen_is_refused(fields: dict[str, Any], problem: str) -> None:
    error = protocol_error(json.dumps({"type": "video_size", "participant_id": "p1", **fields}))
    assert error.code == "bad_message" and problem in str(error)
