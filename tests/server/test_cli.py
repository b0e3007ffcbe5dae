"""The command line: an administrator account from `kamar create-admin`, tokens with roles."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from rooms.community.bus import LocalBus
from rooms.community.community import open_community
from rooms.meeting import grants
from server.cli import command_name, main
from server.config import load_secret
from signalling.events import encode


def test_create_admin_makes_an_account_that_can_log_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = tmp_path / "password"
    password.write_text("sangat-rahasia\n", encoding="utf-8")
    data = tmp_path / "data"
    args = ["create-admin", "--data", str(data), "--username", "Admin", "--name", "Ketua"]
    assert main([*args, "--password-file", str(password)]) == 0
    assert "administrator 'admin' created" in capsys.readouterr().out

    async def login() -> tuple[str, bool]:
        url = f"sqlite:///{data / 'kamar.db'}"
        community = await open_community(url, data, time.time, bus=LocalBus(encode))
        try:
            user = await community.accounts.login("admin", "sangat-rahasia")
            return user.display_name, user.is_admin
        finally:
            await community.close()

    assert asyncio.run(login()) == ("Ketua", True)
    assert main([*args, "--password-file", str(password)]) == 2  # taken: a one-line error
    assert "already registered" in capsys.readouterr().err


def test_create_admin_refuses_a_short_password_and_an_unreachable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password = tmp_path / "password"
    password.write_text("pendek", encoding="utf-8")
    args = ["create-admin", "--data", str(tmp_path), "--username", "admin", "--name", "A"]
    assert main([*args, "--password-file", str(password)]) == 2
    assert "password must be" in capsys.readouterr().err
    password.write_text("cukup-panjang", encoding="utf-8")
    nowhere = ["--database-url", "postgresql://nobody@127.0.0.1:1/kamar"]
    assert main([*args, "--password-file", str(password), *nowhere]) == 2
    assert "cannot open the database" in capsys.readouterr().err


def test_a_token_can_carry_a_meeting_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["token", "--data", str(tmp_path), "--room", "rapat", "--identity", "siti"]
    assert main([*args, "--role", "moderator"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    grant = grants.verify(token, load_secret(tmp_path), int(time.time()))
    assert (grant.meeting, grant.identity, grant.role) == ("rapat", "siti", "moderator")


def test_the_start_up_banner_names_the_command_as_the_operator_can_run_it(
    tmp_path: Path,
) -> None:
    venv_script = tmp_path / ".venv" / "bin" / "kamar"
    venv_script.parent.mkdir(parents=True)
    venv_script.write_text("#!/bin/sh\n")
    # A fresh machine: scripts/run put kamar in the project's venv, not on PATH.
    assert command_name(str(venv_script), on_path="", cwd=tmp_path) == ".venv/bin/kamar"
    # Run from elsewhere: the whole path.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert command_name(str(venv_script), on_path="", cwd=elsewhere) == str(venv_script)
    # The shell finds this very command: its name is enough.
    assert command_name(str(venv_script), on_path=str(venv_script), cwd=elsewhere) == "kamar"
