"""The citizen's export as a readable PDF (French or English): the same document as the JSON, section by section,
in tables a person reads; the JSON stays the complete, machine-readable copy."""

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF  # type: ignore[import-untyped]

from gateway.data_export import MyDataExport

MONTREAL = ZoneInfo("America/Montreal")
# The PDF's core fonts are Latin-1: these common characters outside it get a faithful stand-in.
_OUTSIDE_LATIN1 = str.maketrans(
    {"œ": "oe", "Œ": "OE", "—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "•": "*"}
)

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Mes données - Rendez-vous santé",
        "generated": "Produit le",
        "intro": "Tout ce que la plateforme conserve sur votre compte et votre famille. Le fichier JSON joint contient "
        "les mêmes renseignements sous une forme lisible par machine (structure : /api/export-schema).",
        "profile": "Profil",
        "family": "Personnes à charge",
        "appointments": "Rendez-vous et historique",
        "waitlist": "Listes d'attente",
        "validations": "Validations par un établissement",
        "requests": "Demandes d'association",
        "notices": "Avis envoyés",
        "reminders": "Rappels prévus",
        "sessions": "Connexions (début de session)",
        "codes": "Codes à 6 chiffres envoyés",
        "record_access": "Qui a consulté mon dossier",
        "role": "Rôle",
        "links": "Comptes liés (même NAM)",
        "none": "Aucun.",
        "name": "Nom", "birth_date": "Date de naissance", "sex": "Sexe", "nam": "NAM (masqué)", "email": "Courriel",
        "phone": "Cellulaire", "language": "Langue", "address": "Adresse", "notify": "Avis par",
        "created": "Compte créé le", "status": "État", "date": "Date", "patient": "Patient", "service": "Service",
        "place": "Lieu", "kind": "Type", "channel": "Canal", "recipient": "Destinataire", "subject": "Objet",
        "establishment": "Établissement", "validated": "Validé le", "ended": "Fin", "period": "Période",
        "times": "Moments", "person": "Personne", "requested": "Demandé le", "decided": "Décidé le",
        "started": "Début", "revoked": "Fin", "due": "Prévu le", "purpose": "Objet", "identity": "Identité",
        "association": "Association", "yes": "oui", "no": "non",
    },
    "en": {
        "title": "My data - Rendez-vous santé",
        "generated": "Generated on",
        "intro": "Everything the platform keeps about your account and your family. The JSON file holds the same "
        "information in a machine-readable form (structure: /api/export-schema).",
        "profile": "Profile",
        "family": "Dependants",
        "appointments": "Appointments and history",
        "waitlist": "Waitlists",
        "validations": "Validations by an establishment",
        "requests": "Association requests",
        "notices": "Notices sent",
        "reminders": "Reminders planned",
        "sessions": "Sign-ins (session start)",
        "codes": "6-digit codes sent",
        "record_access": "Who read my record",
        "role": "Role",
        "links": "Linked accounts (same NAM)",
        "none": "None.",
        "name": "Name", "birth_date": "Birth date", "sex": "Sex", "nam": "NAM (masked)", "email": "E-mail",
        "phone": "Mobile", "language": "Language", "address": "Address", "notify": "Notices by",
        "created": "Account created on", "status": "Status", "date": "Date", "patient": "Patient", "service": "Service",
        "place": "Place", "kind": "Kind", "channel": "Channel", "recipient": "Recipient", "subject": "Subject",
        "establishment": "Establishment", "validated": "Validated on", "ended": "Ended", "period": "Period",
        "times": "Times of day", "person": "Person", "requested": "Requested on", "decided": "Decided on",
        "started": "Started", "revoked": "Ended", "due": "Due", "purpose": "Purpose", "identity": "Identity",
        "association": "Association", "yes": "yes", "no": "no",
    },
}  # fmt: skip


# The codes the JSON keeps, as a reader of the PDF reads them; a code not listed here is shown as it is.
LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "active": "actif", "pending": "en attente", "booked": "réservé", "arrived": "présent",
        "checked-in": "présent", "fulfilled": "terminé", "cancelled": "annulé", "noshow": "absent",
        "entered-in-error": "annulé", "waiting": "en attente", "offered": "place offerte", "left": "quitté",
        "ended": "terminé", "open": "offerte", "accepted": "acceptée", "declined": "refusée", "expired": "expirée",
        "refused": "refusée", "withdrawn": "retirée", "sent": "envoyé", "failed": "échec", "suppressed": "non envoyé",
        "queued": "envoyé", "skipped": "non envoyé", "passed": "utilisé", "issued": "envoyé",
        "superseded": "remplacé", "throttled": "non envoyé", "morning": "matin", "afternoon": "après-midi",
        "evening": "soir", "clerk": "commis", "manager": "gestionnaire", "email": "courriel", "sms": "texto",
        "identity_validated": "identité validée", "association_validated": "association validée",
        "association_request_accepted": "demande d'association acceptée",
        "association_request_refused": "demande d'association refusée",
        "patient_records_viewed:day_list": "liste du jour consultée",
        "patient_records_viewed:appointment": "dossier ouvert", "caller_booked": "rendez-vous pris par la clinique",
        "caller_rescheduled": "rendez-vous déplacé par la clinique",
        "caller_cancelled": "rendez-vous annulé par la clinique",
    },
    "en": {
        "pending": "pending", "checked-in": "arrived", "fulfilled": "attended", "noshow": "no-show",
        "entered-in-error": "cancelled", "offered": "seat offered", "open": "offered", "suppressed": "not sent",
        "queued": "sent", "skipped": "not sent", "passed": "used", "issued": "sent", "throttled": "not sent",
        "email": "e-mail", "sms": "text", "identity_validated": "identity validated",
        "association_validated": "association validated",
        "association_request_accepted": "association request accepted",
        "association_request_refused": "association request refused",
        "patient_records_viewed:day_list": "day list viewed", "patient_records_viewed:appointment": "record opened",
        "caller_booked": "booked by the clinic", "caller_rescheduled": "moved by the clinic",
        "caller_cancelled": "cancelled by the clinic",
    },
}  # fmt: skip


def _latin1(value: object) -> str:
    text = "" if value is None else str(value)
    return text.translate(_OUTSIDE_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(MONTREAL).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


class _Document:
    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(_latin1(title))
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.add_page()

    def heading(self, text: str, size: int = 13) -> None:
        if self.pdf.will_page_break(25):  # a heading never ends a page, away from what it introduces
            self.pdf.add_page()
        self.pdf.ln(3)
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Helvetica", "", 9)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font("Helvetica", "", 9)
        self.pdf.multi_cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def table(
        self, columns: Sequence[str] | None, rows: Sequence[Sequence[object]], widths: Sequence[int], none: str
    ) -> None:
        """`columns` None: a two-column list of labels and values, without a heading row."""
        if not rows:
            self.paragraph(none)
            return
        self.pdf.set_font("Helvetica", "", 8)
        with self.pdf.table(
            col_widths=tuple(widths), text_align="LEFT", line_height=4.5, first_row_as_headings=columns is not None
        ) as table:
            if columns is not None:
                header = table.row()
                for title in columns:
                    header.cell(_latin1(title))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_latin1(value))
        self.pdf.set_font("Helvetica", "", 9)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def export_pdf(document: MyDataExport, language: str) -> bytes:
    w = WORDS["en" if language == "en" else "fr"]
    labels = LABELS["en" if language == "en" else "fr"]

    def said(code: str | None) -> str:
        return labels.get(code or "", code or "")

    pdf = _Document(w["title"])
    pdf.heading(w["title"], 16)
    pdf.paragraph(f"{w['generated']} {_when(document.generated_at)}")
    pdf.paragraph(w["intro"])
    names = {str(e.id): e.name for e in document.establishments}

    def service(name_fr: str, name_en: str) -> str:
        return name_en if language == "en" else name_fr

    p = document.account.profile
    pdf.heading(w["profile"])
    channels = ", ".join(c for c, on in (("e-mail", p.notify_email), ("SMS", p.notify_sms)) if on) or w["none"]
    address = ", ".join(part for part in (p.address, p.city, p.postal_code) if part)
    pdf.table(
        None,
        [
            (w["name"], f"{p.first_name} {p.last_name}"),
            (w["birth_date"], _day(p.birth_date)),
            (w["sex"], p.sex),
            (w["nam"], p.nam or ""),
            (w["email"], p.email or ""),
            (w["phone"], p.phone or ""),
            (w["language"], p.language),
            (w["address"], address),
            (w["notify"], channels),
            (w["status"], said(p.status)),
            (w["created"], _when(p.created_at)),
        ],
        (50, 140),
        w["none"],
    )
    pdf.heading(w["family"])
    pdf.table(
        (w["name"], w["birth_date"], w["sex"], w["nam"]),
        [
            (f"{d.first_name} {d.last_name}", _day(d.birth_date), d.sex, d.nam or "")
            for d in document.account.dependants
        ],
        (80, 40, 20, 50),
        w["none"],
    )
    group = document.account.link_group
    if group is not None:
        pdf.heading(w["links"])
        pdf.paragraph(", ".join(str(i) for i in group.account_ids))

    pdf.heading(w["appointments"])
    pdf.table(
        (w["date"], w["patient"], w["service"], w["place"], w["status"]),
        [
            (
                _when(a.starts_at),
                f"{a.first_name} {a.last_name}",
                service(a.service.name_fr, a.service.name_en),
                f"{a.place.name}, {a.place.address}, {a.place.city}",
                said(a.status),
            )
            for a in document.appointments.appointments
        ],
        (30, 38, 40, 62, 20),
        w["none"],
    )
    pdf.heading(w["waitlist"])
    pdf.table(
        (w["person"], w["service"], w["establishment"], w["period"], w["times"], w["status"]),
        [
            (
                f"{e.first_name} {e.last_name}",
                service(e.service.name_fr, e.service.name_en),
                e.establishment_name,
                f"{_day(e.from_date)} - {_day(e.to_date)}",
                ", ".join(said(t) for t in e.times_of_day),
                said(e.status),
            )
            for e in document.appointments.waitlist
        ],
        (32, 32, 40, 36, 30, 20),
        w["none"],
    )
    v = document.verification
    pdf.heading(w["validations"])
    validations: list[tuple[object, ...]] = [
        (w["identity"], _when(i.validated_at), names.get(str(i.establishment_id), ""), _when(i.invalidated_at))
        for i in v.identity_validations
    ]
    validations += [
        (w["association"], _when(a.validated_at), names.get(str(a.establishment_id), ""), _when(a.revoked_at))
        for a in v.association_validations
    ]
    pdf.table((w["kind"], w["validated"], w["establishment"], w["ended"]), validations, (35, 35, 85, 35), w["none"])
    pdf.heading(w["requests"])
    pdf.table(
        (w["requested"], w["establishment"], w["status"], w["decided"]),
        [
            (_when(r.requested_at), names.get(str(r.establishment_id), ""), said(r.status), _when(r.decided_at))
            for r in v.association_requests
        ],
        (35, 85, 35, 35),
        w["none"],
    )
    pdf.heading(w["record_access"])
    pdf.table(
        (w["date"], w["establishment"], w["kind"], w["role"]),
        [
            (_when(r.at), names.get(str(r.establishment_id), ""), said(r.action), said(r.staff_role))
            for r in v.record_access
        ],
        (35, 75, 50, 30),
        w["none"],
    )
    n = document.notifications
    pdf.heading(w["notices"])
    pdf.table(
        (w["date"], w["kind"], w["channel"], w["recipient"], w["subject"], w["status"]),
        [
            (_when(x.sent_at or x.created_at), x.kind, said(x.channel), x.recipient, x.subject, said(x.status))
            for x in n.notices
        ],
        (28, 30, 14, 45, 55, 18),
        w["none"],
    )
    pdf.heading(w["reminders"])
    pdf.table(
        (w["due"], w["date"], w["channel"], w["status"]),
        [
            (_when(r.due_at), _when(r.starts_at), ", ".join(said(c) for c in r.destinations), said(r.state))
            for r in n.reminders
        ],
        (45, 45, 50, 50),
        w["none"],
    )
    pdf.heading(w["codes"])
    pdf.table(
        (w["date"], w["purpose"], w["channel"], w["status"]),
        [(_when(c.created_at), c.purpose, said(c.channel), said(c.status)) for c in v.codes],
        (45, 60, 40, 45),
        w["none"],
    )
    pdf.heading(w["sessions"])
    pdf.table(
        (w["started"], w["revoked"]),
        [(_when(s.started_at), _when(s.revoked_at)) for s in document.account.sessions],
        (95, 95),
        w["none"],
    )
    return pdf.output()
