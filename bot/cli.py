"""`yushi`: run, migrate, inbox, outbox, digest, demo, emulator."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, NetworkError

from bot.config import DEMO_DATABASE_URL, ConfigError, Settings, load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.telegram.work import Work


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    return load_settings(env_file=args.env_file, **overrides)


async def _run(settings: Settings) -> None:
    from bot.assembly import run_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from bot.features.moderation import reload_word_lists

    loop.add_signal_handler(signal.SIGHUP, reload_word_lists)
    await run_bot(settings, stop)


async def _migrate(settings: Settings) -> str | None:
    from storage import create_engine, upgrade
    from storage.migrate import current_revision

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await current_revision(engine)
    finally:
        await engine.dispose()


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    settings.token()  # a clear line now rather than a failure later
    setup_logging(settings.log_level, settings.token())
    try:
        asyncio.run(_run(settings))
    except InvalidToken:
        print("TELEGRAM_BOT_TOKEN: rejected by the Bot API (check the token)", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(
            f"TELEGRAM_API_BASE_URL: cannot reach the Bot API at "
            f"{settings.telegram_api_base_url} ({exc.message})",
            file=sys.stderr,
        )
        return 2
    except (SQLAlchemyError, OSError) as exc:
        print(database_problem(exc), file=sys.stderr)
        return 2
    return 0


def database_problem(exc: BaseException) -> str:
    """One line for a database that cannot be opened, without the password."""
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return f"DATABASE_URL: cannot open the database ({type(exc).__name__}: {detail})"


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(settings.log_level, None)
    try:
        revision = asyncio.run(_migrate(settings))
    except (SQLAlchemyError, OSError) as exc:
        print(database_problem(exc), file=sys.stderr)
        return 2
    print(f"database is at revision {revision}")
    return 0


async def _inbox(settings: Settings, retry_failed: bool) -> tuple[dict[str, int], int]:
    from storage import create_engine, session_factory, unit_of_work, upgrade
    from storage.repositories import InboxRepository

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with unit_of_work(session_factory(engine)) as session:
            inbox = InboxRepository(session)
            retried = await inbox.retry_failed() if retry_failed else 0
            return await inbox.counts(), retried
    finally:
        await engine.dispose()


def cmd_inbox(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        counts, retried = asyncio.run(_inbox(settings, args.retry_failed))
    except (SQLAlchemyError, OSError) as exc:
        print(database_problem(exc), file=sys.stderr)
        return 2
    print("inbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"))
    if args.retry_failed:
        print(f"{retried} set-aside updates queued again; a running bot picks them up")
    return 0


async def _outbox(settings: Settings, args: argparse.Namespace) -> list[str]:
    from storage import create_engine, session_factory, unit_of_work, upgrade
    from storage.repositories import OutboxRepository

    engine = create_engine(settings.database_url)
    lines = []
    try:
        await upgrade(engine)
        async with unit_of_work(session_factory(engine)) as session:
            outbox = OutboxRepository(session)
            if args.resend:
                lines.append(f"{await outbox.resend(args.resend)} uncertain rows queued again")
            if args.drop:
                lines.append(f"{await outbox.drop(args.drop)} uncertain rows dropped")
            counts = await outbox.counts()
            lines.append(
                "outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty")
            )
            for row_id, chat, method, created, error in await outbox.uncertain_rows():
                when = f"{created:%Y-%m-%d %H:%M} UTC"
                lines.append(f"  uncertain #{row_id} chat {chat} {method} {when}: {error}")
    finally:
        await engine.dispose()
    return lines


def cmd_outbox(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        lines = asyncio.run(_outbox(settings, args))
    except (SQLAlchemyError, OSError) as exc:
        print(database_problem(exc), file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


async def _digest(settings: Settings, run: bool) -> list[str]:
    from bot.deps import build_deps
    from bot.features.digests import DigestService
    from bot.features.digests.jobs import deliver_due
    from bot.telegram.work import services_for
    from storage import create_engine, session_factory, unit_of_work, upgrade

    engine = create_engine(settings.database_url)
    deps = build_deps(settings)
    sessions = session_factory(engine)
    tz = settings.tz

    @contextlib.asynccontextmanager
    async def unit() -> AsyncIterator[Work]:
        async with unit_of_work(sessions) as session:
            yield services_for(session, deps)

    lines: list[str] = []
    try:
        await upgrade(engine)
        now = deps.clock.now()
        async with unit() as work:
            overview = await work.service(DigestService).overview(now)
        lines.append(f"now: {now.astimezone(tz):%Y-%m-%d %H:%M} {settings.timezone}")
        for due in overview:
            m = due.member
            who = f"{m.role} {m.telegram_id} ({', '.join(m.subdistricts) or 'no sub-districts'})"
            if m.unreachable_at is not None:
                state = "unreachable: skipped until they open the bot again"
            elif due.slot is not None:
                kind = "catch-up " if due.catch_up else ""
                state = f"DUE: {kind}digest for {due.slot.astimezone(tz):%Y-%m-%d %H:%M}"
            elif due.next_slot is not None:
                state = f"next at {due.next_slot.astimezone(tz):%Y-%m-%d %H:%M}"
            else:
                state = "digests off"
            lines.append(f"  {who}: {state}; {due.waiting} items waiting")
        if not overview:
            lines.append("  no admins or members yet")
        if run:
            delivered = await deliver_due(unit, now)
            lines.append(
                f"{len(delivered)} digests built and queued "
                f"({sum(d.items for d in delivered)} items); the running bot sends them "
                "(or the next `yushi run`)"
            )
    finally:
        await engine.dispose()
    return lines


def cmd_digest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(settings.log_level, None)
    try:
        lines = asyncio.run(_digest(settings, args.run))
    except (SQLAlchemyError, OSError) as exc:
        print(database_problem(exc), file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _emulator_missing() -> str | None:
    """The demo and the emulator need the `emulator` extra; production images do without."""
    if any(importlib.util.find_spec(m) is None for m in ("tgemu", "starlette", "uvicorn")):
        return "the Bot API emulator is not installed: pip install -e '.[emulator]' (or '.[dev]')"
    return None


def cmd_demo(args: argparse.Namespace) -> int:
    if (missing := _emulator_missing()) is not None:
        print(missing, file=sys.stderr)
        return 2
    settings = _settings(args, database_url=args.database_url)
    if args.web:
        from bot.demo_web import run_web_demo

        return asyncio.run(run_web_demo(settings, port=args.port))
    from bot.demo import run_demo

    return asyncio.run(run_demo(settings, pace=args.pace))


def cmd_emulator(args: argparse.Namespace) -> int:
    if (missing := _emulator_missing()) is not None:
        print(missing, file=sys.stderr)
        return 2
    from tgemu import serve

    serve(args.host, args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yushi", description="渝事好商量 Telegram bot")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="migrate, then run the bot (long polling)").set_defaults(
        func=cmd_run
    )
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    inbox = sub.add_parser("inbox", help="count stored updates; replay the ones set aside")
    inbox.add_argument(
        "--retry-failed", action="store_true", help="queue set-aside (failed) updates again"
    )
    inbox.set_defaults(func=cmd_inbox)
    outbox = sub.add_parser(
        "outbox", help="count queued calls; list, resend or drop the uncertain ones"
    )
    outbox.add_argument("--resend", type=int, nargs="+", metavar="ID", help="send these again")
    outbox.add_argument("--drop", type=int, nargs="+", metavar="ID", help="forget these")
    outbox.set_defaults(func=cmd_outbox)
    digest = sub.add_parser("digest", help="show which members' digests are due; --run builds them")
    digest.add_argument(
        "--run", action="store_true", help="build the due digests once and queue them for sending"
    )
    digest.set_defaults(func=cmd_digest)
    demo = sub.add_parser("demo", help="play a whole session offline against the emulator")
    demo.add_argument(
        "--database-url",
        default=DEMO_DATABASE_URL,
        help="where the demo stores its opinions (default: ./data/demo.sqlite3)",
    )
    demo.add_argument("--pace", type=float, default=0.4, help="seconds between steps")
    demo.add_argument(
        "--web",
        action="store_true",
        help="instead of the script, chat with the bot yourself on a page in a browser",
    )
    demo.add_argument(
        "--port", type=int, default=8080, help="the page's port on 127.0.0.1 (with --web)"
    )
    demo.set_defaults(func=cmd_demo)
    emu = sub.add_parser("emulator", help="serve the local Bot API emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    emu.set_defaults(func=cmd_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Opt in to PTB's coming behaviour (retry_after as timedelta); the bot handles both.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
