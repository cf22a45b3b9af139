"""History rules, free of I/O: how a status reads in the history, and the history as documents the citizen
keeps: a PDF table and an iCalendar file."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypedDict
from zoneinfo import ZoneInfo

from fpdf import FPDF  # type: ignore[import-untyped]
from icalendar import Calendar, Event

# What the documents read of a history (history/schemas.py's HistoryResponse), so these rules depend on no
# schema module (and nothing it imports).


class _Place(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def postal_code(self) -> str: ...
    @property
    def timezone(self) -> str: ...


class _Service(Protocol):
    @property
    def name_fr(self) -> str: ...
    @property
    def name_en(self) -> str: ...


class HistoryEntry(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def place(self) -> _Place: ...
    @property
    def service(self) -> _Service: ...
    @property
    def first_name(self) -> str: ...
    @property
    def last_name(self) -> str: ...
    @property
    def state(self) -> str: ...


class History(Protocol):
    @property
    def holder_validated(self) -> bool: ...
    @property
    def generated_at(self) -> datetime: ...
    @property
    def appointments(self) -> Sequence[HistoryEntry]: ...


# FHIR statuses as the citizen reads them.
STATES = {
    "booked": "booked",
    "pending": "booked",
    "proposed": "booked",
    "waitlist": "booked",
    "arrived": "attended",
    "checked-in": "attended",
    "fulfilled": "attended",
    "cancelled": "cancelled",
    "entered-in-error": "cancelled",
    "noshow": "noshow",
}


STATE_LABELS = {
    "fr": {"booked": "Réservé", "attended": "Présent", "cancelled": "Annulé", "noshow": "Absent"},
    "en": {"booked": "Booked", "attended": "Attended", "cancelled": "Cancelled", "noshow": "No-show"},
}


class _Wording(TypedDict):
    title: str
    generated: str
    columns: tuple[str, ...]
    empty: str
    pending: str


TEXT: dict[str, _Wording] = {
    "fr": {
        "title": "Historique des rendez-vous",
        "generated": "Produit le",
        "columns": ("Date", "Patient", "Service", "Lieu", "État"),
        "empty": "Aucun rendez-vous.",
        "pending": "Les rendez-vous pris sans compte s'ajouteront après l'authentification dans un établissement.",
    },
    "en": {
        "title": "Appointment history",
        "generated": "Generated on",
        "columns": ("Date", "Patient", "Service", "Place", "State"),
        "empty": "No appointments.",
        "pending": "Appointments booked without an account are added once an establishment authenticates you.",
    },
}
WIDTHS = (34, 36, 40, 58, 22)  # millimetres, on A4 portrait's 190 mm of text width
# The PDF's core fonts are Latin-1: these common characters outside it get a faithful stand-in.
_OUTSIDE_LATIN1 = str.maketrans({"œ": "oe", "Œ": "OE", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"'})


def _latin1(value: str) -> str:
    return value.translate(_OUTSIDE_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _local(entry: HistoryEntry) -> str:
    return entry.starts_at.astimezone(ZoneInfo(entry.place.timezone)).strftime("%Y-%m-%d %H:%M")


def _service_name(entry: HistoryEntry, language: str) -> str:
    return entry.service.name_fr if language == "fr" else entry.service.name_en


def history_pdf(history: History, language: str) -> bytes:
    text = TEXT[language]
    pdf = FPDF(format="A4")
    pdf.set_title(text["title"])
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(text["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    generated = history.generated_at.astimezone(ZoneInfo("America/Montreal")).strftime("%Y-%m-%d %H:%M")
    pdf.cell(0, 6, f"{text['generated']} {generated}", new_x="LMARGIN", new_y="NEXT")
    if not history.holder_validated:
        pdf.multi_cell(0, 5, _latin1(text["pending"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not history.appointments:
        pdf.cell(0, 8, _latin1(text["empty"]), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
    with pdf.table(col_widths=WIDTHS, text_align="LEFT", line_height=5) as table:
        header = table.row()
        for title in text["columns"]:
            header.cell(_latin1(title))
        for entry in history.appointments:
            row = table.row()
            place = f"{entry.place.name}, {entry.place.address}, {entry.place.city}"
            for value in (
                _local(entry),
                f"{entry.first_name} {entry.last_name}",
                _service_name(entry, language),
                place,
                STATE_LABELS[language][entry.state],
            ):
                row.cell(_latin1(value))
    return bytes(pdf.output())


def history_ics(history: History, language: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Rendez-vous sante//history//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", TEXT[language]["title"])
    for entry in history.appointments:
        event = Event()
        event.add("uid", f"{entry.id}@rendezvous-sante")
        event.add("dtstamp", history.generated_at)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", f"{_service_name(entry, language)} — {entry.place.name}")
        place = entry.place
        event.add("location", f"{place.name}, {place.address}, {place.city} {place.postal_code}")
        event.add("description", f"{entry.first_name} {entry.last_name} — {STATE_LABELS[language][entry.state]}")
        event.add("status", "CANCELLED" if entry.state == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
