"""Build the font shipped in bot/reports/fonts/: a subset of Noto Sans CJK SC Regular.

Charts attached to digests carry Chinese labels, and a fresh machine or the slim Docker image
has no font with hanzi in it: matplotlib would draw boxes. The full Noto Sans CJK is 16-20 MB
per weight, so we ship a subset that covers what a chart shows: the 3,755 common hanzi of
GB2312 level 1, every character of the district data and of the category labels, every
character of the text catalogues (chart titles come from there), ASCII, Latin-1, the symbol,
full-width and pinyin rows of GB2312, CJK punctuation and full-width forms.

The source is Debian's fonts-noto-cjk (``apt-get install -y fonts-noto-cjk``): its .ttc holds
JP, KR, SC, TC and HK faces of one glyph set; we take the SC face, for the simplified forms.
The subset is renamed (Yushi Sans SC) so it never shadows a full Noto CJK installed on the
system. Run from the repository root::

    python3 tools/subset_font.py [--source PATH] [--out DIR]

and commit the .otf and OFL.txt it writes. Re-run it when district data, categories or texts
gain a character outside GB2312 level 1 (tests/reports/test_chart.py fails until then).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.categories import CATEGORIES  # noqa: E402
from bot.domain.district import load_district  # noqa: E402

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FACE = "Noto Sans CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT_DIR = ROOT / "bot" / "reports" / "fonts"
FAMILY = "Yushi Sans SC"
POSTSCRIPT = "YushiSansSC-Regular"
FILE_NAME = f"{POSTSCRIPT}.otf"


def gb2312(first_row: int, last_row: int, *, last_cell: int = 0xFE) -> set[str]:
    """The characters of GB2312 rows first_row..last_row (EUC-CN lead bytes), cells A1..FE."""
    found: set[str] = set()
    for row in range(first_row, last_row + 1):
        end = last_cell if row == last_row else 0xFE
        for cell in range(0xA1, end + 1):
            try:
                found.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:  # unassigned cells in the symbol rows
                continue
    return found


def gb2312_level1() -> set[str]:
    """The 3,755 common hanzi: rows B0-D7, the last ending at D7F9."""
    return gb2312(0xB0, 0xD7, last_cell=0xF9)


def _strings(value: object) -> Iterator[str]:
    """Every string inside a tree of dataclasses, tuples and scalars."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)


def _toml_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _toml_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _toml_strings(item)


def project_text() -> set[str]:
    """Characters the project itself shows: district data, categories, text catalogues."""
    chars: set[str] = set()
    for text in _strings(load_district()):
        chars.update(text)
    for category in CATEGORIES:
        chars.update(category.zh + category.en)
    catalogues = [ROOT / "bot/telegram/texts.toml", *sorted(ROOT.glob("bot/features/*/texts.toml"))]
    for path in catalogues:
        for text in _toml_strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            chars.update(text)
    return chars


def _span(first: int, last: int) -> set[str]:
    return {chr(c) for c in range(first, last + 1)}


def wanted_characters() -> set[str]:
    chars = gb2312_level1() | project_text()
    chars |= _span(0x20, 0x7E) | _span(0xA0, 0xFF)  # ASCII, Latin-1
    chars |= _span(0x2010, 0x2027) | _span(0x2030, 0x203B)  # dashes, quotes, …, ‰, ※
    chars |= _span(0x3000, 0x303F)  # CJK symbols and punctuation
    chars |= _span(0xFF01, 0xFF65) | _span(0xFFE0, 0xFFE6)  # full-width forms
    chars |= gb2312(0xA1, 0xA3) | gb2312(0xA8, 0xA8)  # GB2312 symbols, numbers, pinyin
    return {c for c in chars if c.isprintable() or c == "\u3000"}


def open_face(path: Path, family: str) -> TTFont:
    """The face named `family` in a font file or collection."""
    faces = range(_face_count(path)) if path.suffix.lower() in (".ttc", ".otc") else [None]
    for number in faces:
        font = TTFont(path, fontNumber=number if number is not None else -1, lazy=False)
        if font["name"].getDebugName(1) == family:
            return font
        font.close()
    raise SystemExit(f"{path}: no face named {family!r}")


def _face_count(path: Path) -> int:
    with path.open("rb") as handle:
        header = handle.read(12)
    return int.from_bytes(header[8:12], "big")


def rename(font: TTFont, source_version: str) -> None:
    """Give the subset a name of its own (OFL: a modified version; no clash with the original)."""
    table = font["name"]
    full = f"{FAMILY} Regular"
    for record in list(table.names):
        if record.nameID in (16, 17, 18, 21, 22, 25):  # typographic / WWS / variations names
            table.removeNames(nameID=record.nameID)
    for platform, encoding, language in {
        (r.platformID, r.platEncID, r.langID) for r in table.names if r.nameID == 1
    }:
        values = {
            1: FAMILY,
            2: "Regular",
            3: f"{source_version};yushi;{POSTSCRIPT}",
            4: full,
            6: POSTSCRIPT,
        }
        for name_id, value in values.items():
            table.setName(value, name_id, platform, encoding, language)
    version = table.getDebugName(5) or ""
    table.setName(
        f"{version}; subset of {SOURCE_FACE} by yushi tools/subset_font.py", 5, 3, 1, 0x409
    )
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [POSTSCRIPT]
        top = cff.topDictIndex[0]
        for attribute, value in (("FullName", full), ("FamilyName", FAMILY)):
            if hasattr(top, attribute):
                setattr(top, attribute, value)


def license_text(font: TTFont) -> str:
    """OFL.txt: what the file is, the original copyright notice, and the OFL 1.1 itself.

    The licence text comes from Debian's copyright file, in its indented paragraph format.
    """
    copyright_notice = font["name"].getDebugName(0) or ""
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    start = next(  # the stand-alone licence paragraph, not a "Files:" stanza naming it
        i
        for i, line in enumerate(lines[:-1])
        if line.strip() == "License: SIL-1.1" and lines[i + 1].startswith(" ")
    )
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break
        body.append("" if line.strip() == "." else line[1:])
    return (
        f"{FILE_NAME} ({FAMILY}) is a subset of {SOURCE_FACE} Regular (Noto CJK, from\n"
        "Debian's fonts-noto-cjk), made by tools/subset_font.py of the yushi project. Like the\n"
        "original, it is licensed under the SIL Open Font License, Version 1.1, below.\n\n"
        f"Original copyright: {copyright_notice.rstrip('.')}, with Reserved Font Name\n"
        "'Source'. Noto is a trademark of Google Inc.\n\n" + "\n".join(body).strip() + "\n"
    )


def build(source: Path, out_dir: Path, chars: Iterable[str]) -> tuple[Path, set[str]]:
    """Write the subset and OFL.txt; returns the font's path and the characters it lacks."""
    font = open_face(source, SOURCE_FACE)
    cmap = font.getBestCmap()
    wanted = {ord(c) for c in chars}
    missing = {chr(c) for c in wanted if c not in cmap}
    source_version = f"{font['head'].fontRevision:.3f}"

    options = subset.Options()
    options.layout_features = ["kern"]  # matplotlib shapes no GSUB; locl/vert would add glyphs
    options.hinting = False  # matplotlib auto-hints; CFF hints only cost bytes
    options.name_IDs = ["*"]  # keep the copyright and licence fields (OFL condition 2)
    options.name_languages = ["*"]
    options.notdef_outline = True  # a missing glyph shows as a box, not as nothing
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]  # vertical layout: unused
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted & set(cmap)))
    subsetter.subset(font)
    rename(font, source_version)

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / FILE_NAME
    font.recalcTimestamp = False  # same input, same bytes: no rebuild shows up as a change
    font.save(target)
    (out_dir / "OFL.txt").write_text(license_text(font), encoding="utf-8")
    return target, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=SOURCE, help="NotoSansCJK-Regular.ttc")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    source: Path = args.source
    if not source.exists():
        print(f"{source} not found: apt-get install -y fonts-noto-cjk", file=sys.stderr)
        return 1
    chars = wanted_characters()
    target, missing = build(source, args.out, chars)
    glyphs = len(TTFont(target, lazy=True).getGlyphOrder())
    print(f"{target}: {target.stat().st_size:,} bytes, {len(chars) - len(missing):,} characters")
    print(f"{glyphs:,} glyphs")
    if missing:
        shown = "".join(sorted(missing))
        print(f"not in {SOURCE_FACE} (left out): {len(missing)}: {shown!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
