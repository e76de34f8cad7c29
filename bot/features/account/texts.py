"""What /my, /mydata and /delete_me say.

The texts themselves are in texts.toml beside this file.
"""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("account", Path(__file__).with_name("texts.toml"), parent=COMMON)
