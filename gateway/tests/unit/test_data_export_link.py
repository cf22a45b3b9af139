"""The data export's download link: signed for one account and one session, for 15 minutes."""

import time

import jwt
import pytest

from gateway.auth import Principal
from gateway.data_export import LINK_SECONDS, LinkExpired, LinkForeign, check_link, sign_link

KEY = b"k" * 32


def _citizen(subject: str, session: str) -> Principal:
    token = jwt.encode({"sub": subject, "sid": session}, "any", algorithm="HS256")
    return Principal(subject=subject, audience="citizen", token=token)


def test_the_link_opens_for_its_account_and_session_until_it_expires():
    holder = _citizen("a1", "s1")
    now = time.time()
    link, expires_at = sign_link(KEY, holder, now)
    assert expires_at == int(now) + LINK_SECONDS
    assert check_link(KEY, link, holder, now + LINK_SECONDS - 1).account_id == "a1"
    with pytest.raises(LinkExpired):
        check_link(KEY, link, holder, now + LINK_SECONDS + 1)


def test_another_account_another_session_a_forged_or_altered_link_is_foreign():
    holder = _citizen("a1", "s1")
    link, _ = sign_link(KEY, holder)
    for other in (_citizen("a2", "s1"), _citizen("a1", "s2")):
        with pytest.raises(LinkForeign):
            check_link(KEY, link, other)
    with pytest.raises(LinkForeign):
        check_link(b"another key" * 3, link, holder)
    body, _, signature = link.partition(".")
    with pytest.raises(LinkForeign):
        check_link(KEY, body[:-2] + "xx." + signature, holder)
    with pytest.raises(LinkForeign):
        check_link(KEY, "garbage", holder)


def test_a_link_with_characters_no_signature_has_is_foreign_not_a_crash():
    # compare_digest refuses str holding non-ASCII characters (TypeError: a 500 on the download).
    holder = _citizen("a1", "s1")
    link, _ = sign_link(KEY, holder)
    body, _, signature = link.partition(".")
    for forged in (f"{body}.{signature[:-1]}é", f"{body}.€", "é.é"):
        with pytest.raises(LinkForeign):
            check_link(KEY, forged, holder)
