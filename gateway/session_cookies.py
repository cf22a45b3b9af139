"""The session cookies' names and flags: the one place that sets, clears and names them.

By default every cookie is `Secure` and named with the `__Host-` prefix, which a browser accepts only from
HTTPS, with `Path=/` and no `Domain`: a sibling subdomain or a plain-HTTP page cannot plant or overwrite it.
Browsers refuse both over http://127.0.0.1, so `make run`, the tests and `make verify` set
GATEWAY_INSECURE_COOKIES=true (plain names, no Secure), which the settings refuse in production.
"""

from typing import Literal

from fastapi import Response

SameSite = Literal["lax", "strict"]


class SessionCookies:
    def __init__(self, secure: bool) -> None:
        self.secure = secure
        prefix = "__Host-" if secure else ""
        # Citizens: SameSite=Lax, so a link from an email opens the portal signed in.
        self.citizen_access = f"{prefix}access_token"
        self.citizen_refresh = f"{prefix}refresh_token"
        # Staff: their own cookies, so a citizen session in the same browser never mixes in; SameSite=Strict.
        self.staff_access = f"{prefix}staff_access_token"
        self.staff_refresh = f"{prefix}staff_refresh_token"

    def set(self, response: Response, name: str, value: str, max_age: int, samesite: SameSite) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=self.secure, httponly=True, samesite=samesite
        )

    def clear(self, response: Response, name: str, samesite: SameSite) -> None:
        # With the same flags: a browser ignores a `__Host-` cookie's deletion that lacks Secure.
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite=samesite)

    def set_citizen_session(self, response: Response, tokens: dict[str, int | str]) -> None:
        """An accounts TokenResponse: the refresh cookie lasts as long as the session on the server."""
        self.set(response, self.citizen_access, str(tokens["access_token"]), int(tokens["expires_in"]), "lax")
        self.set(response, self.citizen_refresh, str(tokens["refresh_token"]), int(tokens["refresh_expires_in"]), "lax")

    def clear_citizen_session(self, response: Response) -> None:
        self.clear(response, self.citizen_access, "lax")
        self.clear(response, self.citizen_refresh, "lax")

    def set_staff_session(self, response: Response, tokens: dict[str, int | str]) -> None:
        self.set(response, self.staff_access, str(tokens["access_token"]), int(tokens["expires_in"]), "strict")
        self.set(
            response, self.staff_refresh, str(tokens["refresh_token"]), int(tokens["refresh_expires_in"]), "strict"
        )

    def clear_staff_session(self, response: Response) -> None:
        self.clear(response, self.staff_access, "strict")
        self.clear(response, self.staff_refresh, "strict")


# Every name a session cookie may have, in either mode: what marks a request as cookie-authenticated
# (gateway/csrf.py).
SESSION_COOKIES: tuple[str, ...] = tuple(
    name
    for cookies in (SessionCookies(secure=True), SessionCookies(secure=False))
    for name in (cookies.citizen_access, cookies.citizen_refresh, cookies.staff_access, cookies.staff_refresh)
)
