"""What the bot says to commands it does not have and media it does not take.

The texts themselves are in texts.toml beside this file.
"""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("fallbacks", Path(__file__).with_name("texts.toml"), parent=COMMON)
