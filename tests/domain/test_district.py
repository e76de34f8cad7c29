"""The district loads from package data (or a given file) and is cross-checked."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from pathlib import Path

import pytest

from bot.domain import District, load_district
from bot.domain.district import build_district

DATA = Path(__file__).parents[2] / "bot" / "domain" / "data"
SHARED = Path(__file__).parents[3] / "shared" / "data" / "yuzhong.json"


def test_default_district_has_the_reference_data() -> None:
    d = load_district()
    assert d is load_district()  # cached
    assert (d.name, d.code, d.reference_prefix, d.timezone) == (
        "渝中区",
        "500103",
        "YZ",
        "Asia/Shanghai",
    )
    assert len(d.subdistricts) == 11
    assert sum(len(s.communities) for s in d.subdistricts) == 80
    assert [s.short for s in d.subdistricts[:3]] == ["七星岗", "解放碑", "两路口"]  # data order
    jfb = d.subdistricts[1]
    assert (jfb.name, jfb.pinyin, jfb.latin) == ("解放碑街道", "Jiěfàngbēi", "Jiefangbei")
    former = d.former_subdistricts[0]
    assert (former.name, former.short, former.now_in) == (
        "望龙门街道",
        "望龙门",
        ("朝天门", "解放碑", "南纪门"),
    )
    assert former.now_in_codes == ("500103010", "500103003", "500103008")


def test_lookups() -> None:
    d = load_district()
    assert d.by_code("500103014") is not None
    assert d.by_code("nope") is None
    assert d.index_of("500103014") == 10
    with pytest.raises(ValueError):
        d.index_of("nope")
    sub = d.by_index("10")
    assert sub is not None and sub.short == "石油路"
    assert d.by_index(0) == d.subdistricts[0]
    for bad in ("11", "-1", "", "x", "１", " 1", "1.0"):
        assert d.by_index(bad) is None
    for key in ("500103003", "解放碑街道", "解放碑", "jiefangbei", " JIEFANGBEI "):
        found = d.find(key)
        assert found is not None and found.code == "500103003"
    assert d.find("观音桥") is None


def test_packaged_reference_file_is_the_shared_one_verbatim() -> None:
    if not SHARED.exists():
        pytest.skip("../shared is not beside the project")
    assert (DATA / "yuzhong.json").read_bytes() == SHARED.read_bytes()


def test_explicit_path_reads_the_sibling_additions(tmp_path: Path) -> None:
    shutil.copy(DATA / "yuzhong.json", tmp_path / "yuzhong.json")
    shutil.copy(DATA / "yuzhong.extra.json", tmp_path / "yuzhong.extra.json")
    assert load_district(tmp_path / "yuzhong.json") == load_district()


def test_base_file_alone_works_with_defaults(tmp_path: Path) -> None:
    shutil.copy(DATA / "yuzhong.json", tmp_path / "other.json")
    d = load_district(tmp_path / "other.json")
    assert len(d.subdistricts) == 11
    assert d.aliases == () and d.outside_places == ()
    assert d.locate_rule.max_km == 1.5


def _base() -> dict[str, object]:
    data: dict[str, object] = json.loads((DATA / "yuzhong.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    "extra",
    [
        {"names": [{"of": "不存在的地方", "aliases": ["别名"]}]},
        {"landmarks": [{"name": "某处", "subdistrict": "观音桥", "confidence": "H"}]},
        {"landmarks": [{"name": "某处", "subdistrict": "解放碑", "confidence": "X"}]},
        {"roads": [{"name": "某路", "subdistricts": ["江北"]}]},
        {"district_code": "500106"},
    ],
)
def test_bad_additions_are_rejected(extra: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        build_district(_base(), extra)


def test_district_is_frozen() -> None:
    d: District = load_district()
    with pytest.raises(AttributeError):
        d.name = "x"  # type: ignore[misc]


def test_domain_imports_nothing_from_the_bot_or_frameworks() -> None:
    # Well-kept libraries for text work (fuzzy names, clustering), nothing about Telegram,
    # storage or the rest of the bot.
    allowed_third_party = {"rapidfuzz", "numpy", "scipy", "sklearn", "jieba", "pypinyin"}
    for path in (DATA.parent).glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"telegram", "sqlalchemy", "storage"}, (path.name, name)
                if top == "bot":
                    assert name.startswith("bot.domain"), (path.name, name)
                elif top not in allowed_third_party:
                    assert top in sys.stdlib_module_names, (path.name, name)
