"""What the bot says in groups and channels (once, pointing to a private chat).

The texts themselves are in texts.toml beside this file.
"""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("groups", Path(__file__).with_name("texts.toml"), parent=COMMON)
