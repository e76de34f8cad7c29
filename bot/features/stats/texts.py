"""What /stats and the digests' 三率 block say. The texts are in texts.toml beside this file."""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("stats", Path(__file__).with_name("texts.toml"), parent=COMMON)
