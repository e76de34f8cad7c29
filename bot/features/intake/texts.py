"""What the bot says while an opinion is written: questions, receipts, refusals.

The texts themselves are in texts.toml beside this file.
"""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("intake", Path(__file__).with_name("texts.toml"), parent=COMMON)
