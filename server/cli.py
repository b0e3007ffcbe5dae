"""`kamar serve` runs the server; `kamar token` prints a join token; `kamar migrate` brings the
database schema up to date; `kamar create-admin` makes an administrator."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from rooms.community import database
from rooms.community.account_rules import Registration
from rooms.community.accounts import User
from rooms.community.community import open_community
from rooms.community.regions import update as region_update
from rooms.errors import DomainError
from rooms.meeting import grants
from server import cli_parser, workers
from server.app import build_app, ssl_context
from server.config import Config, ConfigError, load, load_secret
from server.drain import drain
from server.listener import make_runner
from server.wiring import single_node
from sfu import native
from signalling.ws import SERVICES_KEY


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what workers are started with
    try:
        result: int = args.func(args)
        return result
    except (ConfigError, ValueError) as exc:
        print(f"kamar: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    return cli_parser.parser(
        {
            "serve": _serve,
            "token": _token,
            "migrate": _migrate,
            "create-admin": _create_admin,
            "regions update": _update_regions,
        }
    )


def command_name(
    argv0: str | None = None, on_path: str | None = None, cwd: Path | None = None
) -> str:
    """How to run this command again from where the operator stands: `kamar` when the shell
    finds this very one, else its path (`.venv/bin/kamar` on a fresh machine, where
    scripts/run installed it into the project's venv and nothing put that on PATH)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    script = Path(argv0).resolve()
    if script.name != "kamar":  # python -m server: the venv's script beside this interpreter
        script = Path(sys.executable).parent / "kamar"
    found = shutil.which("kamar") if on_path is None else on_path
    if found and Path(found).resolve() == script.resolve():
        return "kamar"
    try:
        return str(script.relative_to((cwd or Path.cwd()).resolve()))
    except ValueError:
        return str(script)


def _config(args: argparse.Namespace) -> Config:
    flags = {k: v for k, v in vars(args).items() if k not in ("func", "config", "argv")}
    known = {k: v for k, v in flags.items() if k in Config.__dataclass_fields__}
    return load(known, config_file=args.config)


def _token(args: argparse.Namespace) -> int:
    config = _config(args)
    grant = grants.JoinGrant(
        meeting=args.room,
        identity=args.identity,
        name=args.name or args.identity,
        can_publish=not args.no_publish,
        can_subscribe=not args.no_subscribe,
        role=args.role,
    )
    token = grants.mint(grant, load_secret(config.data_dir), int(time.time()), ttl=args.ttl)
    print(f"room: {grant.meeting}  identity: {grant.identity}  valid for {args.ttl} s")
    print(f"join link: {config.base_url}/r/{quote(grant.meeting)}?token={token}")
    print(token)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    config = _config(args)
    config.data_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives there
    before, after = asyncio.run(database.migrate(config.effective_database_url))
    if before == after:
        print(f"the database schema is up to date (revision {after})")
    else:
        print(f"the database schema was migrated from {before or 'nothing'} to revision {after}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.password_file is not None:
        password = args.password_file.read_text(encoding="utf-8").strip()
    else:
        password = getpass.getpass("Password for the new administrator: ")
    user = asyncio.run(_register_admin(config, args.username, args.name, password))
    print(f"administrator {user.username!r} created (account id {user.id})")
    return 0


async def _register_admin(config: Config, username: str, name: str, password: str) -> User:
    community = await open_community(
        config.effective_database_url, config.data_dir, time.time, bus=single_node().bus
    )
    try:
        form = Registration(password=password, display_name=name, username=username)
        return await community.accounts.register(form, is_admin=True)
    except DomainError as exc:
        raise ValueError(exc.message) from exc
    finally:
        await community.close()


def _update_regions(args: argparse.Namespace) -> int:
    try:
        source = region_update.update(args.version)
    except region_update.UpdateError as exc:
        print(f"kamar regions update: {exc}", file=sys.stderr)
        return 1
    print(f"{source['package']} {source['version']} ({source['integrity']})")
    for name, digest in source["files"].items():
        print(f"  {name}  sha256 {digest}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    config = _config(args)
    worker: int | None = args.worker_index
    who = "" if worker is None else f"worker {worker} "
    logging.basicConfig(
        level=config.log_level.upper(),
        format=f"%(asctime)s %(levelname)s {who}%(name)s: %(message)s",
    )
    import uvloop  # the default loop costs 2-3x more per packet (shared/aiortc-notes.md)

    if config.workers > 1 and worker is None:
        workers.prepare(config)
        print(f"Kamar is running {config.workers} workers: open {config.base_url}/", flush=True)
        return uvloop.run(
            workers.Supervisor(workers.worker_command(args.argv), config.workers).run()
        )
    if worker is not None:
        return uvloop.run(_run_worker(config, worker))
    uvloop.run(_run(config))
    return 0


async def _run_worker(config: Config, index: int) -> int:
    """One of the supervisor's workers (server/workers.py): a node on the shared port, with its
    own port where the other workers carry meeting sockets to it."""
    try:
        private, node_url = workers.private_listener(config, index)
    except OSError as exc:
        print(f"kamar: worker {index} cannot listen on {config.node_url}: {exc}", file=sys.stderr)
        return workers.EXIT_CANNOT_START
    config = replace(config, node_url=node_url, relay_port=workers.relay_port(config, index))
    app = build_app(config, background_jobs=index == workers.JOBS_WORKER)
    runner = make_runner(app)
    await runner.setup()
    try:
        await web.TCPSite(
            runner, config.host, config.port, ssl_context=ssl_context(config), reuse_port=True
        ).start()
        tls = ssl_context(config) if node_url.startswith("https:") else None
        await web.SockSite(runner, private, ssl_context=tls).start()
    except OSError as exc:
        print(f"kamar: worker {index} cannot listen on port {config.port}: {exc}", file=sys.stderr)
        await runner.cleanup()
        return workers.EXIT_CANNOT_START
    node = app[SERVICES_KEY].registry.node
    print(
        f"worker {index} (node {node}) is running; other workers reach it at {node_url}", flush=True
    )
    await _until_stopped(app, config)
    await runner.cleanup()
    return 0


async def _run(config: Config) -> None:
    app = build_app(config)
    runner = make_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=ssl_context(config))
    await site.start()
    print(f"Kamar is running: open {config.base_url}/  (data in {config.data_dir})", flush=True)
    print(native.describe(), flush=True)
    if not config.dev_tokens:
        print(
            f"Make a join link with: {command_name()} token --data {config.data_dir} "
            "--room ROOM --identity ID",
            flush=True,
        )
    await _until_stopped(app, config)
    await runner.cleanup()


async def _until_stopped(app: web.Application, config: Config) -> None:
    # SIGTERM drains (server/drain.py): no new meetings, exit when the last participant left
    # or after --drain-seconds. SIGINT (Ctrl-C), or a second signal, stops at once.
    terminate, stop_now = asyncio.Event(), asyncio.Event()

    def on_sigterm() -> None:
        (stop_now if terminate.is_set() else terminate).set()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop_now.set)
    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    waiting = [asyncio.create_task(event.wait()) for event in (terminate, stop_now)]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    for task in waiting:
        task.cancel()
    if not stop_now.is_set():
        print("Draining: no new meetings; stopping when the last participant leaves", flush=True)
        await drain(app[SERVICES_KEY], stop_now, config.drain_seconds)
