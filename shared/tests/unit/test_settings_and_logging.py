import json

import pytest
import structlog
from pydantic import ValidationError

from services.appointments.settings import AppointmentsSettings
from shared.logging import bind_correlation_id, configure_logging


def test_default_secret_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("APPOINTMENTS_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="must be set to a real secret"):
        AppointmentsSettings()
    monkeypatch.setenv("APPOINTMENTS_SECRET_KEY", "a-real-secret-from-the-vault")
    with pytest.raises(ValidationError, match="nam_key must be set"):  # every secret, not only the first
        AppointmentsSettings()
    monkeypatch.setenv("APPOINTMENTS_NAM_KEY", "the-nam-key-from-the-vault")
    assert AppointmentsSettings().environment == "prod"


def test_settings_read_their_own_prefix_only(monkeypatch):
    monkeypatch.setenv("APPOINTMENTS_DATABASE_URL", "postgresql+asyncpg://h/appointments_x")
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", "postgresql+asyncpg://h/other")
    assert AppointmentsSettings().database_url.endswith("/appointments_x")


def test_sensitive_fields_are_redacted_and_the_correlation_id_is_bound(capsys):
    configure_logging("unit-test")
    bind_correlation_id("corr-42")
    structlog.get_logger().info("login", nam="TEST54122816", password="hunter2hunter2hunter2", code="123456", n=3)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["correlation_id"] == "corr-42"
    assert line["service"] == "unit-test"
    assert line["n"] == 3
    for key in ("nam", "password", "code"):
        assert line[key] == "[redacted]"
