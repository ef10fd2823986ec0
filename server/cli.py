"""The ``forumlive`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from server.ops.logs import configure_logging
from server.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Command] = {}


def _command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for key in ("host", "port", "data_dir", "database_url"):
        value = getattr(args, key, None)
        if value is not None:
            overrides[key] = value
    if getattr(args, "demo", False):
        overrides["demo"] = True
    if getattr(args, "demo_year", None) is not None:
        overrides["demo_year"] = args.demo_year
    if getattr(args, "no_scheduler", False):
        overrides["no_scheduler"] = True
    if getattr(args, "health_port", None) is not None:
        overrides["scheduler_health_port"] = args.health_port
    base = Settings()
    return base.model_copy(update=overrides) if overrides else base


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forumlive", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, help="data directory (default ./forumlive-data)")
        p.add_argument("--database-url", help="overrides FORUMLIVE_DATABASE_URL")

    serve = sub.add_parser("serve", help="run the server (migrates first)")
    common(serve)
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--demo", action="store_true", help="load the demo programme on first start")
    serve.add_argument(
        "--demo-year", type=int, choices=[2021], help="2021 keeps the original dates"
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="run no scheduler here (cluster web nodes; run `forumlive scheduler` instead)",
    )

    sched = sub.add_parser(
        "scheduler", help="run a standalone scheduler (cluster mode; needs FORUMLIVE_REDIS_URL)"
    )
    common(sched)
    sched.add_argument(
        "--host", help="address of the health port (default 127.0.0.1; 0.0.0.0 in containers)"
    )
    sched.add_argument(
        "--health-port",
        type=int,
        help="serve /healthz and /metrics on this port (for compose healthchecks, Prometheus)",
    )

    migrate = sub.add_parser("migrate", help="apply database migrations")
    common(migrate)

    org = sub.add_parser("create-organiser", help="create an organiser account")
    common(org)
    org.add_argument("--email", required=True)
    org.add_argument("--name", required=True)
    org.add_argument("--password", help="prompted for when left out")

    demo = sub.add_parser("demo", help="load the demo programme into the database")
    common(demo)
    demo.add_argument("--demo-year", type=int, choices=[2021], help="2021 keeps the original dates")

    imp = sub.add_parser("import", help="import sessions from CSV or a frab JSON schedule")
    common(imp)
    imp.add_argument("file", type=Path, help="a .csv file or a frab schedule .json")
    imp.add_argument("--format", choices=("csv", "frab"), help="default: from the file's suffix")
    imp.add_argument("--event", help="event slug or id (default: the current event)")
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")

    keys = sub.add_parser("keys", help="join-token signing keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    common(keys_sub.add_parser("rotate", help="make a new signing key current"))
    common(keys_sub.add_parser("list", help="show the signing keys and their status"))
    return parser


async def _with_db(settings: Settings, work: Callable[..., object]) -> object:
    from server.db.engine import Database, make_engine
    from server.db.migrate import upgrade

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(make_engine(settings.resolved_database_url))
    try:
        await upgrade(db.engine)
        return await work(db)  # type: ignore[misc]
    finally:
        await db.close()


@_command("serve")
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from server.app import create_app
    from server.ops.http_parser import PureParserError, require_c_http_parser
    from server.ops.logs import AccessLogger

    try:
        require_c_http_parser()
    except PureParserError as exc:
        print(str(exc), file=sys.stderr)
        return 3
    from server.live.engine.runtime import tune_app, use_uvloop

    use_uvloop(settings.uvloop)
    app = create_app(settings, scheduler=not settings.no_scheduler)
    if settings.gc_tuning:
        tune_app(app)
    web.run_app(
        app,
        access_log_class=AccessLogger,
        host=settings.host,
        port=settings.port,
        shutdown_timeout=settings.shutdown_timeout,
        print=lambda msg: print(msg.replace("http://", "forumlive on http://", 1)),
    )
    return 0


@_command("scheduler")
def _scheduler(args: argparse.Namespace, settings: Settings) -> int:
    from scheduler.runner import main as run_scheduler
    from server.live.engine.runtime import use_uvloop

    use_uvloop(settings.uvloop)
    return run_scheduler(settings)


@_command("migrate")
def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def nothing(db: object) -> None:
        return None

    asyncio.run(_with_db(settings, nothing))
    print("database is at the latest schema")
    return 0


@_command("create-organiser")
def _create_organiser(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import EmailStr, TypeAdapter, ValidationError

    from server.accounts.registration import EmailTaken, create_user, normalise_email
    from server.api.fields import Name, Password

    try:  # before the prompt: nobody should type a password twice for a typo in the email
        email = TypeAdapter(EmailStr).validate_python(args.email)
        name = TypeAdapter(Name).validate_python(args.name)
    except ValidationError as exc:
        print(f"invalid input: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    try:
        password = TypeAdapter(Password).validate_python(password)
    except ValidationError as exc:
        print(f"invalid input: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2

    async def work(db: object) -> object:
        return await create_user(
            db,
            email=email,
            name=name,
            password=password,  # type: ignore[arg-type]
            role="organiser",
        )

    try:
        asyncio.run(_with_db(settings, work))
    except EmailTaken:
        print(f"an account with {email} exists already", file=sys.stderr)
        return 1
    print(f"organiser {normalise_email(email)} created")  # as stored: one spelling
    return 0


@_command("demo")
def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from server.demo.loader import load_demo

    async def work(db: object) -> object:
        return await load_demo(db, year=args.demo_year)  # type: ignore[arg-type]

    print(asyncio.run(_with_db(settings, work)))
    return 0


@_command("import")
def _import(args: argparse.Namespace, settings: Settings) -> int:
    from server.exchange.cli_import import run_import

    async def work(db: object) -> int:
        return await run_import(
            db,  # type: ignore[arg-type]
            args.file,
            args.format,
            args.event,
            args.dry_run,
            settings.redis_url,
        )

    return int(asyncio.run(_with_db(settings, work)))  # type: ignore[call-overload]


@_command("keys")
def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from server.tokens.admin import keys_command

    async def work(db: object) -> object:
        return await keys_command(args.keys_command, db, settings)  # type: ignore[arg-type]

    return int(asyncio.run(_with_db(settings, work)))  # type: ignore[call-overload]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(
        os.environ.get("FORUMLIVE_LOG_LEVEL", "INFO"),
        os.environ.get("FORUMLIVE_LOG_FORMAT", "json"),
    )
    try:
        settings = _settings(args)
    except Exception as exc:  # a bad FORUMLIVE_* value: say which, not a traceback
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    return _COMMANDS[args.command](args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
