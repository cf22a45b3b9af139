"""Nearby-search rules, free of I/O: postal code → coordinates, bounding box, great-circle distance.

Postal codes resolve to the centroid of their FSA (first three characters) from the `pypostalcode`
package, whose data comes from GeoNames (https://www.geonames.org, CC BY 4.0). An FSA centroid is
precise enough to rank clinics by distance without calling any network service.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from pypostalcode import PostalCodeDatabase

from shared.errors import ApiError

EARTH_RADIUS_KM = 6371.0  # mean radius; the SQL haversine uses the same value
MAX_RADIUS_KM = 500.0

# Canada Post: the first letter is never D F I O Q U W Z, the other letters never D F I O Q U.
_POSTAL_CODE = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z](?:\d[ABCEGHJ-NPRSTV-Z]\d)?")

INVALID_POSTAL_CODE = ApiError(
    422,
    "invalid_postal_code",
    "postal_code",
    "Code postal invalide : utilisez le format A1A 1A1 (ou ses trois premiers caractères).",
    "Invalid postal code: use the format A1A 1A1 (or its first three characters).",
)
UNKNOWN_POSTAL_CODE = ApiError(
    422,
    "unknown_postal_code",
    "postal_code",
    "Ce code postal ne correspond à aucune région connue.",
    "This postal code does not match any known area.",
)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Fsa:
    code: str
    place: str
    province: str
    point: Point


@dataclass(frozen=True)
class BoundingBox:
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float


@cache
def _fsas() -> dict[str, Fsa]:
    # The whole table is 1,645 rows: read it once rather than open SQLite on every request.
    rows = PostalCodeDatabase().find_postalcode() or []
    return {
        row.postalcode: Fsa(row.postalcode, row.city, row.province, Point(row.latitude, row.longitude)) for row in rows
    }


def quebec_fsas() -> list[Fsa]:
    """Québec's forward sortation areas (those starting with G, H or J), sorted by code."""
    return sorted((fsa for fsa in _fsas().values() if fsa.province == "Quebec"), key=lambda fsa: fsa.code)


def normalise_postal_code(raw: str) -> str:
    """`h2x 1y4`, `H2X-1Y4` → `H2X1Y4`; an FSA alone (`H2X`) is accepted too. Raises on a bad format."""
    compact = re.sub(r"[\s-]", "", raw).upper()
    if not _POSTAL_CODE.fullmatch(compact):
        raise INVALID_POSTAL_CODE
    return compact


def coordinates_of(postal_code: str) -> Point:
    """The centroid of the postal code's FSA."""
    fsa = _fsas().get(normalise_postal_code(postal_code)[:3])
    if fsa is None:
        raise UNKNOWN_POSTAL_CODE
    return fsa.point


def require_coordinates(latitude: float | None, longitude: float | None) -> Point:
    if latitude is None or longitude is None:
        field = "lat" if latitude is None else "lon"
        raise ApiError(
            422,
            "coordinates_incomplete",
            field,
            "Indiquez la latitude et la longitude.",
            "Give both the latitude and the longitude.",
        )
    if not -90.0 <= latitude <= 90.0:
        raise ApiError(
            422,
            "latitude_out_of_range",
            "lat",
            "La latitude doit être comprise entre -90 et 90.",
            "The latitude must be between -90 and 90.",
        )
    if not -180.0 <= longitude <= 180.0:
        raise ApiError(
            422,
            "longitude_out_of_range",
            "lon",
            "La longitude doit être comprise entre -180 et 180.",
            "The longitude must be between -180 and 180.",
        )
    return Point(latitude, longitude)


def search_centre(postal_code: str | None, latitude: float | None, longitude: float | None) -> Point:
    """Exactly one way of saying where: a postal code, or a pair of coordinates."""
    if postal_code is not None and (latitude is not None or longitude is not None):
        raise ApiError(
            422,
            "location_ambiguous",
            "postal_code",
            "Indiquez un code postal ou des coordonnées, pas les deux.",
            "Give a postal code or coordinates, not both.",
        )
    if postal_code is not None:
        return coordinates_of(postal_code)
    if latitude is None and longitude is None:
        raise ApiError(
            422,
            "location_required",
            "postal_code",
            "Indiquez un code postal ou des coordonnées.",
            "Give a postal code or coordinates.",
        )
    return require_coordinates(latitude, longitude)


def haversine_km(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, radius_km: float) -> BoundingBox:
    """A latitude/longitude box containing every point within `radius_km` of `centre`.

    It only prefilters on the (latitude, longitude) index; the exact distance decides. Near a pole,
    or when the box would wrap past ±180°, every longitude is kept: wider, never wrong.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = centre.latitude - dlat, centre.latitude + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span is reached at the latitude where the circle touches its meridians.
    ratio = math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(centre.latitude))
    if ratio >= 1.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio))
    min_lon, max_lon = centre.longitude - dlon, centre.longitude + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)


def search_terms(text: str | None) -> list[str]:
    """Free text → lower-case words without accents, all of which a service name must contain.

    Must agree with services.search_name (migration 0003), which folds the stored names the same way.
    """
    if not text:
        return []
    folded = fold(text)
    return [word for word in re.split(r"[^\w]+", folded) if word]


def fold(text: str) -> str:
    """Lower case, accents off: 'Dépistage' → 'depistage'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
