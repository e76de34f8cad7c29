"""Reference numbers residents quote: YZ-000123."""

from __future__ import annotations

import re
import unicodedata


def reference_number(prefix: str, n: int) -> str:
    """YZ-000123: six digits at least, more when needed (YZ-1234567)."""
    if n < 1:
        raise ValueError("reference numbers start at 1")
    return f"{prefix}-{n:06d}"


def parse_reference(s: str, prefix: str = "YZ") -> int | None:
    """The number in "YZ-000123", "yz123", "YZ 123", "＃ＹＺ－１２３"; None if not one."""
    form = unicodedata.normalize("NFKC", s).strip()
    pattern = rf"#?\s*{re.escape(prefix)}\s*[-_\s‐–—]?\s*(\d{{1,12}})"
    m = re.fullmatch(pattern, form, re.IGNORECASE)
    if m is None:
        return None
    n = int(m[1])
    return n if n >= 1 else None
