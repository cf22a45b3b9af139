"""The services as the pages see them: one small typed client per service, which checks the status before
anyone reads the body (base.py), and holds that service's paths and answers' types."""

from gateway.proxy import UpstreamUnavailable
from gateway.upstreams.accounts import Accounts, Challenge, Dependant, Person, Profile, StaffProfile
from gateway.upstreams.appointments import (
    Appointment,
    Appointments,
    BookedAppointment,
    FrontDeskEntry,
    ManageAction,
    OfferedService,
    SearchResult,
    Slot,
)
from gateway.upstreams.base import ErrorItem, Upstream, UpstreamRefusal
from gateway.upstreams.verification import AuditEntry, Verification

__all__ = [
    "Accounts",
    "Appointment",
    "Appointments",
    "AuditEntry",
    "BookedAppointment",
    "Challenge",
    "Dependant",
    "ErrorItem",
    "FrontDeskEntry",
    "ManageAction",
    "OfferedService",
    "Person",
    "Profile",
    "SearchResult",
    "Slot",
    "StaffProfile",
    "Upstream",
    "UpstreamRefusal",
    "UpstreamUnavailable",
    "Verification",
]
