"""Wording of the site pages, French first, English on request (merged into texts.TEXTS)."""

TEXTS: dict[str, dict[str, str]] = {
    "fr": {},
    "en": {},
}
