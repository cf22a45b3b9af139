"""Nearby-search rules: postal codes, distances and the bounding box, on known coordinates."""

import math
import random

import pytest

from services.appointments.catalogue import rules
from services.appointments.catalogue.rules import Point
from services.appointments.tests.worded import AsTheEdgeWordsIt
from shared.errors import ApiError

PLATEAU = Point(45.5148, -73.5739)  # H2X, the FSA centroid from GeoNames
QUEBEC_CITY = Point(46.8128, -71.2194)  # G1R

search = AsTheEdgeWordsIt(rules)


@pytest.mark.parametrize("raw", ["H2X 1Y4", "h2x1y4", " H2X-1Y4 ", "H2X", "h2x"])
def test_postal_codes_resolve_to_their_fsa_centroid(raw):
    assert search.coordinates_of(raw) == PLATEAU


@pytest.mark.parametrize("raw", ["", "12345", "H2X 1Y", "H2X1Y44", "D2X 1Y4", "H2O 1Y4", "HH2 1Y4", "H2X 1YY", "ZZZ"])
def test_a_malformed_postal_code_is_refused_with_its_field(raw):
    with pytest.raises(ApiError) as refused:
        search.coordinates_of(raw)
    assert (refused.value.status, refused.value.code, refused.value.field) == (
        422,
        "invalid_postal_code",
        "postal_code",
    )
    assert refused.value.fr
    assert refused.value.en


def test_a_well_formed_but_unassigned_fsa_is_unknown():
    # H0X has the right shape, but no such FSA exists.
    with pytest.raises(ApiError) as refused:
        search.coordinates_of("H0X 0X0")
    assert refused.value.code == "unknown_postal_code"
    assert refused.value.field == "postal_code"


def test_quebec_has_its_421_fsas():
    fsas = search.quebec_fsas()
    assert len(fsas) == 421
    assert {fsa.code[0] for fsa in fsas} == {"G", "H", "J"}


def test_haversine_on_known_distances():
    assert search.haversine_km(PLATEAU, PLATEAU) == 0
    assert search.haversine_km(PLATEAU, QUEBEC_CITY) == pytest.approx(231.7, abs=0.1)
    assert search.haversine_km(QUEBEC_CITY, PLATEAU) == pytest.approx(231.7, abs=0.1)
    # A quarter of the equator.
    assert search.haversine_km(Point(0, 0), Point(0, 90)) == pytest.approx(math.pi * search.EARTH_RADIUS_KM / 2)


@pytest.mark.parametrize("radius", [0.5, 5, 25, 100, 500])
@pytest.mark.parametrize("centre", [PLATEAU, QUEBEC_CITY, Point(62.4, -77.9), Point(-33.9, 151.2)])
def test_every_point_within_the_radius_lies_in_the_box(centre, radius):
    box = search.bounding_box(centre, radius)
    rng = random.Random(42)
    for _ in range(2000):
        point = Point(
            centre.latitude + rng.uniform(-1.5, 1.5) * radius / 111,
            centre.longitude + rng.uniform(-3.5, 3.5) * radius / 111,
        )
        if search.haversine_km(centre, point) <= radius:
            assert box.min_latitude <= point.latitude <= box.max_latitude
            assert box.min_longitude <= point.longitude <= box.max_longitude


def test_the_box_is_tight_enough_to_be_worth_an_index():
    box = search.bounding_box(PLATEAU, 25)
    assert box.max_latitude - box.min_latitude == pytest.approx(0.45, abs=0.01)
    assert box.max_longitude - box.min_longitude == pytest.approx(0.64, abs=0.01)


def test_near_a_pole_or_the_antimeridian_the_box_keeps_every_longitude():
    assert search.bounding_box(Point(89.9, 10), 50).min_longitude == -180.0
    assert search.bounding_box(Point(10, 179.9), 50).max_longitude == 180.0


def test_a_search_needs_one_location():
    assert search.search_centre("H2X", None, None) == PLATEAU
    assert search.search_centre(None, 45.5, -73.5) == Point(45.5, -73.5)
    for args, code, field in [
        ((None, None, None), "location_required", "postal_code"),
        (("H2X", 45.5, -73.5), "location_ambiguous", "postal_code"),
        ((None, 45.5, None), "coordinates_incomplete", "lon"),
        ((None, 91.0, -73.5), "latitude_out_of_range", "lat"),
        ((None, 45.5, -181.0), "longitude_out_of_range", "lon"),
    ]:
        with pytest.raises(ApiError) as refused:
            search.search_centre(*args)
        assert (refused.value.code, refused.value.field) == (code, field)


def test_search_terms_ignore_case_and_accents():
    assert search.search_terms("  Prise de SANG ") == ["prise", "de", "sang"]
    assert search.search_terms("DÉPISTAGE") == ["depistage"]
    assert search.search_terms("Sœur") == ["soeur"]
    assert search.search_terms("") == []
    assert search.search_terms(None) == []
