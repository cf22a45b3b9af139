"""Citizens' association requests: their states and why deciding one is refused. No I/O."""

from shared.refusals import Refused

PENDING, ACCEPTED, REFUSED, WITHDRAWN = "pending", "accepted", "refused", "withdrawn"

MAX_LISTED = 200


class RequestNotFound(Refused):
    """Also another establishment's request: it does not exist for this clerk (404, as for every object)."""


class RequestAlreadyDecided(Refused):
    pass


class AlreadyAssociated(Refused):
    """A clinic already validated this person's association with the account."""
