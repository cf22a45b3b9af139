"""Error responses every API shares: 4xx with the field, a code, and the reason in French and English.

Body: {"detail": "<first reason, in the request's language>",
       "errors": [{"field": "email", "code": "invalid_email", "message": {"fr": "...", "en": "..."}}]}
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.refusals import RefusalTable, Refused, wording_of

__all__ = ["ApiError", "RefusalTable", "Refused", "api_error", "install_error_handlers"]


class ErrorMessage(BaseModel):
    fr: str
    en: str


class FieldError(BaseModel):
    field: str | None
    code: str
    message: ErrorMessage


class ErrorBody(BaseModel):
    """What every refusal carries, as published in each service's OpenAPI document."""

    detail: str
    errors: list[FieldError]


# code -> (fr, en). Codes come from pydantic error types or from our own validators/rules.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Ce champ est obligatoire.", "This field is required."),
    "string_too_short": ("Ce champ ne peut pas être vide.", "This field cannot be empty."),
    "string_too_long": ("Ce champ est trop long.", "This field is too long."),
    "string_type": ("Une chaîne de caractères est attendue.", "A text value is expected."),
    "uuid_parsing": ("Identifiant invalide.", "Invalid identifier."),
    "uuid_type": ("Identifiant invalide.", "Invalid identifier."),
    "literal_error": ("Valeur non permise.", "Value not allowed."),
    "enum": ("Valeur non permise.", "Value not allowed."),
    "json_invalid": ("Le corps de la requête n'est pas du JSON valide.", "The request body is not valid JSON."),
    "model_attributes_type": ("Un objet JSON est attendu.", "A JSON object is expected."),
    "dict_type": ("Un objet JSON est attendu.", "A JSON object is expected."),
    "extra_forbidden": ("Champ inconnu.", "Unknown field."),
    "datetime_parsing": ("Date et heure invalides.", "Invalid date and time."),
    "date_parsing": ("Date invalide.", "Invalid date."),
    "int_parsing": ("Un nombre entier est attendu.", "A whole number is expected."),
    "invalid_email": ("Adresse courriel invalide.", "Invalid email address."),
    "invalid_phone": ("Numéro de téléphone invalide.", "Invalid phone number."),
    "not_found": ("Ressource introuvable.", "Resource not found."),
    "invalid_code_format": ("Le code doit compter exactement 6 chiffres.", "The code must be exactly 6 digits."),
    "invalid_nam": ("Numéro d'assurance maladie invalide.", "Invalid health insurance number (NAM)."),
    "date_from_datetime_parsing": ("Date invalide.", "Invalid date."),
    "date_from_datetime_inexact": ("Date invalide.", "Invalid date."),
    "date_type": ("Date invalide.", "Invalid date."),
    "string_pattern_mismatch": ("Format invalide.", "Invalid format."),
    "less_than_equal": ("La valeur est trop grande.", "The value is too large."),
    "less_than": ("La valeur est trop grande.", "The value is too large."),
    "greater_than_equal": ("La valeur est trop petite.", "The value is too small."),
    "greater_than": ("La valeur est trop petite.", "The value is too small."),
    "float_parsing": ("Un nombre est attendu.", "A number is expected."),
    "time_parsing": ("Heure invalide (HH:MM).", "Invalid time (HH:MM)."),
    "too_short": ("Choisissez au moins un élément.", "Choose at least one item."),
    "too_long": ("Trop d'éléments.", "Too many items."),
    "list_type": ("Une liste est attendue.", "A list is expected."),
    "tuple_type": ("Une liste est attendue.", "A list is expected."),
    "bool_parsing": ("Oui ou non attendu.", "A yes/no value is expected."),
    "bool_type": ("Oui ou non attendu.", "A yes/no value is expected."),
    "unsafe_text": (
        "Ce champ contient un caractère non permis (caractère nul ou substitut isolé).",
        "This field contains a character that is not allowed (a NUL or a lone surrogate).",
    ),
    "date_out_of_range": (
        "Date hors de la plage permise (1900 à 2200).",
        "Date outside the allowed range (1900-2200).",
    ),
    "date_in_future": ("Cette date ne peut pas être dans le futur.", "This date cannot be in the future."),
    "body_too_large": ("La requête est trop volumineuse.", "The request is too large."),
}

DEFAULT_FR = "Valeur invalide."


class ApiError(Exception):
    """A refusal worded at the HTTP edge (sign-in required, a rate limit, a malformed header): carries its
    status, field and bilingual reason. Business rules raise `Refused` instead, which knows no HTTP."""

    def __init__(
        self, status: int, code: str, field: str | None, fr: str, en: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(en)
        self.status, self.code, self.field, self.fr, self.en = status, code, field, fr, en
        # E.g. Retry-After on a 429: when the refusal lifts is part of the answer.
        self.headers = headers


def api_error(table: RefusalTable, refusal: Refused) -> ApiError:
    wording = wording_of(table, refusal)
    facts = vars(refusal)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after is not None else None
    return ApiError(
        wording.status,
        wording.code,
        wording.field.format(**facts) if wording.field is not None else None,
        wording.fr.format(**facts),
        wording.en.format(**facts),
        headers=headers,
    )


def _language(request: Request) -> str:
    return "en" if request.headers.get("accept-language", "fr").lower().startswith("en") else "fr"


def error_body(request: Request, errors: list[dict[str, Any]]) -> dict[str, Any]:
    first = errors[0]["message"][_language(request)] if errors else ""
    return {"detail": first, "errors": errors}


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        code = err["type"]
        fr, en = MESSAGES.get(code, (DEFAULT_FR, str(err.get("msg", "Invalid value"))))
        errors.append({"field": _field_of(tuple(err["loc"])), "code": code, "message": {"fr": fr, "en": en}})
    return errors


def install_error_handlers(app: FastAPI, refusals: RefusalTable | None = None) -> None:
    table: RefusalTable = refusals or {}

    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(request, validation_errors(exc)), status_code=422)

    @app.exception_handler(ApiError)
    async def _on_domain(request: Request, exc: ApiError) -> JSONResponse:
        error = {"field": exc.field, "code": exc.code, "message": {"fr": exc.fr, "en": exc.en}}
        return JSONResponse(error_body(request, [error]), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(Refused)
    async def _on_refused(request: Request, exc: Refused) -> JSONResponse:
        return await _on_domain(request, api_error(table, exc))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        named = {404: "not_found", 413: "body_too_large"}.get(exc.status_code)
        fr, en = MESSAGES[named] if named else (str(exc.detail), str(exc.detail))
        code = "body_too_large" if exc.status_code == 413 else f"http_{exc.status_code}"
        error = {"field": None, "code": code, "message": {"fr": fr, "en": en}}
        return JSONResponse(error_body(request, [error]), status_code=exc.status_code, headers=exc.headers)
