"""Settings precedence (defaults < DATA/kamar.toml < KAMAR_* < flags), validation, the secret."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from server.config import Config, ConfigError, load, load_secret, validate


def write_toml(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kamar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_in(data_dir: Path, env: dict[str, str] | None = None, **flags: Any) -> Config:
    return load({"data_dir": data_dir, **flags}, environ=env or {})


def test_defaults_apply_when_nothing_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load({}, environ={})
    assert config == Config()
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 8080, Path("kamar-data"))
    assert config.base_url == "http://127.0.0.1:8080"


def test_the_config_file_in_the_data_dir_overrides_defaults(tmp_path: Path) -> None:
    write_toml(tmp_path, 'port = 9000\nice_servers = ["stun:stun.example.org:3478"]\n')
    config = load_in(tmp_path)
    assert config.port == 9000 and config.ice_servers == ("stun:stun.example.org:3478",)
    assert config.host == "127.0.0.1"


def test_environment_overrides_the_file_and_flags_override_the_environment(
    tmp_path: Path,
) -> None:
    write_toml(tmp_path, 'host = "10.0.0.1"\nport = 9000\nlog_level = "warning"\n')
    env = {"KAMAR_PORT": "9100", "KAMAR_HOST": "10.0.0.2"}
    config = load_in(tmp_path, env, host="10.0.0.3")
    assert (config.host, config.port, config.log_level) == ("10.0.0.3", 9100, "warning")


def test_flags_that_were_not_given_do_not_hide_other_sources(tmp_path: Path) -> None:
    write_toml(tmp_path, 'announce = ["203.0.113.9"]\n')
    env = {"KAMAR_ICE_HOSTS": "10.0.0.5"}
    config = load_in(tmp_path, env, port=None, announce=[], ice_hosts=(), dev_tokens=None)
    assert config.announce == ("203.0.113.9",) and config.ice_hosts == ("10.0.0.5",)
    assert config.port == 8080 and config.dev_tokens is False


def test_the_environment_can_name_the_data_dir_that_holds_the_file(tmp_path: Path) -> None:
    write_toml(tmp_path / "data", "port = 7000\n")
    config = load({}, environ={"KAMAR_DATA_DIR": str(tmp_path / "data")})
    assert config.port == 7000 and config.data_dir == tmp_path / "data"


def test_an_explicit_config_file_replaces_the_one_in_the_data_dir(tmp_path: Path) -> None:
    write_toml(tmp_path / "data", "port = 7000\n")
    other = write_toml(tmp_path / "elsewhere", "port = 7100\n")
    config = load({"data_dir": tmp_path / "data"}, environ={}, config_file=other)
    assert config.port == 7100


def test_an_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load({}, environ={}, config_file=tmp_path / "missing.toml")


def test_unknown_settings_in_the_file_are_named(tmp_path: Path) -> None:
    write_toml(tmp_path, "prot = 1\nextra = 2\nport = 9000\n")
    with pytest.raises(ConfigError, match="unknown settings extra, prot"):
        load_in(tmp_path)


def test_a_file_that_is_not_toml_is_reported_with_its_path(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "port = = 9\n")
    with pytest.raises(ConfigError, match=f"cannot read {path}"):
        load_in(tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("False", False), ("no", False)],
)
def test_boolean_environment_values(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_in(tmp_path, {"KAMAR_DEV_TOKENS": raw}).dev_tokens is expected


def test_a_bad_boolean_in_the_environment_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KAMAR_DEV_TOKENS must be true or false"):
        load_in(tmp_path, {"KAMAR_DEV_TOKENS": "maybe"})


def test_list_settings_split_on_commas_in_the_environment(tmp_path: Path) -> None:
    env = {"KAMAR_ICE_SERVERS": " stun:a.example:3478 , stun:b.example ,,", "KAMAR_HOST": ""}
    config = load_in(tmp_path, env)
    assert config.ice_servers == ("stun:a.example:3478", "stun:b.example")
    assert config.host == "127.0.0.1"  # an empty variable counts as unset


def test_a_single_string_in_the_file_is_a_one_item_list(tmp_path: Path) -> None:
    write_toml(tmp_path, 'ice_hosts = "192.0.2.1"\n')
    assert load_in(tmp_path).ice_hosts == ("192.0.2.1",)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"env": {"KAMAR_PORT": "http"}}, "setting 'port' has an invalid value 'http'"),
        ({"env": {"KAMAR_PORT": "0"}}, "port must be 1-65535, not 0"),
        ({"toml": "port = 65536\n"}, "port must be 1-65535, not 65536"),
        ({"toml": 'dev_tokens = "yes"\n'}, "setting 'dev_tokens' has an invalid value 'yes'"),
        ({"env": {"KAMAR_ICE_HOSTS": "10.0.0.1,eth0"}}, "ice_host: 'eth0' is not an IP address"),
        ({"env": {"KAMAR_ANNOUNCE": "10.0.0.1=public"}}, "announce: 'public' is not an IP"),
        ({"env": {"KAMAR_ANNOUNCE": "host=1.2.3.4"}}, "announce: 'host' is not an IP"),
        ({"env": {"KAMAR_ICE_SERVERS": "stun.example.org"}}, "must start with stun:"),
        # A TURN URL without credentials would make browsers refuse the whole connection.
        ({"env": {"KAMAR_ICE_SERVERS": "turn:t.example"}}, "give it as a turn_url"),
        ({"env": {"KAMAR_LOG_LEVEL": "verbose"}}, "log_level must be debug, info"),
        (
            {"toml": "recording_retention_days = 99999\n"},
            "recording_retention_days must be 0 \\(keep\\) to 36500, not 99999",
        ),
    ],
)
def test_bad_values_give_errors_that_name_the_setting(
    tmp_path: Path, source: dict[str, Any], message: str
) -> None:
    if "toml" in source:
        write_toml(tmp_path, source["toml"])
    with pytest.raises(ConfigError, match=message):
        load_in(tmp_path, source.get("env"))


@pytest.mark.parametrize("value", ["true", "8080.5"])
def test_a_port_that_is_not_an_integer_in_the_file_is_refused(tmp_path: Path, value: str) -> None:
    write_toml(tmp_path, f"port = {value}\n")
    with pytest.raises(ConfigError, match="port"):
        load_in(tmp_path)


def test_announce_maps_local_addresses_and_a_default(tmp_path: Path) -> None:
    env = {"KAMAR_ANNOUNCE": "203.0.113.1, 10.0.0.5=203.0.113.2, fd00::0:5=2001:db8::0:5"}
    config = load_in(tmp_path, env)
    assert config.announce_map() == {
        "*": "203.0.113.1",
        "10.0.0.5": "203.0.113.2",
        "fd00::5": "2001:db8::5",
    }


def test_tls_cert_and_key_go_together_and_must_exist(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert", encoding="utf-8")
    with pytest.raises(ConfigError, match="go together"):
        load_in(tmp_path, tls_cert=cert)
    with pytest.raises(ConfigError, match=f"TLS file {key} does not exist"):
        load_in(tmp_path, tls_cert=cert, tls_key=key)
    key.write_text("key", encoding="utf-8")
    config = load_in(tmp_path, {"KAMAR_TLS_CERT": str(cert), "KAMAR_TLS_KEY": str(key)})
    assert config.tls_cert == cert and config.scheme == "https"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080"),
        ("::", "http://127.0.0.1:8080"),
        ("::1", "http://[::1]:8080"),
        ("192.0.2.7", "http://192.0.2.7:8080"),
    ],
)
def test_base_url_shows_an_address_a_browser_can_open(host: str, url: str) -> None:
    assert Config(host=host).base_url == url


def test_validate_returns_a_good_config_unchanged() -> None:
    config = Config(ice_hosts=("127.0.0.1",), announce=("10.0.0.1=203.0.113.1",))
    assert validate(config) is config


def test_the_secret_is_created_readable_by_the_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    secret = load_secret(data_dir)
    path = data_dir / "secret.key"
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == secret + "\n"


def test_the_secret_is_reused_on_later_starts(tmp_path: Path) -> None:
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first
    assert load_secret(tmp_path) != load_secret(tmp_path / "other")


def test_a_short_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("short\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="shorter than 32 characters"):
        load_secret(tmp_path)


def test_the_video_cap_comes_from_file_environment_or_flag(tmp_path: Path) -> None:
    assert load_in(tmp_path).max_video_kbps == 1000
    write_toml(tmp_path, "max_video_kbps = 600\n")
    assert load_in(tmp_path).max_video_kbps == 600
    assert load_in(tmp_path, {"KAMAR_MAX_VIDEO_KBPS": "800"}).max_video_kbps == 800
    assert (
        load_in(tmp_path, {"KAMAR_MAX_VIDEO_KBPS": "800"}, max_video_kbps=300).max_video_kbps == 300
    )


@pytest.mark.parametrize("value", ["50", "20001", "fast", "1.5"])
def test_a_video_cap_out_of_range_or_not_a_number_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="max_video_kbps"):
        load_in(tmp_path, {"KAMAR_MAX_VIDEO_KBPS": value})


def test_the_participant_limit_defaults_to_none_and_refuses_negative_values(
    tmp_path: Path,
) -> None:
    assert load_in(tmp_path).max_participants == 0
    assert load_in(tmp_path, {"KAMAR_MAX_PARTICIPANTS": "300"}).max_participants == 300
    with pytest.raises(ConfigError, match="max_participants"):
        load_in(tmp_path, max_participants=-1)


def test_turn_settings_come_from_the_environment_and_make_turn_settings(tmp_path: Path) -> None:
    env = {
        "KAMAR_TURN_SECRET": "s" * 32,
        "KAMAR_TURN_URLS": "turn:turn.example:3478, turns:turn.example:443?transport=tcp",
        "KAMAR_TURN_TTL": "3600",
    }
    turn = load_in(tmp_path, env).ice.turn
    assert turn is not None
    assert turn.urls == ("turn:turn.example:3478", "turns:turn.example:443?transport=tcp")
    assert (turn.secret, turn.ttl) == ("s" * 32, 3600)
    assert load_in(tmp_path).ice.turn is None


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"turn_urls": ["turn:t.example"]}, "need a turn_secret of at least 16"),
        ({"turn_urls": ["turn:t.example"], "turn_secret": "short"}, "at least 16"),
        ({"turn_secret": "s" * 20}, "no turn_url"),
        ({"turn_urls": ["stun:t.example"], "turn_secret": "s" * 20}, "must start with turn:"),
        ({"turn_urls": ["turn:t.example"], "turn_secret": "s" * 20, "turn_ttl": 10}, "turn_ttl"),
    ],
)
def test_incomplete_or_wrong_turn_settings_are_refused(
    tmp_path: Path, flags: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_in(tmp_path, **flags)


def test_the_opus_bitrate_asked_of_publishers_is_a_setting_within_opus_range(
    tmp_path: Path,
) -> None:
    assert load_in(tmp_path).max_audio_kbps == 24
    assert load_in(tmp_path, {"KAMAR_MAX_AUDIO_KBPS": "32"}).max_audio_kbps == 32
    for wrong in ("5", "129"):
        with pytest.raises(ConfigError, match="max_audio_kbps must be 6-128"):
            load_in(tmp_path, {"KAMAR_MAX_AUDIO_KBPS": wrong})
