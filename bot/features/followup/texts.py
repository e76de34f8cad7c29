"""What the follow-up says to members and residents. The texts are in texts.toml."""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("followup", Path(__file__).with_name("texts.toml"), parent=COMMON)
