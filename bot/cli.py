"""`yushi`: run, migrate, demo, emulator."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    return load_settings(env_file=args.env_file, **overrides)


async def _run(settings: Settings) -> None:
    from bot.runtime.runner import run_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
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
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    setup_logging(settings.log_level, None)
    revision = asyncio.run(_migrate(settings))
    print(f"database is at revision {revision}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    settings = _settings(args, database_url=args.database_url)
    return asyncio.run(run_demo(settings, pace=args.pace))


def cmd_emulator(args: argparse.Namespace) -> int:
    from bot.emulator import serve

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
    demo = sub.add_parser("demo", help="play a whole session offline against the emulator")
    demo.add_argument(
        "--database-url",
        default="sqlite+aiosqlite:///./data/demo.sqlite3",
        help="where the demo stores its opinions (default: ./data/demo.sqlite3)",
    )
    demo.add_argument("--pace", type=float, default=0.4, help="seconds between steps")
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
