"""How the dev runner lays out replicas: names, ports, and which service replica each gateway calls."""

from devstack.supervisor import StackConfig

URLS = {
    name: f"postgresql+asyncpg://x/{name}" for name in ("accounts", "appointments", "verification", "notifications")
}


def config(**overrides: object) -> StackConfig:
    return StackConfig(database_urls=URLS, amqp_url="amqp://x/", jwt_keys=("private", "public"), **overrides)


def test_each_replica_has_its_own_name_and_port():
    layout = config(replicas={"appointments": 3, "gateway": 2})
    assert layout.instances("appointments") == ["appointments", "appointments-2", "appointments-3"]
    assert layout.instances("accounts") == ["accounts"]
    ports = [layout.port(name) for name in layout.all_instances()]
    assert len(ports) == len(set(ports)) == 8
    assert [layout.port(name) for name in layout.instances("appointments")] == [8002, 8102, 8202]


def test_explicit_ports_win():
    layout = config(replicas={"gateway": 2}, ports={"gateway": 41000, "gateway-2": 41001, "accounts": 41002})
    assert layout.url("gateway-2") == "http://127.0.0.1:41001"


def test_gateway_replicas_spread_over_the_service_replicas():
    layout = config(replicas={"gateway": 3, "appointments": 2})
    calls = [layout.instance_environ(name)["GATEWAY_APPOINTMENTS_URL"] for name in layout.instances("gateway")]
    assert calls == [layout.url("appointments"), layout.url("appointments-2"), layout.url("appointments")]
    assert {layout.instance_environ(name)["GATEWAY_ACCOUNTS_URL"] for name in layout.instances("gateway")} == {
        layout.url("accounts")
    }
    assert layout.instance_environ("appointments-2") == {"APPOINTMENTS_METRICS_PORT": "9102"}


def test_every_process_serves_metrics_on_a_port_of_its_own():
    layout = config(replicas={"appointments": 2, "gateway": 2}, metrics_ports={"accounts": 41500})
    api_ports = {layout.port(name) for name in layout.all_instances()}
    metrics_ports = {layout.metrics_port(name) for name in layout.all_instances()}
    assert len(metrics_ports) == len(api_ports) == 7
    assert not metrics_ports & api_ports
    assert layout.metrics_url("accounts") == "http://127.0.0.1:41500"
    assert layout.instance_environ("gateway-2")["GATEWAY_METRICS_PORT"] == str(layout.metrics_port("gateway-2"))
    # Every service verifies forwarded tokens with the one public key the gateway uses.
    environ = layout.environ()
    assert {environ[f"{app.upper()}_JWT_PUBLIC_KEY"] for app in (*URLS, "gateway")} == {"public"}


def test_one_replica_each_is_the_default():
    assert config().all_instances() == ["accounts", "appointments", "verification", "notifications", "gateway"]
