"""Searching the help: accent- and case-insensitive, by word beginnings, in one language (no I/O)."""

import re
import unicodedata
from collections.abc import Sequence

from gateway.web.help_content import ENTRIES, HelpEntry

_WORD = re.compile(r"\w+")
# A word found in the question says more about the entry than one lost in the answer.
_QUESTION_WEIGHT = 3
# Shorter terms must match whole words: "NAM" is not the beginning of "name".
_PREFIX_FROM = 4


def fold(text: str) -> str:
    """'Supprimer', 'SUPPRIMER' and 'suppriMér' all become 'supprimer'; œ becomes oe."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def terms(query: str) -> list[str]:
    return _WORD.findall(fold(query))


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _hits(words: Sequence[str], term: str) -> int:
    # Word beginnings, so a half-typed "supprim" already finds "supprimer".
    if len(term) < _PREFIX_FROM:
        return sum(word == term for word in words)
    return sum(word.startswith(term) for word in words)


def search(query: str, lang: str, entries: Sequence[HelpEntry] = ENTRIES) -> list[HelpEntry]:
    """Entries holding every term of the query, best first; all entries for an empty query."""
    wanted = terms(query)
    if not wanted:
        return list(entries)
    scored: list[tuple[int, int, HelpEntry]] = []
    for position, entry in enumerate(entries):
        question, everything = _words(entry.question(lang)), _words(entry.text(lang))
        if all(_hits(everything, term) for term in wanted):
            score = sum(_QUESTION_WEIGHT * _hits(question, term) + _hits(everything, term) for term in wanted)
            scored.append((-score, position, entry))
    return [entry for _, _, entry in sorted(scored, key=lambda item: item[:2])]
