"""Shows enough of an address for its owner to recognise it, not enough for anyone else to use it."""


def mask_email(address: str) -> str:
    """marie.tremblay@example.org -> m***@example.org (the domain stays: people recognise their provider)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"
