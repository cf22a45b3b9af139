"""The accounts service as the pages see it: citizens' accounts, family, sign-in, and staff members."""

from typing import Any, TypedDict

from gateway.upstreams.base import Upstream


class Challenge(TypedDict):
    challenge_id: str
    channel: str
    sent_to: str


class Profile(TypedDict):
    id: str
    first_name: str
    last_name: str
    birth_date: str
    email: str | None
    phone: str | None
    nam: str | None
    address: str | None
    city: str | None
    postal_code: str | None
    notify_email: bool
    notify_sms: bool


class Dependant(TypedDict):
    id: str
    first_name: str
    last_name: str
    birth_date: str | None
    sex: str  # F, M or X


class Person(TypedDict):
    id: str  # "" for the account holder
    name: str
    self: bool


class StaffRole(TypedDict):
    establishment_id: str
    role: str  # clerk | manager


class StaffProfile(TypedDict):
    id: str
    name: str
    role: str  # clerk | manager | operator, "" before choosing among several establishments
    establishment_id: str | None
    operator: bool
    roles: list[StaffRole]
    email: str


class StaffName(TypedDict):
    id: str
    name: str
    role: str


class Accounts(Upstream):
    service = "accounts"

    # --- sessions (citizens' and staff's) ---
    async def log_in(self, identifier: str, password: str) -> dict[str, Any]:
        payload = {"identifier": identifier, "password": password}
        tokens: dict[str, Any] = await self.post("/sessions", payload, expect=(200,))
        return tokens

    async def staff_log_in(self, email: str, password: str) -> dict[str, Any]:
        payload = {"email": email, "password": password}
        opened: dict[str, Any] = await self.post("/staff/sessions", payload, expect=(200,))
        return opened

    async def staff_second_factor(self, challenge: str, code: str) -> dict[str, Any]:
        """A TOTP or recovery code for the challenge the password opened: the staff session's tokens."""
        payload = {"challenge": challenge, "code": code}
        tokens: dict[str, Any] = await self.post("/staff/sessions/totp", payload, expect=(200,))
        return tokens

    async def staff_enrol(self, challenge: str, code: str) -> dict[str, Any]:
        """The first code of a newly shown secret: the session's tokens and the recovery codes, shown once."""
        payload = {"challenge": challenge, "code": code}
        enrolled: dict[str, Any] = await self.post("/staff/sessions/enrolment", payload, expect=(200,))
        return enrolled

    async def choose_establishment(self, establishment_id: str, refresh_token: str) -> dict[str, Any]:
        """Tokens of the same session, now for that establishment (the refresh token is rotated)."""
        payload = {"establishment_id": establishment_id, "refresh_token": refresh_token}
        tokens: dict[str, Any] = await self.post("/staff/sessions/establishment", payload, expect=(200,))
        return tokens

    async def log_out(self, refresh_token: str) -> None:
        await self.call("POST", "/sessions/logout", {"refresh_token": refresh_token}, expect=(204,))

    async def staff_profile(self) -> StaffProfile:
        """The signed-in staff member's own record: their name for the console's header."""
        profile: StaffProfile = await self.get("/staff/me")
        return profile

    async def staff_names(self, establishment_id: str) -> list[StaffName]:
        """The establishment's staff by name and role (its managers only): who did what in the audit log."""
        listed = await self.get("/staff", f"establishment_id={establishment_id}")
        staff: list[StaffName] = listed["staff"]
        return staff

    # --- the citizen account pages' calls (gateway/account_pages.py) ---
    async def register(self, payload: dict[str, Any]) -> Challenge:
        challenge: Challenge = await self.post("/registrations", payload, expect=(202,))
        return challenge

    async def reset_password(self, identifier: str, new_password: str) -> Challenge:
        payload = {"identifier": identifier, "new_password": new_password}
        challenge: Challenge = await self.post("/password-resets", payload, expect=(202,))
        return challenge

    async def resend_code(self, challenge_id: str) -> Challenge:
        challenge: Challenge = await self.post(f"/codes/{challenge_id}/resend", {}, expect=(202,))
        return challenge

    async def me(self) -> Profile:
        profile: Profile = await self.get("/me")
        return profile

    async def update_me(self, payload: dict[str, Any]) -> Profile:
        profile: Profile = (await self.call("PATCH", "/me", payload)).json()
        return profile

    async def dependants(self) -> list[Dependant]:
        family: list[Dependant] = await self.get("/me/dependants")
        return family

    async def add_dependant(self, payload: dict[str, Any]) -> Dependant:
        added: Dependant = await self.post("/me/dependants", payload, expect=(201,))
        return added

    async def remove_dependant(self, dependant_id: str) -> None:
        await self.call("DELETE", f"/me/dependants/{dependant_id}", expect=(200, 204))

    async def sensitive_change(self, kind: str, new_value: str, current_password: str) -> Challenge:
        payload = {"kind": kind, "new_value": new_value, "current_password": current_password}
        challenge: Challenge = await self.post("/me/sensitive-changes", payload, expect=(202,))
        return challenge

    async def delete_me(self, password: str) -> None:
        await self.call("POST", "/me/delete", {"password": password}, expect=(204,))

    # --- booking from the account (the portal, gateway/composition.py) ---
    async def people(self) -> list[Person]:
        """Whom a signed-in citizen may book for: themselves first, then their family."""
        me = await self.me()
        family = await self.dependants()
        return [Person(id="", name=f"{me['first_name']} {me['last_name']}", self=True)] + [
            Person(id=str(d["id"]), name=f"{d['first_name']} {d['last_name']}", self=False) for d in family
        ]

    async def booking_form(self, person_id: str | None) -> dict[str, Any]:
        """What a booking from the account says of the person (the holder when None), from the account's data."""
        form: dict[str, Any] = await self.get("/me/booking-form", f"person_id={person_id}" if person_id else "")
        return form

    # --- staff invitations (the link's page, no sign-in) ---
    async def invitation(self, token: str) -> dict[str, Any]:
        """{email, establishment_id, role, existing_account, expires_at}; refused (404) when no longer valid."""
        found: dict[str, Any] = await self.post("/staff/invitations/lookup", {"token": token}, expect=(200,))
        return found

    async def accept_invitation(self, token: str, name: str | None, password: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"token": token}
        if name is not None:
            payload |= {"name": name, "password": password}
        accepted: dict[str, Any] = await self.post("/staff/invitations/accept", payload, expect=(201,))
        return accepted

    # --- staff administration by an establishment's manager ---
    async def establishment_staff(self, establishment_id: str) -> dict[str, Any]:
        """{members: [...], invitations: [...]} (pending invitations only)."""
        staff: dict[str, Any] = await self.get(f"/admin/staff/establishments/{establishment_id}")
        return staff

    async def invite_staff(self, establishment_id: str, invitation: dict[str, Any]) -> dict[str, Any]:
        """{email, role, language, establishment_name?}."""
        path = f"/admin/staff/establishments/{establishment_id}/invitations"
        invited: dict[str, Any] = await self.post(path, invitation, expect=(201,))
        return invited

    async def change_staff_role(self, establishment_id: str, staff_id: str, role: str) -> dict[str, Any]:
        path = f"/admin/staff/establishments/{establishment_id}/members/{staff_id}/role"
        member: dict[str, Any] = await self.post(path, {"role": role}, expect=(200,))
        return member

    async def set_staff_access(self, establishment_id: str, staff_id: str, action: str) -> dict[str, Any]:
        """`action` is disable (every session of that person ends at once) or enable."""
        path = f"/admin/staff/establishments/{establishment_id}/members/{staff_id}/{action}"
        member: dict[str, Any] = await self.post(path, {}, expect=(200,))
        return member

    # --- platform operators ---
    async def operator_staff(self) -> list[dict[str, Any]]:
        staff: list[dict[str, Any]] = await self.get("/operator/staff")
        return staff

    async def appoint_manager(self, invitation: dict[str, Any]) -> dict[str, Any]:
        """{establishment_id, email, language, establishment_name?}: an invitation as the first manager."""
        invited: dict[str, Any] = await self.post("/operator/staff/managers", invitation, expect=(201,))
        return invited

    async def reset_factor(self, staff_id: str) -> None:
        await self.post(f"/operator/staff/{staff_id}/factor-reset", {}, expect=(200,))
