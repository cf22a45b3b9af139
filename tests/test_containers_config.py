"""Container packaging, checked without a Docker engine: docker-compose.yml, the five Dockerfiles,
.dockerignore and the migrate and key-pair jobs' CLIs, against the code they start (modules, settings
classes)."""

import ast
import fnmatch
import json
import os
import re
import stat
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from devstack import migrate
from devstack.jwt_keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, generate_es256_keypair, public_pem_of
from gateway.settings import GatewaySettings
from services.accounts.settings import AccountsSettings
from services.appointments.settings import AppointmentsSettings
from services.notifications.settings import NotificationsSettings
from services.verification.settings import VerificationSettings
from shared.settings import DEV_SECRET

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"

SERVICES = ("accounts", "appointments", "verification", "notifications")
SETTINGS = {
    "accounts": AccountsSettings,
    "appointments": AppointmentsSettings,
    "verification": VerificationSettings,
    "notifications": NotificationsSettings,
}
# name -> (folder holding its code and Dockerfile, module whose create_app uvicorn starts)
APPS = {
    **{name: (f"services/{name}", f"services.{name}.main") for name in SERVICES},
    "gateway": ("gateway", "gateway.main"),
}
# The jobs that run once and exit: no healthcheck, never restarted, waited on with
# condition service_completed_successfully.
ONE_SHOT_JOBS = {f"migrate-{name}" for name in (*SERVICES, "gateway")} | {"demo-data", "jwt-keys"}
# The services' user in every image (USER uid:gid of the Dockerfiles' runtime stage).
APP_UID, APP_GID = 10001, 10001
UVICORN_FLAGS = [
    "--factory", "--host", "0.0.0.0", "--port", "8000", "--loop", "uvloop", "--http", "httptools",
    "--no-access-log", "--no-proxy-headers", "--timeout-graceful-shutdown", "10", "--timeout-keep-alive", "75",
]  # fmt: skip


# --- docker-compose.yml ------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution. A variable without a default that `env` lacks is an error here:
    `docker compose up` must work without a .env file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, default = match.group(1) or match.group(4), match.group(2), match.group(3)
        if operator == ":-" and env.get(name):
            return env[name]
        if operator == "-" and name in env:
            return env[name]
        if operator:
            return default
        if name not in env:
            raise KeyError(f"${{{name}}} has no default in {COMPOSE_FILE.name}")
        return env[name]

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any]) -> dict[str, Any]:
    """The file as `docker compose config` would see it with an empty environment."""
    return interpolate(raw_compose, {})


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def dockerfile_of(service: dict[str, Any]) -> Path:
    build = service["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    return ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """container path -> (volume name or host path, read-only), from the short or the long syntax."""
    result = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            result[volume["target"]] = (volume["source"], bool(volume.get("read_only")))
        else:
            source, target, *options = volume.split(":")
            result[target] = (source, "ro" in ",".join(options).split(","))
    return result


def key_files_moved_to(env: dict[str, str], directory: Path) -> dict[str, str]:
    """A service's compose environment with its *_KEY_FILE paths (inside the containers) moved to
    `directory`, which gets a fresh pair under the names the jwt-keys job writes."""
    private, public = generate_es256_keypair()
    (directory / PRIVATE_KEY_FILE).write_text(private)
    (directory / PUBLIC_KEY_FILE).write_text(public)
    return {
        key: str(directory / Path(value).name) if key.endswith("_KEY_FILE") else value for key, value in env.items()
    }


def test_every_variable_has_a_default(raw_compose: dict[str, Any]) -> None:
    interpolate(raw_compose, {})  # raises KeyError naming the variable otherwise


def test_the_interpolation_used_here_follows_compose() -> None:
    assert interpolate("${A:-x}/${B-y}/$$C", {"A": "", "B": ""}) == "x//$C"
    assert interpolate("${A:-x}", {"A": "1"}) == "1"
    with pytest.raises(KeyError, match="NOPE"):
        interpolate("${NOPE}", {})


def test_every_app_is_built_from_its_own_dockerfile(compose: dict[str, Any]) -> None:
    for name, (folder, _) in APPS.items():
        service = compose["services"][name]
        assert service["build"]["context"] == ".", f"{name}: the context must be the repository root (shared/)"
        assert dockerfile_of(service) == ROOT / folder / "Dockerfile", name


def test_every_build_context_and_dockerfile_exists(compose: dict[str, Any]) -> None:
    built = {name: service for name, service in compose["services"].items() if "build" in service}
    assert set(APPS) <= set(built)
    for name, service in built.items():
        context = service["build"]["context"] if isinstance(service["build"], dict) else service["build"]
        assert (ROOT / context).is_dir(), f"{name}: no build context {context}"
        assert dockerfile_of(service).is_file(), f"{name}: no {dockerfile_of(service)}"


def test_one_shot_jobs_are_exactly_the_listed_ones(compose: dict[str, Any]) -> None:
    never_restarted = {name for name, service in compose["services"].items() if service.get("restart") == "no"}
    assert never_restarted == ONE_SHOT_JOBS
    waited_on = {
        dependency
        for service in compose["services"].values()
        for dependency, rule in (service.get("depends_on") or {}).items()
        if rule["condition"] == "service_completed_successfully"
    }
    assert waited_on == ONE_SHOT_JOBS, "every job is waited on, and only jobs are waited on to complete"


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT_JOBS:
            assert service["healthcheck"] == {"disable": True}, f"{name} exits: the image's healthcheck is moot"
            continue
        assert service.get("restart") == "unless-stopped", name
        check = service.get("healthcheck") or {}
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        assert check.get("test"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_infrastructure_healthchecks(compose: dict[str, Any]) -> None:
    postgres, rabbitmq = compose["services"]["postgres"], compose["services"]["rabbitmq"]
    assert postgres["image"].startswith("postgres:15")
    assert "pg_isready" in healthcheck_command(postgres)
    assert rabbitmq["image"] == "rabbitmq:3.13-management"
    assert re.search(r"rabbitmq-diagnostics .*ping", healthcheck_command(rabbitmq))


def test_app_healthchecks_hit_their_health_endpoints_on_the_exposed_port(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        assert "http://127.0.0.1:8000/readyz" in healthcheck_command(compose["services"][name]), name
    assert "http://127.0.0.1:8000/healthz" in healthcheck_command(compose["services"]["gateway"])


def test_dependencies_exist_and_use_the_right_condition(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            expected = "service_completed_successfully" if dependency in ONE_SHOT_JOBS else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}"


def test_services_start_after_infrastructure_and_their_migration(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        assert {"postgres", "rabbitmq", f"migrate-{name}"} <= set(compose["services"][name]["depends_on"]), name
    assert set(SERVICES) | {"migrate-gateway"} <= set(compose["services"]["gateway"]["depends_on"])
    assert {"mailbox", "sms"} <= set(compose["services"]["notifications"]["depends_on"])
    assert "jwt-keys" in compose["services"]["accounts"]["depends_on"]
    assert "jwt-keys" in compose["services"]["gateway"]["depends_on"]


def test_each_service_connects_to_its_own_database(compose: dict[str, Any]) -> None:
    urls = {name: environment(compose["services"][name])[f"{name.upper()}_DATABASE_URL"] for name in SERVICES}
    for name, url in urls.items():
        parsed = make_url(url)
        assert (parsed.drivername, parsed.host, parsed.database) == ("postgresql+asyncpg", "postgres", name), url
    assert len(set(urls.values())) == len(SERVICES)
    # The gateway's own database (the waiting room), none of the services'.
    gateway = make_url(environment(compose["services"]["gateway"])["GATEWAY_DATABASE_URL"])
    assert (gateway.drivername, gateway.host, gateway.database) == ("postgresql+asyncpg", "postgres", "gateway")


def test_each_migrate_job_migrates_what_its_service_uses(compose: dict[str, Any]) -> None:
    for name in (*SERVICES, "gateway"):
        job, service = compose["services"][f"migrate-{name}"], compose["services"][name]
        variable = f"{name.upper()}_DATABASE_URL"
        assert environment(job)[variable] == environment(service)[variable]
        assert job["command"][:3] == ["python", "-m", "devstack.migrate"]
        assert name in job["command"][3:]
        assert "--create-database" in job["command"]
        assert dockerfile_of(job) == dockerfile_of(service), "the job needs the service's migrations/ in its image"
    demo = compose["services"]["demo-data"]
    assert demo["command"][:3] == ["python", "-m", "devstack.demo_data.appointments"]
    assert demo["command"][3] == environment(compose["services"]["appointments"])["APPOINTMENTS_DATABASE_URL"]
    assert "migrate-appointments" in demo["depends_on"]


def test_environment_is_dev(compose: dict[str, Any]) -> None:
    for name in APPS:
        assert environment(compose["services"][name])[f"{name.upper()}_ENVIRONMENT"] == "dev", name


def test_replicas_are_parameterised_and_services_publish_no_port(
    raw_compose: dict[str, Any], compose: dict[str, Any]
) -> None:
    for name in SERVICES:
        replicas = raw_compose["services"][name]["deploy"]["replicas"]
        assert replicas == f"${{{name.upper()}_REPLICAS:-1}}", name
        assert interpolate(replicas, {f"{name.upper()}_REPLICAS": "3"}) == "3"
        assert "ports" not in compose["services"][name], f"{name}: replicas would clash on a host port"
        assert "container_name" not in compose["services"][name], f"{name}: a fixed name forbids replicas"
    ports = compose["services"]["gateway"]["ports"]
    assert len(ports) == 1
    assert str(ports[0]).endswith(":8000")


@pytest.mark.parametrize("name", SERVICES)
def test_settings_classes_read_the_compose_environment(
    name: str, compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings_class, prefix = SETTINGS[name], f"{name.upper()}_"
    env = key_files_moved_to(environment(compose["services"][name]), tmp_path)
    for key in list(os.environ):
        if key.startswith(prefix):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    # The settings ignore unknown variables: a misspelt name in compose would be silently dropped.
    fields = settings_class.model_fields
    unread = [key for key in env if not key.startswith(prefix) or key.removeprefix(prefix).lower() not in fields]
    assert not unread, f"{name} does not read {unread}"
    settings = settings_class()
    assert settings.database_url == env[f"{prefix}DATABASE_URL"]
    assert settings.database_url.endswith(f"/{name}")
    assert make_url(settings.amqp_url.replace("amqp://", "postgresql://", 1)).host == "rabbitmq"
    assert settings.environment == "dev"
    if name == "accounts":
        assert settings.jwt_private_key.get_secret_value() == (tmp_path / PRIVATE_KEY_FILE).read_text()
        assert settings.jwt_public_key == public_pem_of(settings.jwt_private_key.get_secret_value())
    else:
        assert settings.jwt_public_key == (tmp_path / PUBLIC_KEY_FILE).read_text()
    assert (settings.metrics_host, settings.metrics_port) == ("0.0.0.0", 9000), "metrics on a port of their own"


def test_notifications_send_to_the_mailbox(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in key_files_moved_to(environment(compose["services"]["notifications"]), tmp_path).items():
        monkeypatch.setenv(key, value)
    settings = NotificationsSettings()
    assert settings.smtp_host in compose["services"]
    mailbox_script = compose["services"][settings.smtp_host]["command"][-1]
    assert f"port={settings.smtp_port}" in mailbox_script


def test_gateway_settings_point_at_the_services(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = key_files_moved_to(environment(compose["services"]["gateway"]), tmp_path)
    for key in list(os.environ):
        if key.startswith("GATEWAY_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    unread = [key for key in env if key.removeprefix("GATEWAY_").lower() not in GatewaySettings.model_fields]
    assert not unread, f"the gateway does not read {unread}"
    settings = GatewaySettings()
    assert settings.upstreams() == {name: f"http://{name}:8000" for name in SERVICES}
    assert settings.jwt_public_key == (tmp_path / PUBLIC_KEY_FILE).read_text()


def test_the_mailbox_listens_on_every_interface(compose: dict[str, Any]) -> None:
    mailbox = compose["services"]["mailbox"]
    script = mailbox["command"][-1]
    tree = ast.parse(script)  # a SyntaxError fails the test
    from devstack import mail_sink

    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "devstack.mail_sink" for alias in node.names]  # fmt: skip
    assert imported
    assert all(hasattr(mail_sink, name) for name in imported)
    assert 'host=""' in script
    assert '"0.0.0.0", 8025' in script
    assert any(str(port).endswith(":8025") for port in mailbox["ports"])
    assert "http://127.0.0.1:8025/" in healthcheck_command(mailbox)


def test_the_sms_sink_listens_on_every_interface(compose: dict[str, Any]) -> None:
    sms = compose["services"]["sms"]
    script = sms["command"][-1]
    tree = ast.parse(script)  # a SyntaxError fails the test
    from devstack import sms_sink

    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "devstack.sms_sink" for alias in node.names]  # fmt: skip
    assert imported
    assert all(hasattr(sms_sink, name) for name in imported)
    assert '"0.0.0.0", 8026' in script
    assert sms["ports"] == ["127.0.0.1:8026:8026"]
    assert "http://127.0.0.1:8026/api/messages" in healthcheck_command(sms)
    assert dockerfile_of(sms).is_file()


def test_notifications_send_sms_to_the_sms_sink(
    raw_compose: dict[str, Any], compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    notifications = compose["services"]["notifications"]
    for key in list(os.environ):
        if key.startswith("NOTIFICATIONS_"):
            monkeypatch.delenv(key)
    for key, value in key_files_moved_to(environment(notifications), tmp_path).items():
        monkeypatch.setenv(key, value)
    settings = NotificationsSettings()
    url = urllib.parse.urlsplit(settings.sms_provider_url)
    assert (url.scheme, url.hostname, url.port) == ("http", "sms", 8026)
    assert notifications["depends_on"]["sms"]["condition"] == "service_healthy"
    # The sink checks the very Bearer token notifications sends: both come from one variable.
    script = compose["services"]["sms"]["command"][-1]
    assert 'os.environ.get("SMS_SINK_TOKEN")' in script
    raw_token = raw_compose["services"]["sms"]["environment"]["SMS_SINK_TOKEN"]
    assert raw_token == raw_compose["services"]["notifications"]["environment"]["NOTIFICATIONS_SMS_PROVIDER_TOKEN"]
    assert settings.sms_provider_token is not None
    assert settings.sms_provider_token.get_secret_value() == environment(compose["services"]["sms"])["SMS_SINK_TOKEN"]


def test_published_ports_listen_on_localhost_only(compose: dict[str, Any]) -> None:
    published = {name: service["ports"] for name, service in compose["services"].items() if service.get("ports")}
    assert set(published) == {"rabbitmq", "mailbox", "sms", "gateway"}
    for name, ports in published.items():
        assert all(str(port).startswith("127.0.0.1:") for port in ports), name


def test_secrets_are_parameterised_with_the_refused_dev_default(raw_compose: dict[str, Any]) -> None:
    """Each secret reads a variable; its default is the dev value the settings refuse outside dev/test."""
    secrets = {
        (name, key): value
        for name, service in raw_compose["services"].items()
        for key, value in (service.get("environment") or {}).items()
        if key.endswith(("_SECRET_KEY", "_NAM_KEY", "_TOKEN"))
    }
    expected = {(name, f"{name.upper()}_SECRET_KEY") for name in SERVICES}
    expected |= {
        ("accounts", "ACCOUNTS_NAM_KEY"),
        ("appointments", "APPOINTMENTS_NAM_KEY"),
        ("verification", "VERIFICATION_NAM_KEY"),
        ("notifications", "NOTIFICATIONS_SMS_PROVIDER_TOKEN"),
    }
    expected |= {("sms", "SMS_SINK_TOKEN")}
    expected |= {("gateway", "GATEWAY_SECRET_KEY")}  # signs the data-export links
    assert set(secrets) == expected
    for where, value in secrets.items():
        assert re.fullmatch(rf"\$\{{[A-Z_]+:-{re.escape(DEV_SECRET)}\}}", value), where


def test_the_jwt_keys_job_writes_the_pair_into_its_volume(compose: dict[str, Any]) -> None:
    job = compose["services"]["jwt-keys"]
    assert dockerfile_of(job) == dockerfile_of(compose["services"]["accounts"])
    assert job["command"][:3] == ["python", "-m", "devstack.jwt_keys"]
    directory = job["command"][3]
    public_copy = job["command"][job["command"].index("--public-copy") + 1]
    assert mounts(job) == {directory: ("jwt-keys", False), public_copy: ("jwt-public", False)}
    assert {"jwt-keys", "jwt-public"} <= set(compose["volumes"])
    # A fresh volume's root belongs to root: the job writes as uid 0 (no capabilities) with the app's
    # group, and makes the private key group-readable, so the services' user reads it (see the file).
    assert str(job["user"]) == f"0:{APP_GID}"
    assert "--group-readable" in job["command"]
    assert job["cap_drop"] == ["ALL"]
    assert "cap_add" not in job
    assert job["read_only"] is True
    for name in APPS:
        _, all_stages = stages(ROOT / APPS[name][0] / "Dockerfile")
        assert last(all_stages[-1], "USER") == f"{APP_UID}:{APP_GID}", name


def test_the_key_files_are_wired_to_accounts_the_services_and_the_gateway(compose: dict[str, Any]) -> None:
    command = compose["services"]["jwt-keys"]["command"]
    directory, public_copy = command[3], command[command.index("--public-copy") + 1]
    # Accounts signs; the gateway and every other service verify the caller's token with the public key, from
    # a volume that holds it alone: a service that could read the private key could sign staff tokens.
    wiring = {
        "accounts": ("ACCOUNTS_JWT_PRIVATE_KEY", directory, PRIVATE_KEY_FILE, "jwt-keys"),
        **{
            name: (f"{name.upper()}_JWT_PUBLIC_KEY", public_copy, PUBLIC_KEY_FILE, "jwt-public")
            for name in APPS
            if name != "accounts"
        },
    }
    for name, (variable, mounted_at, filename, volume) in wiring.items():
        service = compose["services"][name]
        env = environment(service)
        assert env[f"{variable}_FILE"] == f"{mounted_at}/{filename}", name
        assert variable not in env, f"{name}: the file is the key's only source"
        assert mounts(service) == {mounted_at: (volume, True)}, f"{name} mounts only {volume}, read-only"
        assert service["depends_on"]["jwt-keys"]["condition"] == "service_completed_successfully"
    for name, service in compose["services"].items():
        if name not in ("accounts", "jwt-keys"):
            assert "jwt-keys" not in {source for source, _ in mounts(service).values()}, name


# --- the settings' key files ---------------------------------------------------------------------


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, Path]:
    private, public = generate_es256_keypair()
    (tmp_path / PRIVATE_KEY_FILE).write_text(private)
    (tmp_path / PUBLIC_KEY_FILE).write_text(public)
    return tmp_path / PRIVATE_KEY_FILE, tmp_path / PUBLIC_KEY_FILE


def clear_environment(monkeypatch: pytest.MonkeyPatch, prefix: str) -> None:
    for key in list(os.environ):
        if key.startswith(prefix):
            monkeypatch.delenv(key)


def test_accounts_settings_read_the_private_key_from_its_file(
    key_pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    private_file, public_file = key_pair
    clear_environment(monkeypatch, "ACCOUNTS_")
    with pytest.raises(ValidationError, match=r"ACCOUNTS_JWT_PRIVATE_KEY .* is required"):
        AccountsSettings()
    monkeypatch.setenv("ACCOUNTS_JWT_PRIVATE_KEY_FILE", str(private_file))
    settings = AccountsSettings()
    assert settings.jwt_private_key.get_secret_value() == private_file.read_text()
    token = jwt.encode({"sub": "x"}, settings.jwt_private_key.get_secret_value(), algorithm="ES256")
    assert jwt.decode(token, public_file.read_text(), algorithms=["ES256"])["sub"] == "x"

    other_private, _ = generate_es256_keypair()
    monkeypatch.setenv("ACCOUNTS_JWT_PRIVATE_KEY", other_private)
    assert AccountsSettings().jwt_private_key.get_secret_value() == other_private, "the key itself wins"

    monkeypatch.delenv("ACCOUNTS_JWT_PRIVATE_KEY")
    monkeypatch.setenv("ACCOUNTS_JWT_PRIVATE_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="ACCOUNTS_JWT_PRIVATE_KEY_FILE: cannot read"):
        AccountsSettings()
    (tmp_path / "empty.pem").write_text("\n")
    monkeypatch.setenv("ACCOUNTS_JWT_PRIVATE_KEY_FILE", str(tmp_path / "empty.pem"))
    with pytest.raises(ValidationError, match="is required"):
        AccountsSettings()


def test_gateway_settings_read_the_public_key_from_its_file(
    key_pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, public_file = key_pair
    clear_environment(monkeypatch, "GATEWAY_")
    assert GatewaySettings().jwt_public_key == "", "still optional: without a key every token is refused"
    monkeypatch.setenv("GATEWAY_JWT_PUBLIC_KEY_FILE", str(public_file))
    assert GatewaySettings().jwt_public_key == public_file.read_text()
    monkeypatch.setenv("GATEWAY_JWT_PUBLIC_KEY", "PEM given directly")
    assert GatewaySettings().jwt_public_key == "PEM given directly", "the key itself wins"
    monkeypatch.delenv("GATEWAY_JWT_PUBLIC_KEY")
    monkeypatch.setenv("GATEWAY_JWT_PUBLIC_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ValidationError, match="GATEWAY_JWT_PUBLIC_KEY_FILE: cannot read"):
        GatewaySettings()


# --- Dockerfiles -------------------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    parsed, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
        pending = ""
    return parsed


def stages(dockerfile: Path) -> tuple[dict[str, str], list[list[tuple[str, str]]]]:
    """(global ARG defaults, instructions of each stage starting with its FROM)."""
    global_args: dict[str, str] = {}
    result: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            result.append([])
        if not result:
            assert keyword == "ARG", f"{dockerfile}: only ARG may precede the first FROM"
            name, _, default = arguments.partition("=")
            global_args[name] = default
            continue
        result[-1].append((keyword, arguments))
    return global_args, result


def base_image(from_arguments: str, global_args: dict[str, str]) -> str:
    image = from_arguments.split()[0]
    return re.sub(r"\$\{?(\w+)\}?", lambda m: global_args[m.group(1)], image)


def last(stage: list[tuple[str, str]], keyword: str) -> str | None:
    found = [arguments for kw, arguments in stage if kw == keyword]
    return found[-1] if found else None


@pytest.mark.parametrize("name", APPS)
def test_dockerfile_is_multi_stage_from_pinned_images(name: str) -> None:
    global_args, all_stages = stages(ROOT / APPS[name][0] / "Dockerfile")
    assert len(all_stages) >= 2, "multi-stage: a builder and a runtime"
    for stage in all_stages:
        image = base_image(stage[0][1], global_args)
        repository, _, tag = image.partition(":")
        assert tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{image} is not pinned to a release"
        assert "." not in repository.split("/")[0], f"{image}: no registry host names"
    runtime = all_stages[-1]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base_image(runtime[0][1], global_args))
    assert any(kw == "COPY" and args.startswith("--from=") for kw, args in runtime), "runtime copies the venv"
    assert not any(kw == "RUN" and "pip install" in args for kw, args in runtime), "installs belong to the builder"


@pytest.mark.parametrize("name", APPS)
def test_dockerfile_runs_as_a_non_root_user(name: str) -> None:
    _, all_stages = stages(ROOT / APPS[name][0] / "Dockerfile")
    user = last(all_stages[-1], "USER")
    assert user, "the runtime stage sets no USER: it would run as root"
    assert user.split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("name", APPS)
def test_dockerfile_health_signal_port_and_command(name: str) -> None:
    folder, module = APPS[name]
    _, all_stages = stages(ROOT / folder / "Dockerfile")
    runtime = all_stages[-1]
    healthcheck = last(runtime, "HEALTHCHECK") or ""
    assert " CMD " in f" {healthcheck} "
    assert "127.0.0.1:8000/healthz" in healthcheck
    assert not re.search(r"\b(curl|wget)\b", healthcheck), "slim images have neither"
    assert last(runtime, "EXPOSE") == "8000 9000"  # the API, and /metrics on its own port
    assert last(runtime, "STOPSIGNAL") == "SIGTERM"
    command = json.loads(last(runtime, "CMD") or "null")  # exec form only: uvicorn gets SIGTERM itself
    assert command == ["python", "-m", "uvicorn", f"{module}:create_app", *UVICORN_FLAGS]
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    assert "def create_app(" in source


def copied_sources(stage: list[tuple[str, str]]) -> list[str]:
    sources = []
    for keyword, arguments in stage:
        if keyword in ("COPY", "ADD") and not arguments.startswith("--from="):
            parts = [part for part in arguments.split() if not part.startswith("--")]
            sources.extend(part.rstrip("/") for part in parts[:-1])
    return sources


@pytest.mark.parametrize("name", APPS)
def test_dockerfile_copies_only_shared_and_its_own_folder(name: str) -> None:
    folder = APPS[name][0]
    _, all_stages = stages(ROOT / folder / "Dockerfile")
    allowed = {"requirements.txt", "shared", "devstack", folder}  # devstack/: the jobs run from the images
    if folder.startswith("services/"):
        allowed.add("services/__init__.py")  # the namespace of services.<name>
    for stage in all_stages:
        sources = copied_sources(stage)
        assert set(sources) <= allowed, f"copies {set(sources) - allowed}"
        for source in sources:
            assert (ROOT / source).exists(), source
    assert {"shared", folder} <= set(copied_sources(all_stages[-1]))


def normalised(name: str) -> list[tuple[str, str]]:
    folder, module = APPS[name]
    top = folder.split("/")[0]
    result = []
    for keyword, arguments in instructions(ROOT / folder / "Dockerfile"):
        if keyword == "COPY" and (folder in arguments or "services/__init__.py" in arguments):
            continue
        arguments = arguments.replace(module, "<MODULE>")
        arguments = arguments.replace(f"compileall -q shared {top}", "compileall -q shared <TOP>")
        result.append((keyword, arguments))
    return result


def test_the_five_dockerfiles_follow_one_pattern() -> None:
    reference = normalised("appointments")
    for name in APPS:
        assert normalised(name) == reference, f"{name}/Dockerfile drifted from the shared pattern"


# --- .dockerignore -----------------------------------------------------------------------------


def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Enough of Docker's matching for this file: a path is ignored when it or a parent matches."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negate, pattern = pattern.startswith("!"), pattern.lstrip("!")
        if pattern.startswith("**/"):
            tail = pattern[3:]
            hit = any(fnmatch.fnmatch(part, tail) for part in parts) or fnmatch.fnmatch(path, pattern)
        else:
            hit = any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates)
        if hit:
            verdict = not negate
    return verdict


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = ignore_patterns()
    local_state = [
        ".venv/bin/python", ".git/HEAD", ".run/logs/gateway.log", "shared/__pycache__/bus.cpython-311.pyc",
        ".pytest_cache/v", ".ruff_cache/x", "node_modules/x/index.js", "bench/report.html", ".env",
    ]  # fmt: skip
    for path in local_state:
        assert ignored(path, patterns), f"{path} would be sent to the Docker daemon"


def test_dockerignore_keeps_what_the_images_need() -> None:
    patterns = ignore_patterns()
    needed = ["requirements.txt", "services/__init__.py", "gateway/web", "devstack/migrate.py"]
    for folder, module in APPS.values():
        needed += [folder, module.replace(".", "/") + ".py"]
    for name in SERVICES:
        needed += [f"services/{name}/migrations/env.py", f"services/{name}/settings.py"]
    for path in needed:
        assert (ROOT / path).exists(), path
        assert not ignored(path, patterns), f".dockerignore drops {path}, which an image needs"


# --- the jwt-keys job's CLI ----------------------------------------------------------------------


def run_jwt_keys(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.jwt_keys", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_a_pair(private_file: Path, public_file: Path) -> None:
    token = jwt.encode({"sub": "x"}, private_file.read_text(), algorithm="ES256")
    assert jwt.decode(token, public_file.read_text(), algorithms=["ES256"])["sub"] == "x"


def test_jwt_keys_cli_writes_the_pair_once(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    first = run_jwt_keys(str(directory))
    assert first.returncode == 0, first.stderr
    private_file, public_file = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    assert sorted(os.listdir(directory)) == sorted([PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]), "no temporary files left"
    assert mode_of(private_file) == 0o600
    assert mode_of(public_file) == 0o644
    assert "BEGIN PRIVATE KEY" in private_file.read_text()
    assert "BEGIN PUBLIC KEY" in public_file.read_text()
    assert_a_pair(private_file, public_file)

    before = {
        path: (path.read_text(), path.stat().st_mtime_ns, path.stat().st_ino) for path in (private_file, public_file)
    }
    second = run_jwt_keys(str(directory))
    assert second.returncode == 0, second.stderr
    assert "nothing written" in second.stdout
    after = {
        path: (path.read_text(), path.stat().st_mtime_ns, path.stat().st_ino) for path in (private_file, public_file)
    }
    assert after == before, "a second run overwrote the keys"
    assert mode_of(private_file) == 0o600


def test_jwt_keys_cli_completes_a_partial_pair_and_never_replaces_the_private_key(tmp_path: Path) -> None:
    private_file, public_file = tmp_path / PRIVATE_KEY_FILE, tmp_path / PUBLIC_KEY_FILE
    assert run_jwt_keys(str(tmp_path), "--group-readable").returncode == 0
    assert mode_of(private_file) == 0o640
    private = private_file.read_text()

    public_file.unlink()  # derived again from the private key
    assert run_jwt_keys(str(tmp_path)).returncode == 0
    assert private_file.read_text() == private
    assert_a_pair(private_file, public_file)

    public_file.write_text(generate_es256_keypair()[1])  # not this private key's: refused, left as is
    mismatch = run_jwt_keys(str(tmp_path))
    assert mismatch.returncode == 1
    assert "is not the public key of" in mismatch.stderr
    assert private_file.read_text() == private

    private_file.unlink()  # a public key without its private key: a new pair replaces it
    assert run_jwt_keys(str(tmp_path)).returncode == 0
    assert private_file.read_text() != private
    assert_a_pair(private_file, public_file)


# --- the migrate job's CLI -----------------------------------------------------------------------


def run_migrate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.endswith("_DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "devstack.migrate", *args],
        cwd=ROOT, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_migrate_help_lists_the_services() -> None:
    result = run_migrate("--help")
    assert result.returncode == 0, result.stderr
    assert all(name in result.stdout for name in SERVICES)
    assert "--create-database" in result.stdout


def test_migrate_refuses_a_missing_url_and_an_unknown_service() -> None:
    missing = run_migrate("appointments", "verification", env={"APPOINTMENTS_DATABASE_URL": "postgresql+asyncpg://h/a"})
    assert missing.returncode != 0
    assert "VERIFICATION_DATABASE_URL" in missing.stderr
    assert "APPOINTMENTS_DATABASE_URL" not in missing.stderr
    unknown = run_migrate("billing")
    assert unknown.returncode == 2
    assert "billing" in unknown.stderr


def test_migrate_upgrades_each_named_service_from_its_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(migrate, "upgrade", lambda path, url, revision: calls.append((path, url, revision)))
    environ = {"APPOINTMENTS_DATABASE_URL": "postgresql+asyncpg://u:p@db/appointments",
               "VERIFICATION_DATABASE_URL": "postgresql+asyncpg://u:p@db/verification"}  # fmt: skip
    assert migrate.main(["verification", "appointments"], environ=environ) == 0
    assert calls == [
        (ROOT / "services" / "verification", environ["VERIFICATION_DATABASE_URL"], "head"),
        (ROOT / "services" / "appointments", environ["APPOINTMENTS_DATABASE_URL"], "head"),
    ]
    assert all((path / "migrations" / "env.py").is_file() for path, _, _ in calls)


def test_migrate_creates_databases_through_the_maintenance_database() -> None:
    dsn, name = migrate.maintenance_dsn("postgresql+asyncpg://u:p%40ss@db:5433/appointments?ssl=disable", "postgres")
    assert name == "appointments"
    parsed = make_url(dsn)
    assert (parsed.drivername, parsed.host, parsed.port, parsed.database) == ("postgresql", "db", 5433, "postgres")
    assert (parsed.username, parsed.password, dict(parsed.query)) == ("u", "p@ss", {"ssl": "disable"})
    with pytest.raises(SystemExit):
        migrate.maintenance_dsn("postgresql+asyncpg://u:p@db:5432", "postgres")
