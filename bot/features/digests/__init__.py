"""Members' digests: scheduled (checked at every tick from the database), exactly once per
item and member; /digest for the period so far; /op for one item in full. The moment an
opinion becomes visible (`Visibility`) feeds them."""

from bot.features.digests import handlers, jobs
from bot.features.digests.service import DigestService
from bot.features.digests.texts import t
from bot.features.digests.visibility import Visibility
from bot.telegram.application import Features

__all__ = ["DigestService", "Visibility", "register"]


def register(features: Features) -> None:
    features.ticker("digests", jobs.digest_tick)
    features.command("digest", handlers.digest_now, menu=t, rank=220, scope="member")
    features.command("op", handlers.op, menu=t, rank=230, scope="member")
