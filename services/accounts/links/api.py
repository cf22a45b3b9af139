"""Links have no route: they follow the clinics' identity validations (consumers.py), and the other services
learn of them by events (AccountsLinked)."""

from fastapi import APIRouter

router = APIRouter()
