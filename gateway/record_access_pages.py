"""Who read my record (issue 22, item 4; Québec Law 25): what clinic staff did about the citizen and family.

The gateway composes it, and who may see what is decided once, by the appointments service: the page asks it for
the account's history (its own bookings, those of accounts linked by the NAM, a shared child's once both
associations are validated, bookings made without an account once a clinic validated the person: the very list
the citizen's history shows) and passes those appointments' ids to verification, which answers the audit rows
that name them, plus those about the account's own validations. Verification keeps no second copy of that rule,
which could drift from the appointments list's; and since its path is in no route of gateway/routes.py, a citizen
cannot hand it other ids. A day's list names every patient of the day: verification answers only the asked
appointments of it, and the page shows it under each of the family's people it names, with no count.

Grouped per person (the holder, then each dependant in the account's order), newest first; the staff member is
shown by role, never by name.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gateway.auth import Principal
from gateway.page_sessions import CitizenPage
from gateway.upstreams import Accounts, Appointments, Verification
from gateway.upstreams.verification import RecordAccessEntry
from gateway.web.dates import when
from gateway.web.pages import render
from gateway.web.record_access_texts import RECORD_ACCESS_TEXTS
from gateway.web.texts import language_of

router = APIRouter(prefix="/account/record-access", include_in_schema=False)


@dataclass
class PersonAccesses:
    key: str
    name: str
    is_holder: bool
    rows: list[dict[str, str]] = field(default_factory=list)


def _name_key(first_name: str, last_name: str) -> str:
    return f"{first_name.strip().casefold()} {last_name.strip().casefold()}"


def group_by_person(
    profile: dict[str, Any],
    family: list[dict[str, Any]],
    history: list[dict[str, Any]],
    entries: list[RecordAccessEntry],
    place_names: dict[str, str],
    lang: str,
) -> list[PersonAccesses]:
    """One group per person of the account, each entry under every person it concerns, newest first.

    An appointment belongs to the account's person it names; one booked from a linked account or without an
    account (or a shared child's, booked by the other parent under that parent's own record of the child) to
    the account's person of the same name, or else to a group of that name."""
    words = RECORD_ACCESS_TEXTS[lang]
    holder = PersonAccesses(str(profile["id"]), f"{profile['first_name']} {profile['last_name']}", True)
    people = [holder] + [PersonAccesses(str(p["id"]), f"{p['first_name']} {p['last_name']}", False) for p in family]
    by_id = {person.key: person for person in people}
    by_name: dict[str, PersonAccesses] = {}
    for source in [profile, *family]:  # the holder first: a homonym dependant does not take their entries
        by_name.setdefault(_name_key(source["first_name"], source["last_name"]), by_id[str(source["id"])])

    appointments = {str(a["id"]): a for a in history}

    def person_of(appointment: dict[str, Any]) -> PersonAccesses:
        found = by_id.get(str(appointment.get("person_id")))
        if found is None:
            key = _name_key(appointment["first_name"], appointment["last_name"])
            found = by_name.get(key)
            if found is None:
                found = PersonAccesses(key, f"{appointment['first_name']} {appointment['last_name']}", False)
                by_name[key] = found
                people.append(found)
        return found

    for entry in entries:  # newest first, as verification answers
        role = entry.get("staff_role")
        base = {
            "when": when(entry["at"], lang),
            "at": entry["at"],
            "action": words.get("action_" + entry["action"], entry["action"]),
            "action_code": entry["action"],
            "by": words["role_" + role] if role else words["role_unknown"],
            "place": place_names.get(str(entry.get("establishment_id")), words["unknown_place"]),
        }
        if entry["appointment_ids"]:
            for appointment_id in entry["appointment_ids"]:
                appointment = appointments.get(appointment_id)
                if appointment is None:  # verification answers only asked ids: cannot happen, shows nothing
                    continue
                service = appointment["service"]["name_fr" if lang == "fr" else "name_en"]
                about = f"{service} — {when(appointment['starts_at'], lang)}"
                place = appointment["place"]["name"]
                person_of(appointment).rows.append(base | {"about": about, "place": place})
        else:
            owner = by_id.get(str(entry.get("person_id")))
            if owner is not None:  # a person since removed from the account: no longer theirs to show
                owner.rows.append(base | {"about": words["about_account"]})
    return people


async def record_access(request: Request, principal: Principal) -> tuple[list[PersonAccesses], bool]:
    """The account's people with their entries, and whether any entry was found at all."""
    accounts, appointments = Accounts.of(request, principal), Appointments.of(request, principal)
    profile, family, history = await asyncio.gather(accounts.me(), accounts.dependants(), appointments.history())
    listed = history["appointments"]
    entries = await Verification.of(request, principal).record_access([str(a["id"]) for a in listed])
    places = {str(a["place"]["establishment_id"]): a["place"]["name"] for a in listed}
    missing = {str(e["establishment_id"]) for e in entries if e.get("establishment_id")} - places.keys()
    if missing:  # a validation at a clinic none of the listed appointments is at
        places |= await appointments.establishment_names(missing)
    people = group_by_person(dict(profile), [dict(p) for p in family], listed, entries, places, language_of(request))
    return people, bool(entries)


@router.get("", response_class=HTMLResponse)
async def record_access_page(request: Request, principal: CitizenPage) -> Response:
    people, any_entry = await record_access(request, principal)
    words = RECORD_ACCESS_TEXTS[language_of(request)]
    return render(request, "account/record_access.html", people=people, any_entry=any_entry, r=words, active="account")
