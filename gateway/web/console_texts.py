"""Wording of the console pages, French first, English on request (merged into texts.TEXTS)."""

TEXTS: dict[str, dict[str, str]] = {
    "fr": {},
    "en": {},
}
