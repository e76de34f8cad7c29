"""Texts of the consultations feature (texts.toml beside this file)."""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("consultations", Path(__file__).with_name("texts.toml"), parent=COMMON)
