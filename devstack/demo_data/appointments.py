"""Demo catalogue: a few hundred establishments across Québec, their services, schedules and a month of slots.

Places come from Québec's forward sortation areas (FSAs starting with G, H or J) as shipped by the
`pypostalcode` package; its coordinates are from GeoNames (https://www.geonames.org), licensed
CC BY 4.0. Names, street addresses and phone numbers (555-01xx, reserved for fiction) are made up.

Idempotent: every id is derived from a name, slots come from catalogue's schedule rules with the same
derived ids the admin endpoints use, and whatever already exists (booked seats included) is kept.
The CLSC des Faubourgs, where the demo staff work, is created as an operator creates one (the establishments use
case, as `python -m services.appointments.cli create-establishment` does, reported for the audit log); the few
hundred others are written in bulk, with the same clinic rules per kind of service (cut-off, instructions).
Run: `python -m devstack.demo_data.appointments postgresql://...`
"""

import asyncio
import json
import random
import re
import sys
import time as clock
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import asyncpg

from services.appointments.catalogue import rules as schedules
from services.appointments.catalogue.rules import Fsa, Schedule, quebec_fsas
from services.appointments.cli import COMMAND_LINE_OPERATOR
from services.appointments.establishments import use_cases as establishments
from services.appointments.establishments.schemas import CreateEstablishmentRequest, NewServiceRequest
from shared.db import asyncpg_dsn, make_engine, make_sessionmaker
from shared.staff import OPERATOR, Staff
from shared.unit_of_work import UnitOfWork

# Same namespace as slot ids, so demo slots and staff-made slots share one id scheme.
NAMESPACE = schedules.SLOT_NAMESPACE

ESTABLISHMENT_ID = uuid.uuid5(NAMESPACE, "establishment/clsc-des-faubourgs")
SERVICE_ID = uuid.uuid5(NAMESPACE, "service/clsc-des-faubourgs/vaccination")

# Non-geographic FSAs (Santa Claus, the provincial government, single office towers).
SKIPPED_FSAS = frozenset({"H0H", "G1A", "H4Z", "H5A", "H5B"})

WEEKDAYS = frozenset({"mon", "tue", "wed", "thu", "fri"})


@dataclass(frozen=True)
class Kind:
    """A kind of service: its names, the slots its schedules open and its clinic rules."""

    slug: str
    name_fr: str
    name_en: str
    minutes: int
    capacity: int
    cutoff_hours: int = 0  # how late citizens may cancel or move online
    instructions_fr: str | None = None
    instructions_en: str | None = None


VACCINATION = Kind(
    "vaccination", "Vaccination", "Vaccination", 15, 3, 24,
    "Apportez votre carte d'assurance maladie et votre carnet de vaccination.",
    "Bring your health insurance card and vaccination booklet.",
)  # fmt: skip
BLOOD_TEST = Kind(
    "prise-de-sang", "Prise de sang", "Blood test", 10, 2, 12,
    "Apportez votre requête d'analyses. Si elle le demande, soyez à jeun depuis minuit (l'eau est permise).",
    "Bring your test requisition. If it says so, do not eat after midnight (water is fine).",
)  # fmt: skip
CONSULTATION = Kind(
    "consultation", "Consultation", "Consultation", 20, 1, 24,
    "Apportez votre carte d'assurance maladie et la liste de vos médicaments.",
    "Bring your health insurance card and the list of your medications.",
)  # fmt: skip
SCREENING = Kind(
    "depistage", "Dépistage", "Screening", 30, 2, 48,
    "Apportez votre carte d'assurance maladie.",
    "Bring your health insurance card.",
)  # fmt: skip


@dataclass(frozen=True)
class Model:
    """A kind of establishment: its name prefix, opening hours and what it may offer."""

    prefix: str
    hours: dict[str, list[tuple[str, str]]]
    offers: tuple[Kind, ...]  # the first always, then some of the others


CLSC = Model(
    "CLSC", {d: [("08:00", "16:00")] for d in ("mon", "tue", "wed", "thu", "fri")}, (VACCINATION, BLOOD_TEST, SCREENING)
)
CLINIC = Model(
    "Clinique médicale",
    {**{d: [("08:00", "20:00")] for d in ("mon", "tue", "wed", "thu", "fri")}, "sat": [("09:00", "12:00")]},
    (CONSULTATION, BLOOD_TEST, SCREENING),
)
PHARMACY = Model(
    "Pharmacie",
    {**{d: [("09:00", "21:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}, "sun": [("10:00", "17:00")]},
    (VACCINATION, SCREENING),
)

# When each kind takes appointments, inside the opening hours: (weekdays, opens, closes).
SESSIONS: dict[tuple[str, str], tuple[frozenset[str], time, time]] = {
    ("CLSC", "vaccination"): (WEEKDAYS, time(8, 30), time(15, 30)),
    ("CLSC", "prise-de-sang"): (WEEKDAYS, time(8, 0), time(10, 0)),
    ("CLSC", "depistage"): (frozenset({"tue", "thu"}), time(13, 0), time(16, 0)),
    ("Clinique médicale", "consultation"): (WEEKDAYS, time(9, 0), time(17, 0)),
    ("Clinique médicale", "prise-de-sang"): (frozenset({"mon", "wed", "fri"}), time(8, 0), time(10, 0)),
    ("Clinique médicale", "depistage"): (frozenset({"mon", "wed", "sat"}), time(9, 0), time(12, 0)),
    ("Pharmacie", "vaccination"): (frozenset({"tue", "thu", "sat"}), time(10, 0), time(16, 0)),
    ("Pharmacie", "depistage"): (frozenset({"wed", "sat"}), time(10, 0), time(14, 0)),
}

STREETS = (
    "rue Principale", "rue Notre-Dame", "rue Saint-Jean", "boulevard Saint-Laurent", "avenue du Parc",
    "rue King Ouest", "boulevard de l'Hôpital", "rue Sainte-Catherine", "chemin du Lac", "rue de l'Église",
    "boulevard des Laurentides", "rue Wellington", "avenue Cartier", "boulevard Taschereau", "rue du Couvent",
)  # fmt: skip
LETTERS = "ABCEGHJKLMNPRSTVWXYZ"  # the letters a postal code may use after its first character
DIRECTIONS = re.compile(
    r"(\s+(North|South|East|West|Northeast|Northwest|Southeast|Southwest|Central|Inner|Outer|Lower|Upper"
    r"|Riverbank|Mid-Riverbank|and|southeast|&))+$",
    re.IGNORECASE,
)
# GeoNames labels some places in English; the demo shows them as people there say them.
LOCAL_NAMES = {
    "Montreal": "Montréal",
    "Downtown Montreal": "Centre-ville",
    "Old Montreal": "Vieux-Montréal",
    "Mount Royal": "Mont-Royal",
    "Montreal North": "Montréal-Nord",
    "Montreal East": "Montréal-Est",
    "Montreal West": "Montréal-Ouest",
    "Quebec City": "Québec",
}


@dataclass(frozen=True)
class Place:
    fsa: str
    neighbourhood: str
    city: str
    region: str
    latitude: float
    longitude: float


def place_of(fsa: Fsa) -> Place:
    """Readable names from GeoNames' FSA labels, e.g. 'Gaspésie-Sud (New Richmond)', 'Verdun North'."""
    label = re.sub(r"-\s+", "-", fsa.place).strip()
    region, _, inner = label.partition(" (")
    if inner:
        town = inner.rstrip(")")
        return Place(fsa.code, town, town, region, fsa.point.latitude, fsa.point.longitude)
    neighbourhood = LOCAL_NAMES.get(label) or DIRECTIONS.sub("", label)
    neighbourhood = LOCAL_NAMES.get(neighbourhood, neighbourhood)
    city, region = _city_and_region(fsa.code, neighbourhood)
    return Place(fsa.code, neighbourhood, city, region, fsa.point.latitude, fsa.point.longitude)


def _city_and_region(code: str, neighbourhood: str) -> tuple[str, str]:
    # Approximate, by FSA prefix: enough for a demo's "region" label.
    if code[:2] in {"H1", "H2", "H3", "H4", "H8", "H9"}:
        return "Montréal", "Montréal"
    if code[:2] == "H7":
        return "Laval", "Laval"
    if code[:2] in {"G1", "G2", "G3"}:
        return (neighbourhood if code[:2] == "G3" else "Québec"), "Capitale-Nationale"
    if code[:2] == "G8" and code[2] >= "T":
        return neighbourhood, "Mauricie"
    if code in {"G5A", "G5B", "G5C"}:
        return neighbourhood, "Côte-Nord"
    regions = {
        "G4": "Côte-Nord", "G5": "Bas-Saint-Laurent", "G6": "Chaudière-Appalaches", "G7": "Saguenay–Lac-Saint-Jean",
        "G8": "Saguenay–Lac-Saint-Jean", "G9": "Mauricie", "J1": "Estrie", "J2": "Montérégie", "J3": "Montérégie",
        "J4": "Montérégie", "J5": "Lanaudière", "J6": "Lanaudière", "J7": "Laurentides", "J8": "Outaouais",
        "J9": "Abitibi-Témiscamingue",
    }  # fmt: skip
    return neighbourhood, regions.get(code[:2], "Québec")


def _area_code(code: str) -> str:
    if code[0] == "G":
        return "418"
    if code[0] == "H":
        return "450" if code[:2] == "H7" else "514"
    return "819" if code[:2] in {"J1", "J8", "J9"} else "450"


@dataclass(frozen=True)
class Establishment:
    id: uuid.UUID
    name: str
    address: str
    city: str
    postal_code: str
    latitude: float
    longitude: float
    phone: str
    region: str
    opening_hours: dict[str, list[tuple[str, str]]]
    model: Model
    kinds: tuple[Kind, ...]


def _establishment(place: Place, model: Model, rng: random.Random) -> Establishment:
    slug = f"{place.fsa.lower()}-{model.prefix.split()[0].lower()}"
    extras = rng.sample(model.offers[1:], rng.randint(0, len(model.offers) - 1))
    kinds = (model.offers[0], *sorted(extras, key=model.offers.index))
    ldu = f"{rng.randint(0, 9)}{rng.choice(LETTERS)}{rng.randint(0, 9)}"
    return Establishment(
        id=uuid.uuid5(NAMESPACE, f"establishment/{slug}"),
        name=f"{model.prefix} {place.neighbourhood}",
        address=f"{rng.randint(10, 9999)}, {rng.choice(STREETS)}",
        city=place.city,
        postal_code=f"{place.fsa} {ldu}",
        # Within about a kilometre of the FSA centroid, so neighbours do not share one point.
        latitude=round(place.latitude + rng.uniform(-0.01, 0.01), 6),
        longitude=round(place.longitude + rng.uniform(-0.014, 0.014), 6),
        phone=f"{_area_code(place.fsa)} 555-01{rng.randint(0, 99):02d}",
        region=place.region,
        opening_hours=model.hours,
        model=model,
        kinds=kinds,
    )


FAUBOURGS = Establishment(
    id=ESTABLISHMENT_ID,
    name="CLSC des Faubourgs",
    address="1705, rue de la Visitation",
    city="Montréal",
    postal_code="H2L 3C3",
    latitude=45.5246,
    longitude=-73.5578,
    phone="514 555-0100",
    region="Montréal",
    opening_hours=CLSC.hours,
    model=CLSC,
    kinds=(VACCINATION,),
)


def demo_establishments() -> list[Establishment]:
    """The Faubourgs CLSC, then one establishment per geographic Québec FSA (same ones on every run)."""
    rng = random.Random(20250301)
    models = (CLSC, CLINIC, CLINIC, PHARMACY, PHARMACY)
    places = [place_of(fsa) for fsa in quebec_fsas() if fsa.code not in SKIPPED_FSAS]
    establishments = [FAUBOURGS]
    names = {FAUBOURGS.name}
    for place in places:
        establishment = _establishment(place, rng.choice(models), rng)
        if establishment.name in names:  # two "Pharmacie Québec": tell them apart by their street
            street = establishment.address.split(", ", 1)[1]
            establishment = replace(establishment, name=f"{establishment.name} – {street}")
        if establishment.name in names:
            establishment = replace(establishment, name=f"{establishment.name} ({place.fsa})")
        names.add(establishment.name)
        establishments.append(establishment)
    return establishments


def service_id(establishment: Establishment, kind: Kind) -> uuid.UUID:
    if establishment.id == ESTABLISHMENT_ID and kind is VACCINATION:
        return SERVICE_ID
    return uuid.uuid5(NAMESPACE, f"service/{establishment.id}/{kind.slug}")


def schedule_for(establishment: Establishment, kind: Kind, first: date, days: int) -> Schedule:
    weekdays, opens, closes = SESSIONS[(establishment.model.prefix, kind.slug)]
    if establishment.id == ESTABLISHMENT_ID:
        weekdays, opens, closes = WEEKDAYS, time(8, 0), time(16, 0)  # as it always was
    return Schedule(weekdays, (opens, closes), kind.minutes, first, first + timedelta(days=days - 1))


def _as_created_by_an_operator(establishment: Establishment, capacity: int) -> CreateEstablishmentRequest:
    return CreateEstablishmentRequest.model_validate(
        {
            "name": establishment.name,
            "address": establishment.address,
            "city": establishment.city,
            "postal_code": establishment.postal_code,
            "region": establishment.region,
            "phone": establishment.phone,
            "opening_hours": establishment.opening_hours,
            "services": [
                NewServiceRequest(
                    name_fr=kind.name_fr,
                    name_en=kind.name_en,
                    duration_minutes=kind.minutes,
                    default_capacity=capacity if service_id(establishment, kind) == SERVICE_ID else kind.capacity,
                    cancel_cutoff_hours=kind.cutoff_hours,
                    instructions_fr=kind.instructions_fr,
                    instructions_en=kind.instructions_en,
                ).model_dump()
                for kind in establishment.kinds
            ],
        }
    )


async def create_faubourgs(database_url: str, capacity: int) -> bool:
    """The demo staff's establishment, as an operator creates one (the command line's operator acting), unless
    it exists. Whether it was created."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        uow = UnitOfWork(make_sessionmaker(engine))
        if await establishments.establishment_exists(uow, FAUBOURGS.id):
            return False
        await establishments.create_establishment(
            uow,
            Staff(COMMAND_LINE_OPERATOR, None, OPERATOR),
            _as_created_by_an_operator(FAUBOURGS, capacity),
            establishment_id=FAUBOURGS.id,
            service_ids=[service_id(FAUBOURGS, kind) for kind in FAUBOURGS.kinds],
        )
        return True
    finally:
        await engine.dispose()


async def load_demo_data(database_url: str, days: int = 30, capacity: int = 3) -> None:
    """`capacity` is the Faubourgs CLSC vaccination's seats per slot; other services use their kind's."""
    started = clock.perf_counter()
    await create_faubourgs(database_url, capacity)
    first = date.today()
    now = datetime.now(schedules.TZ)
    establishments = demo_establishments()
    service_rows, schedule_rows = [], []
    slot_rows: list[tuple[uuid.UUID, uuid.UUID, datetime, datetime, int]] = []
    starts_by_shape: dict[tuple[frozenset[str], time, time, int], Sequence[datetime]] = {}
    for establishment in establishments:
        for kind in establishment.kinds:
            sid = service_id(establishment, kind)
            seats = capacity if sid == SERVICE_ID else kind.capacity
            schedule = schedule_for(establishment, kind, first, days)
            service_rows.append(
                (sid, establishment.id, kind.name_fr, kind.name_en, kind.minutes, kind.capacity, kind.cutoff_hours,
                 kind.instructions_fr, kind.instructions_en)
            )  # fmt: skip
            schedule_rows.append(_schedule_row(establishment.id, sid, schedule, seats))
            # Many services share a shape: lay out their times once.
            shape = (schedule.weekdays, *schedule.hours, schedule.slot_minutes)
            if shape not in starts_by_shape:
                starts_by_shape[shape] = [s for s in schedules.slot_starts(schedule) if s > now]
            starts, ends = starts_by_shape[shape], timedelta(minutes=kind.minutes)
            slot_rows.extend(
                (slot, sid, start, start + ends, seats)
                for slot, start in zip(schedules.slot_ids(sid, starts), starts, strict=True)
            )
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.executemany(
                """INSERT INTO establishments (id, name, address, city, postal_code, latitude, longitude, timezone,
                                               phone, region, opening_hours)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'America/Montreal', $8, $9, $10::jsonb)
                ON CONFLICT (id) DO UPDATE SET phone = EXCLUDED.phone, region = EXCLUDED.region,
                                               opening_hours = EXCLUDED.opening_hours""",
                [
                    (e.id, e.name, e.address, e.city, e.postal_code, e.latitude, e.longitude, e.phone, e.region,
                     json.dumps(e.opening_hours))
                    for e in establishments
                    if e.id != FAUBOURGS.id  # created above, as an operator does
                ],
            )  # fmt: skip
            await conn.executemany(
                """INSERT INTO services (id, establishment_id, name_fr, name_en, duration_minutes, default_capacity,
                                         cancel_cutoff_hours, instructions_fr, instructions_en)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING""",
                service_rows,
            )
            await conn.executemany(
                """INSERT INTO schedules (id, establishment_id, service_id, weekdays, start_time, end_time,
                                          slot_minutes, capacity, valid_from, valid_to, fingerprint)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (service_id, fingerprint) DO NOTHING""",
                schedule_rows,
            )
            # COPY into a scratch table, then one INSERT that skips slots already there.
            await conn.execute(
                "CREATE TEMP TABLE demo_slots (id uuid, service_id uuid, starts_at timestamptz, "
                "ends_at timestamptz, capacity int) ON COMMIT DROP"
            )
            await conn.copy_records_to_table("demo_slots", records=slot_rows)
            inserted = await conn.execute(
                "INSERT INTO slots (id, service_id, starts_at, ends_at, capacity) "
                "SELECT id, service_id, starts_at, ends_at, capacity FROM demo_slots ON CONFLICT (id) DO NOTHING"
            )
        await conn.execute("ANALYZE establishments; ANALYZE services; ANALYZE slots")
    finally:
        await conn.close()
    print(
        f"demo catalogue: {len(establishments)} establishments, {len(service_rows)} services, "
        f"{len(slot_rows)} future slots ({inserted.split()[-1]} new) in {clock.perf_counter() - started:.1f} s",
        flush=True,
    )


def _schedule_row(establishment_id: uuid.UUID, sid: uuid.UUID, schedule: Schedule, seats: int) -> tuple[object, ...]:
    fingerprint = schedules.fingerprint(sid, schedule, seats)
    return (
        uuid.uuid5(NAMESPACE, f"schedule/{sid}/{fingerprint}"),
        establishment_id,
        sid,
        sorted(schedule.weekdays, key=schedules.WEEKDAYS.index),
        *schedule.hours,
        schedule.slot_minutes,
        seats,
        schedule.valid_from,
        schedule.valid_to,
        fingerprint,
    )


if __name__ == "__main__":
    asyncio.run(load_demo_data(sys.argv[1]))
