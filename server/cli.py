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
    serve.add_argument("--demo-year", type=int, help="2021 keeps the original dates")

    migrate = sub.add_parser("migrate", help="apply database migrations")
    common(migrate)

    org = sub.add_parser("create-organiser", help="create an organiser account")
    common(org)
    org.add_argument("--email", required=True)
    org.add_argument("--name", required=True)
    org.add_argument("--password", help="prompted for when left out")

    demo = sub.add_parser("demo", help="load the demo programme into the database")
    common(demo)
    demo.add_argument("--demo-year", type=int, help="2021 keeps the original dates")
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
    from server.ops.logs import AccessLogger

    web.run_app(
        create_app(settings),
        access_log_class=AccessLogger,
        host=settings.host,
        port=settings.port,
        print=lambda msg: print(msg.replace("http://", "forumlive on http://", 1)),
    )
    return 0


@_command("migrate")
def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    async def nothing(db: object) -> None:
        return None

    asyncio.run(_with_db(settings, nothing))
    print("database is at the latest schema")
    return 0


@_command("create-organiser")
def _create_organiser(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import TypeAdapter, ValidationError

    from server.accounts.registration import EmailTaken, create_user
    from server.api.fields import Name, Password

    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    try:
        from pydantic import EmailStr

        email = TypeAdapter(EmailStr).validate_python(args.email)
        name = TypeAdapter(Name).validate_python(args.name)
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
    print(f"organiser {email} created")
    return 0


@_command("demo")
def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from server.demo.loader import load_demo

    async def work(db: object) -> object:
        return await load_demo(db, year=args.demo_year)  # type: ignore[arg-type]

    print(asyncio.run(_with_db(settings, work)))
    return 0


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
