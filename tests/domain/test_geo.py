"""Location pins to sub-districts."""

from __future__ import annotations

import pytest

from bot.domain import District, haversine_m, load_district, locate


@pytest.fixture(scope="module")
def district() -> District:
    return load_district()


def test_every_centre_maps_to_itself(district: District) -> None:
    for sub in district.subdistricts:
        guess = locate(sub.lat, sub.lon, district)
        assert guess.inside and guess.code == sub.code
        assert guess.distance_m == 0
        assert guess.level == "medium"  # centres are approximate: never high


def test_guanyinqiao_is_outside(district: District) -> None:
    # In the bounding box, but 1.69 km from the nearest centre (上清寺), more than 1.5 km.
    guess = locate(29.575, 106.531, district)
    assert not guess.inside and guess.code is None
    assert guess.reason == "too_far"
    assert 1600 < guess.distance_m < 1800
    assert guess.level == "none"
    # 1.2 km from 上清寺's centre, within the radius, but nearer still to 观音桥.
    assert locate(29.572, 106.535, district).reason == "nearer_outside"


def test_across_the_river_from_chaotianmen_is_outside(district: District) -> None:
    guess = locate(29.576, 106.576, district)  # 江北嘴: 1.2 km from 朝天门's centre
    assert not guess.inside and guess.reason == "nearer_outside"
    assert guess.outside_place == "江北嘴"


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(39.9042, 116.4074), (29.50, 106.51), (29.56, 106.45), (0.0, 0.0)],
)
def test_far_away_is_outside(district: District, lat: float, lon: float) -> None:
    guess = locate(lat, lon, district)
    assert not guess.inside and guess.reason == "outside_bbox"


@pytest.mark.parametrize(
    ("lat", "lon", "short"),
    [
        (29.5665, 106.5885, "朝天门"),  # the tip of the peninsula
        (29.5570, 106.5740, "解放碑"),
        (29.5500, 106.5690, "南纪门"),
        (29.5480, 106.5150, "大坪"),
    ],
)
def test_points_inside(district: District, lat: float, lon: float, short: str) -> None:
    guess = locate(lat, lon, district)
    assert guess.inside
    assert guess.code is not None and district.find(short) == district.by_code(guess.code)


def test_runner_up_when_two_centres_are_close(district: District) -> None:
    qxg, dxg = district.find("七星岗"), district.find("大溪沟")
    assert qxg is not None and dxg is not None
    mid = ((qxg.lat + dxg.lat) / 2 + 0.0001, (qxg.lon + dxg.lon) / 2)
    guess = locate(*mid, district)
    assert guess.inside and guess.runner_up is not None
    assert {guess.code, guess.runner_up} == {qxg.code, dxg.code}
    assert guess.confidence < locate(qxg.lat, qxg.lon, district).confidence


def test_bad_coordinates(district: District) -> None:
    with pytest.raises(ValueError):
        locate(91.0, 0.0, district)
    with pytest.raises(ValueError):
        locate(float("nan"), 106.5, district)


def test_haversine() -> None:
    # One degree of latitude is about 111.2 km.
    assert haversine_m(29.0, 106.0, 30.0, 106.0) == pytest.approx(111_195, rel=1e-3)
