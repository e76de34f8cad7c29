"""What moderation says to admins and authors. The texts are in texts.toml beside this."""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("moderation", Path(__file__).with_name("texts.toml"), parent=COMMON)
