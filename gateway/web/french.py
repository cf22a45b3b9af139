"""French punctuation spacing, applied once to every French wording instead of remembered in each string.

As the Office québécois de la langue française recommends: a non-breaking space before the colon and inside
guillemets, a narrow non-breaking space (or none) before ?, ! and ;. An ordinary space there lets a phone's
narrow screen wrap the sign alone onto the next line.
"""

import re

_BEFORE_COLON = re.compile(r" (?=:)")
_BEFORE_TALL_SIGN = re.compile(r" (?=[?!;])")
_AFTER_OPENING_GUILLEMET = re.compile(r"« ")
_BEFORE_CLOSING_GUILLEMET = re.compile(r" »")


def typeset(text: str) -> str:
    text = _BEFORE_COLON.sub("\u00a0", text)
    text = _BEFORE_TALL_SIGN.sub("\u202f", text)
    text = _AFTER_OPENING_GUILLEMET.sub("«\u00a0", text)
    return _BEFORE_CLOSING_GUILLEMET.sub("\u00a0»", text)
