"""/export: CSV and XLSX of the items of a period, masked, for admins (every sub-district)
and members (their own); built by a ticker off the update path, progress shown by editing
one message."""

from bot.features.exports import handlers, jobs
from bot.features.exports.service import ExportService
from bot.features.exports.texts import t
from bot.telegram.application import Features

__all__ = ["ExportService", "register"]


def register(features: Features) -> None:
    features.ticker("exports", jobs.export_tick)
    features.command("export", handlers.export, menu=t, rank=250, scope="member")
