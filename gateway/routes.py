"""The gateway's routing table: which public path goes to which service, and for whom."""

from dataclasses import dataclass

GET, POST = frozenset({"GET"}), frozenset({"POST"})
GET_POST = GET | POST
ANY = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    public_prefix: str
    service: str
    upstream_prefix: str
    methods: frozenset[str]
    audience: str = "public"  # public | not_staff | citizen | staff: checked by the gateway before proxying

    def upstream_path(self, public_path: str) -> str | None:
        """The prefix's upstream path plus the remainder, or None when the remainder could climb out of it.

        The gateway refuses non-canonical paths before routing (gateway/canonical_path.py); this keeps the
        table safe on its own, since the upstream client would resolve a `..` it was handed.
        """
        if public_path == self.public_prefix:
            return self.upstream_prefix
        if not public_path.startswith(self.public_prefix + "/"):
            return None
        remainder = public_path[len(self.public_prefix) :]
        if any(segment in ("", ".", "..") for segment in remainder[1:].split("/")) or "\\" in remainder:
            return None
        return self.upstream_prefix + remainder


ROUTES: tuple[Route, ...] = (
    Route("/api/establishments", "appointments", "/establishments", GET),
    Route("/api/slots", "appointments", "/slots", GET),
    Route("/api/search", "appointments", "/search", GET),
    Route("/api/services", "appointments", "/services", GET),
    Route("/api/appointments", "appointments", "/appointments", POST),
    Route("/api/my/appointments", "appointments", "/my/appointments", ANY, audience="citizen"),
    Route("/api/my/history", "appointments", "/my/history", GET, audience="citizen"),
    # Joining is composed by the gateway from the account (gateway/composition.py); the rest is the citizen's own.
    Route("/api/my/waitlist", "appointments", "/my/waitlist", GET_POST, audience="citizen"),
    # Without an account: joining (limited per client address as bookings are), an entry or an offer by its token.
    Route("/api/waitlist", "appointments", "/waitlist", GET_POST),
    Route("/api/admin/establishments", "appointments", "/admin/establishments", ANY, audience="staff"),
    Route("/api/operator/establishments", "appointments", "/operator/establishments", ANY, audience="staff"),
    Route("/api/registrations", "accounts", "/registrations", POST, audience="not_staff"),
    Route("/api/codes", "accounts", "/codes", POST),
    Route("/api/sessions", "accounts", "/sessions", POST),
    Route("/api/password-resets", "accounts", "/password-resets", POST),
    Route("/api/me", "accounts", "/me", ANY, audience="citizen"),
    Route("/api/staff/sessions", "accounts", "/staff/sessions", POST),
    Route("/api/staff/invitations", "accounts", "/staff/invitations", POST),
    Route("/api/admin/staff", "accounts", "/admin/staff", ANY, audience="staff"),
    Route("/api/operator/staff", "accounts", "/operator/staff", ANY, audience="staff"),
    Route("/api/challenges", "verification", "/challenges", GET_POST),
    # Filing one is composed by the gateway (gateway/association_requests.py); listing is the citizen's own.
    Route("/api/my/association-requests", "verification", "/my/association-requests", GET, audience="citizen"),
    Route("/api/admin/verification", "verification", "/admin", ANY, audience="staff"),
)


def resolve(path: str, method: str) -> tuple[Route, str] | None:
    for route in ROUTES:
        upstream = route.upstream_path(path)
        if upstream is not None and method in route.methods:
            return route, upstream
    return None
