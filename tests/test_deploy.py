"""The deployment files agree with each other and with the bot: checked statically, no docker."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from assistant.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
REPO = DEPLOY.parent
BOTS = ("bot1", "bot2")
PROXY = "caddy"
# Names a bot may receive that are not Settings fields: asyncpg reads the PostgreSQL password
# from PGPASSWORD when DATABASE_URL carries none.
DRIVER_VARS = {"PGPASSWORD"}
SECRET_NAMES = {"BOT_TOKEN", "WEBHOOK_SECRET", "PGPASSWORD", "POSTGRES_PASSWORD"}
TELEGRAM_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")


def settings_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def seconds(duration: str) -> float:
    """``60s``, ``1m30s`` or ``90`` (seconds) as a number of seconds."""
    if duration.isdigit():
        return float(duration)
    parts = re.fullmatch(r"(?:(\d+)min)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and any(parts.groups()), f"unreadable duration {duration!r}"
    minutes = int(parts[1] or 0) + int(parts[2] or 0)
    return minutes * 60 + int(parts[3] or 0)


def env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def uncommented(path: Path) -> str:
    return "\n".join(
        line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    # safe_load resolves the x-bot anchor and its "<<" merges, as compose does.
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


@pytest.fixture(scope="module")
def bot_env(services: dict[str, Any]) -> dict[str, str]:
    envs = [services[bot]["environment"] for bot in BOTS]
    assert envs[0] == envs[1], "the replicas are configured alike"
    return {name: str(value) for name, value in envs[0].items()}


# --------------------------------------------------------------------------- docker-compose.yml
def test_the_stack_is_two_bots_postgres_chroma_and_the_proxy(services: dict[str, Any]):
    assert set(services) == {*BOTS, "postgres", "chroma", PROXY}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["chroma"]["image"].startswith("chromadb/chroma")
    assert services[PROXY]["image"].startswith("caddy:")


def test_both_replicas_run_the_same_image_in_webhook_mode(
    services: dict[str, Any], bot_env: dict[str, str]
):
    first, second = (services[bot] for bot in BOTS)
    assert first["image"] == second["image"]
    assert first["build"] == second["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / "Dockerfile").is_file()
    assert bot_env["RUN_MODE"] == "webhook"
    assert bot_env["CHROMA_URL"] == "http://chroma:8000"
    assert make_url(bot_env["DATABASE_URL"]).host == "postgres"


def test_every_variable_a_bot_gets_is_a_setting(bot_env: dict[str, str]):
    assert set(bot_env) - settings_names() == set()
    example = env_file(DEPLOY / "bot.env.example")
    assert set(example) - settings_names() == DRIVER_VARS


def test_both_replicas_share_the_data_volume_at_data_dir(
    compose: dict[str, Any], services: dict[str, Any], bot_env: dict[str, str]
):
    mounts = [set(services[bot]["volumes"]) for bot in BOTS]
    shared = f"bot-data:{bot_env['DATA_DIR']}"
    assert all(shared in mount for mount in mounts)
    assert "bot-data" in compose["volumes"], "a named volume, not a per-container directory"


def test_the_bots_wait_for_a_healthy_postgres_and_for_chroma(services: dict[str, Any]):
    for bot in BOTS:
        depends = services[bot]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["chroma"]["condition"] == "service_started"
    check = services["postgres"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(check)


def test_only_the_proxy_is_published(services: dict[str, Any]):
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {PROXY}
    assert "443:443" in services[PROXY]["ports"]


def test_no_secret_is_written_into_the_compose_file(
    services: dict[str, Any], bot_env: dict[str, str]
):
    for name, service in services.items():
        assert not set(service.get("environment", {})) & SECRET_NAMES, name
    assert services["postgres"]["env_file"] == ["postgres.env"]
    assert all(services[bot]["env_file"] == ["bot.env"] for bot in BOTS)
    assert make_url(bot_env["DATABASE_URL"]).password is None
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    assert not TELEGRAM_TOKEN.search(text)


def test_the_env_examples_hold_placeholders_only_and_the_real_files_are_ignored():
    for example in ("bot.env.example", "postgres.env.example"):
        values = env_file(DEPLOY / example)
        secrets = values.keys() & SECRET_NAMES
        assert secrets, f"{example} names the secrets to fill in"
        assert all(values[name] == "" for name in secrets), example
    assert "POSTGRES_PASSWORD" in env_file(DEPLOY / "postgres.env.example")
    assert "deploy/*.env" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_replicas_stop_gracefully_within_the_slowest_update(services: dict[str, Any]):
    llm_timeout = Settings.model_fields["llm_timeout"].default
    for bot in BOTS:
        assert services[bot]["init"] is True, "SIGTERM reaches the bot through an init"
        assert seconds(services[bot]["stop_grace_period"]) > llm_timeout


# --------------------------------------------------------------------------- Caddyfile
def test_the_proxy_serves_the_webhook_url_and_sends_it_to_both_replicas(
    services: dict[str, Any], bot_env: dict[str, str]
):
    caddyfile = uncommented(DEPLOY / "Caddyfile")
    # What bot.py registers with Telegram: <WEBHOOK_URL>/<WEBHOOK_PATH>.
    public = urlsplit(f"{bot_env['WEBHOOK_URL'].rstrip('/')}/{bot_env['WEBHOOK_PATH']}")
    assert public.scheme == "https"
    assert re.search(rf"^{re.escape(public.hostname or '')}\s*\{{", caddyfile, re.M)
    matcher = re.search(r"@webhook\s*\{(?P<body>[^}]*)\}", caddyfile)
    assert matcher
    assert re.search(rf"^\s*path\s+{re.escape(public.path)}\s*$", matcher["body"], re.M)
    assert re.search(r"^\s*method\s+POST\s*$", matcher["body"], re.M)
    upstreams = re.search(r"reverse_proxy\s+([^{\n]+)\{", caddyfile)
    assert upstreams
    port = bot_env["WEBHOOK_PORT"]
    assert set(upstreams[1].split()) == {f"{bot}:{port}" for bot in BOTS}
    assert re.search(r"^\s*health_uri\s+/healthz\s*$", caddyfile, re.M)
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services[PROXY]["volumes"]


def test_the_proxy_keeps_metrics_and_everything_else_internal():
    caddyfile = uncommented(DEPLOY / "Caddyfile")
    assert "/metrics" not in caddyfile
    assert re.search(r"^\s*handle\s*\{\s*respond\s+404\s*\}", caddyfile, re.M), (
        "whatever is not the webhook gets 404"
    )
    assert re.search(r"^\s*log\b", caddyfile, re.M) is None, (
        "an access log would record the secret token header"
    )


# --------------------------------------------------------------------------- Dockerfile
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", uncommented(DEPLOY / "Dockerfile"))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in text.splitlines()
        if line.strip()
    ]


def test_the_image_runs_bot_py_as_a_user_of_its_own():
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.12-slim")
    cmd = [args for name, args in steps if name == "CMD"]
    assert [json.loads(args) for args in cmd] == [["python", "bot.py"]]
    users = [args for name, args in steps if name == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert [name for name, _ in steps].index("USER") < [name for name, _ in steps].index("CMD")


def test_the_health_check_asks_healthz_on_the_port_compose_listens_on(bot_env: dict[str, str]):
    steps = dict(dockerfile())
    assert "http://127.0.0.1:" in steps["HEALTHCHECK"] and "/healthz" in steps["HEALTHCHECK"]
    assert "urllib.request" in steps["HEALTHCHECK"]
    assert f"WEBHOOK_PORT={bot_env['WEBHOOK_PORT']}" in " ".join(
        args for name, args in dockerfile() if name == "ENV"
    )
    assert steps["EXPOSE"] == bot_env["WEBHOOK_PORT"]


def test_the_image_copies_the_code_and_data_it_needs_and_no_secret():
    steps = dockerfile()
    copied = {
        path.rstrip("/") for name, args in steps if name == "COPY" for path in args.split()[:-1]
    }
    assert "." not in copied, "copying the whole context would take .env and data/ along"
    assert {"assistant", "handlers", "botapi", "bot.py", "prompts", "knowledge"} <= copied
    assert not any(secret in args for _, args in steps for secret in SECRET_NAMES)
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "data/", "deploy/*.env"} <= set(ignored)


# --------------------------------------------------------------------------- systemd, Prometheus
def test_the_systemd_unit_runs_sandboxed_and_stops_gracefully():
    unit = configparser.ConfigParser(interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "loan-visit-bot.service", encoding="utf-8")
    service = unit["Service"]

    assert service["User"] not in {"", "root"}
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service["ExecStart"].endswith("python bot.py")
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert seconds(service["TimeoutStopSec"]) > Settings.model_fields["llm_timeout"].default
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    data_dir = service["Environment"].removeprefix("DATA_DIR=")
    assert data_dir.startswith("/") and data_dir in service["ReadWritePaths"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_prometheus_scrapes_metrics_from_both_replicas(bot_env: dict[str, str]):
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {target for group in job["static_configs"] for target in group["targets"]}
    assert targets == {f"{bot}:{bot_env['WEBHOOK_PORT']}" for bot in BOTS}
