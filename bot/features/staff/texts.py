"""What roles, invites and members' settings say. The texts are in texts.toml beside this."""

from pathlib import Path

from bot.telegram.texts import COMMON, Texts

t = Texts.from_toml("staff", Path(__file__).with_name("texts.toml"), parent=COMMON)
