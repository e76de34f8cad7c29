"""The font that draws Chinese in charts: a system Noto CJK when installed, else our subset.

matplotlib's default font (DejaVu Sans) has no hanzi, and neither has a fresh Debian or the
slim Docker image, so Chinese labels would come out as boxes. The package ships
``fonts/YushiSansSC-Regular.otf``: a ~0.8 MB subset of Noto Sans CJK SC (SIL OFL 1.1, see
``fonts/OFL.txt``; built by ``tools/subset_font.py``) holding the 3,755 common hanzi of GB2312
level 1 and every character of the district data, category labels and text catalogues. A full
Noto Sans CJK SC (Debian: ``fonts-noto-cjk``) is preferred when the system has one, because it
also covers rare characters a title or note may bring.

Nothing here touches matplotlib's rcParams: the charts name the family on every text. The
one global change is registering a font file with matplotlib's font manager, done once,
under a lock.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from matplotlib import font_manager, ft2font

BUNDLED_FAMILY = "Yushi Sans SC"
BUNDLED_FILE = "YushiSansSC-Regular.otf"
#: Full fonts with Simplified Chinese forms, best first, as matplotlib names their families.
SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN")
#: File names (lower case, without "-", "_" or spaces) that may hold one of SYSTEM_FAMILIES.
_SYSTEM_FILE_HINTS = ("notosanscjk", "notosanssc", "sourcehansans")
#: Ships with matplotlib: draws the odd symbol the CJK font lacks (matplotlib falls back
#: glyph by glyph along the family list).
FALLBACK_FAMILIES = ("DejaVu Sans",)


@dataclass(frozen=True, slots=True)
class ChartFont:
    family: str
    path: Path
    face_index: int  # within a .ttc collection
    bundled: bool
    codepoints: frozenset[int] = field(repr=False, compare=False)

    @property
    def families(self) -> list[str]:
        """The family list to give matplotlib: this font first, then the fallbacks."""
        return [self.family, *FALLBACK_FAMILIES]

    def missing(self, text: str) -> str:
        """The distinct characters of `text` this font has no glyph for (whitespace aside)."""
        seen = dict.fromkeys(c for c in text if not c.isspace() and ord(c) not in self.codepoints)
        return "".join(seen)


_lock = threading.Lock()
_chosen: dict[bool, ChartFont] = {}
_files = contextlib.ExitStack()
atexit.register(_files.close)


def chart_font(*, prefer_system: bool = True) -> ChartFont:
    """The font for charts, registered with matplotlib (cached; safe from any thread)."""
    with _lock:
        found = _chosen.get(prefer_system)
        if found is None:
            found = (_system_font() if prefer_system else None) or _bundled_font()
            _chosen[prefer_system] = found
        return found


def bundled_font_path() -> Path:
    """The shipped subset on disk (extracted to a temporary file if the package is zipped)."""
    resource = resources.files("bot.reports").joinpath("fonts").joinpath(BUNDLED_FILE)
    if isinstance(resource, Path):
        return resource
    return _files.enter_context(resources.as_file(resource))


def _bundled_font() -> ChartFont:
    path = bundled_font_path()
    if not _entries(BUNDLED_FAMILY):
        font_manager.fontManager.addfont(path)
    return _font(BUNDLED_FAMILY, path, 0, bundled=True)


def _system_font() -> ChartFont | None:
    found = _registered_system_font()
    if found is None and _register_system_files():
        found = _registered_system_font()
    return found


def _registered_system_font() -> ChartFont | None:
    for family in SYSTEM_FAMILIES:
        entries = _entries(family)
        if entries:
            # The regular weight, upright: what matplotlib picks for plain text.
            best = min(entries, key=lambda e: (e.style != "normal", abs(_weight(e.weight) - 400)))
            return _font(family, Path(best.fname), best.index, bundled=False)
    return None


def _register_system_files() -> bool:
    """Add CJK font files matplotlib's cached font list does not know yet.

    matplotlib scans the system once and caches the result, so a font installed later
    (``apt-get install fonts-noto-cjk`` after the first chart) would stay invisible.
    """
    known = {Path(e.fname) for e in font_manager.fontManager.ttflist}
    added = False
    for name in font_manager.findSystemFonts():
        path = Path(name)
        stem = path.name.lower().replace("-", "").replace("_", "").replace(" ", "")
        if path not in known and any(hint in stem for hint in _SYSTEM_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable: not our concern
                continue
            added = True
    return added


def _entries(family: str) -> list[font_manager.FontEntry]:
    return [e for e in font_manager.fontManager.ttflist if e.name == family]


def _weight(weight: str | int) -> int:
    if isinstance(weight, int):
        return weight
    return int(font_manager.weight_dict.get(weight, 400))


def _font(family: str, path: Path, face_index: int, *, bundled: bool) -> ChartFont:
    charmap = ft2font.FT2Font(str(path), face_index=face_index).get_charmap()
    return ChartFont(family, path, face_index, bundled, frozenset(charmap))
