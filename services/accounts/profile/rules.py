"""The holder's own account, with no I/O: what a change touches, and the refusals of a change or a deletion."""

from collections.abc import Mapping

from shared.refusals import Refused


class AccountNotFound(Refused):
    """Deleted since the access token was issued."""


class WrongPassword(Refused):
    """Deleting the account takes its password."""


class WrongCurrentPassword(Refused):
    """A change of contact, password or NAM takes the current password."""


class InvalidNewValue(Refused):
    """The new email, phone or NAM of a sensitive change is not one."""


class InvalidEmail(InvalidNewValue):
    pass


class InvalidPhone(InvalidNewValue):
    pass


class InvalidNam(InvalidNewValue):
    pass


class NewValueTooLong(InvalidNewValue):
    pass


_BY_ERROR_TYPE: dict[str, type[InvalidNewValue]] = {
    "invalid_email": InvalidEmail,
    "invalid_phone": InvalidPhone,
    "invalid_nam": InvalidNam,
    "string_too_long": NewValueTooLong,
}


def invalid_new_value(error_type: str) -> InvalidNewValue:
    """The refusal for a validator's error type (pydantic's `type`)."""
    return _BY_ERROR_TYPE.get(error_type, InvalidNewValue)()


def changed_fields(current: Mapping[str, object], changes: Mapping[str, object]) -> list[str]:
    return sorted(k for k, v in changes.items() if current[k] != v)
