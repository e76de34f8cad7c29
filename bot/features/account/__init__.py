"""A resident's own data: /my (opinions and status), /mydata (everything held, as a file),
/delete_me (erase, after a confirmation)."""

from datetime import timedelta

from telegram.ext import CallbackQueryHandler

from bot.features.account import handlers, jobs
from bot.features.account.callbacks import ERASE
from bot.features.account.service import AccountService
from bot.features.account.texts import t
from bot.telegram.application import Features, every

__all__ = ["AccountService", "register"]


def register(features: Features) -> None:
    # Hourly, once across processes, and at once on a fresh database (catch_up).
    features.job("retention", every(timedelta(hours=1)), jobs.retention, catch_up=True)
    features.command("my", handlers.my_opinions, menu=t, rank=20)
    features.command("mydata", handlers.my_data, menu=t, rank=50)
    features.command("delete_me", handlers.delete_me, menu=t, rank=60)
    # ERASE and KEEP share their prefix: one handler takes both (and forged ones).
    features.add(CallbackQueryHandler(handlers.delete_pressed, pattern=ERASE.pattern))
