"""One scale for every suggestion's confidence, so the bot words them alike."""

from __future__ import annotations

from typing import Literal

Level = Literal["high", "medium", "low", "none"]


def level_of(confidence: float) -> Level:
    """high >= 0.75 > medium >= 0.5 > low > 0 = none."""
    if confidence >= 0.75:
        return "high"
    if confidence >= 0.5:
        return "medium"
    return "low" if confidence > 0 else "none"
