"""The command line and the real process: settings, migrate, invite, import, start-up failures,
and the unmodified bot running against a separate Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.config import Settings
from botapi.http import BotApiHttpServer
from botapi.standin import FakeBotApi, FakeUser
from tests.conftest import REPO, SAMPLES

BOT = str(REPO / "bot.py")
TOKEN = "424242:REAL-LOOKING-SECRET-TOKEN"
SETTING_NAMES = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_FILE_URL",
    "DATABASE_URL",
    "DATA_DIR",
    "ADMIN_IDS",
    "TIMEZONE",
    "RUN_MODE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
)


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(values)
    return env


def run_cli(
    *args: str,
    cwd: Path,
    stdin: str | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, BOT, *args],
        cwd=cwd,
        env=clean_env(**env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_read_the_documented_environment_names(monkeypatch, tmp_path):
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TELEGRAM_FILE_URL", "http://127.0.0.1:8081/file/bot")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIN_IDS", "11, 22,33")
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.bot_token == SecretStr(TOKEN)
    assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert settings.telegram_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.admin_ids == {11, 22, 33}
    assert settings.timezone == "Asia/Urumqi"
    assert settings.database_dsn == f"sqlite+aiosqlite:///{tmp_path / 'assistant.db'}"
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())

    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bank:pw@db:5432/lva")
    settings = Settings(_env_file=None)
    assert settings.database_dsn_for_logs == "postgresql+asyncpg://bank:***@db:5432/lva"


def test_a_bad_setting_is_one_clear_line(tmp_path):
    result = run_cli("migrate", cwd=tmp_path, DATA_DIR=str(tmp_path), TIMEZONE="Mars/Olympus")
    assert result.returncode != 0
    assert "TIMEZONE" in result.stderr
    assert "Mars/Olympus" in result.stderr
    assert "Traceback" not in result.stderr


def test_running_without_a_token_starts_console_mode(tmp_path):
    result = run_cli(cwd=tmp_path, stdin="/help\n", DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "BOT_TOKEN is not set: starting console mode" in result.stderr
    assert "控制台模式" in result.stdout
    assert "/clients" in result.stdout.split("> /help", 1)[1]


def test_migrate_invite_and_import_from_the_command_line(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data")}
    migrated = run_cli("migrate", cwd=tmp_path, **env)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "data" / "assistant.db").exists()

    imported = run_cli("import", str(SAMPLES / "portfolio_sample.xlsx"), cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    again = run_cli(
        "import", str(SAMPLES / "portfolio_sample.xlsx"), "--lang", "en", cwd=tmp_path, **env
    )
    assert again.returncode == 0
    assert "unchanged" in again.stdout.lower()

    invite = run_cli(
        "invite", "officer", "--staff-no", "E1003", "--bot-username", "lva_bot", cwd=tmp_path, **env
    )
    assert invite.returncode == 0, invite.stderr
    assert "https://t.me/lva_bot?start=" in invite.stdout


def test_a_broken_import_file_fails_with_row_and_column(tmp_path):
    bad = tmp_path / "loans.csv"
    bad.write_text(
        "contract_no,client_code,product,amount,agreed_purpose,disbursed_on,"
        "matures_on,payment_method\nHT1,NOPE,working_capital,abc,进货,2025-13-01,"
        "2026-01-01,self\n",
        encoding="utf-8",
    )
    result = run_cli(
        "import", str(bad), "--lang", "en", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert result.returncode == 1
    assert 'row 2, column "amount"' in result.stdout
    assert 'column "client_code"' in result.stdout
    assert "NOPE" in result.stdout


def test_an_unreachable_database_is_one_clear_line_at_start(tmp_path):
    result = run_cli(
        "migrate",
        cwd=tmp_path,
        DATA_DIR=str(tmp_path),
        DATABASE_URL="postgresql+asyncpg://bank:hunter2@127.0.0.1:9/lva",
    )
    assert result.returncode != 0
    assert (
        "cannot reach the database at postgresql+asyncpg://bank:***@127.0.0.1:9/lva"
        in result.stderr
    )
    assert "hunter2" not in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------------- the bot as a separate process
async def start_bot_process(
    tmp_path: Path, server: BotApiHttpServer, token: str = TOKEN, **env: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        BOT,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_env(
            BOT_TOKEN=token,
            TELEGRAM_API_URL=server.api_url,
            TELEGRAM_FILE_URL=server.file_url,
            DATA_DIR=str(tmp_path / "data"),
            ADMIN_IDS="900001",
            **env,
        ),
    )


async def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.05)


@pytest.fixture
async def http_api():
    api = FakeBotApi(token=TOKEN)
    server = BotApiHttpServer(api)
    await server.start()
    yield api, server
    await server.stop()


async def test_the_bot_runs_unmodified_against_a_separate_bot_api_server(tmp_path, http_api):
    api, server = http_api
    process = await start_bot_process(tmp_path, server)
    try:
        stranger = api.add_user(FakeUser(555, "路人"))
        admin = api.add_user(FakeUser(900001, "管理员"))
        await api.push_text(stranger, "/start")
        await api.push_text(admin, "/help")
        await wait_for(
            lambda: len(api.chat_messages(900001)) >= 1 and len(api.chat_messages(555)) >= 1
        )
        assert "仅供本行已登记的客户经理使用" in api.chat_messages(555)[0].text
        assert "/invite" in api.chat_messages(900001)[0].text

        admin_doc = (SAMPLES / "portfolio_sample.xlsx").read_bytes()
        await api.push_document(admin, admin_doc, "portfolio_sample.xlsx")
        await wait_for(lambda: any(m.buttons for m in api.chat_messages(900001)))
        assert any(
            "确认导入" in label for m in api.chat_messages(900001) for label in m.button_labels
        ), "the file was downloaded over HTTP and checked"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert TOKEN not in stderr.decode(), "the token never reaches the log"
    assert TOKEN.split(":")[1] not in stderr.decode()


async def test_a_wrong_token_is_one_clear_line(tmp_path, http_api):
    _, server = http_api
    process = await start_bot_process(tmp_path, server, token="111:WRONG")
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode != 0
    assert "Telegram rejected BOT_TOKEN" in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_an_unreachable_database_stops_the_bot_with_one_line(tmp_path, http_api):
    _, server = http_api
    process = await start_bot_process(
        tmp_path, server, DATABASE_URL="postgresql+asyncpg://bank:hunter2@127.0.0.1:9/lva"
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    text = stderr.decode()
    assert process.returncode != 0
    assert "Cannot start: cannot reach the database at" in text
    assert "hunter2" not in text
    assert "Traceback" not in text


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_checks_the_secret_token(tmp_path, http_api):
    import httpx

    api, server = http_api
    port = free_port()
    process = await start_bot_process(
        tmp_path,
        server,
        RUN_MODE="webhook",
        WEBHOOK_URL="https://bot.example.com",
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
        WEBHOOK_SECRET="s3cret-Token",
    )
    try:
        await wait_for(lambda: api.webhook is not None)
        assert api.webhook is not None
        assert api.webhook["url"] == "https://bot.example.com/telegram"
        assert api.webhook["secret_token"] == "s3cret-Token"
        api.add_user(FakeUser(900001, "管理员"))
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/help",
                "chat": {"id": 900001, "type": "private"},
                "from": {"id": 900001, "is_bot": False, "first_name": "管理员"},
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            assert forged.status_code == 403
            assert api.chat_messages(900001) == []
            real = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token"}
            )
            assert real.status_code == 200
        await wait_for(lambda: len(api.chat_messages(900001)) == 1)
        assert "/invite" in api.chat_messages(900001)[0].text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert "s3cret-Token" not in stderr.decode()


# ----------------------------------------------------------------- asking from the command line
def test_ask_prints_the_json_contract(tmp_path):
    result = run_cli(
        "ask", "回访要拍哪些照片？", "--json", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"answer", "grounded", "sources"}
    assert payload["grounded"] is True
    assert payload["sources"][0]["id"].startswith("flow.photos")
    assert {"id", "title", "score"} == set(payload["sources"][0])
    scores = [s["score"] for s in payload["sources"]]
    assert scores == sorted(scores, reverse=True)
    assert "<b>" not in payload["answer"], "plain text on the terminal"


def test_ask_about_an_individual_demo_client(tmp_path):
    result = run_cli(
        "ask",
        "What should I check for this individual borrower?",
        "--client",
        "C1001",
        "--json",
        cwd=tmp_path,
        DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["grounded"] is True
    assert "张记五金店" in payload["answer"] and "what to check on this visit" in payload["answer"]
    assert "Guarantors 刘美兰" in payload["answer"] and "Collateral (房产)" in payload["answer"]
    assert any(s["id"].startswith("check.individual") for s in payload["sources"])
    assert all({"id", "title", "score"} <= set(s) for s in payload["sources"])
    assert "demo portfolio" in result.stderr


def test_ask_batch_answers_every_line_in_order(tmp_path):
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        '{"q": "回访要拍哪些照片？"}\n{"q": "给我讲个笑话"}\n'
        '{"q": "How do I open the conversation with the shop owner on a visit?", "client": null}\n',
        encoding="utf-8",
    )
    result = run_cli(
        "ask", "--batch", str(batch), "--json", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["grounded"] for line in lines] == [True, False, True]
    assert lines[1]["sources"] == []


def test_reindex_names_a_broken_file_and_keeps_the_index(tmp_path):
    import shutil

    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge", knowledge)
    (knowledge / "kb" / "flow.photos.md").write_text("---\nid: [oops\n---\n", encoding="utf-8")
    env = {"DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge)}
    result = run_cli("reindex", cwd=tmp_path, **env)
    assert result.returncode != 0
    assert "flow.photos.md" in result.stderr and "previous index is kept" in result.stderr
    assert "Traceback" not in result.stderr
    still = run_cli(
        "ask", "回访要拍哪些照片？", "--json", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert json.loads(still.stdout)["grounded"] is True


async def test_export_writes_a_clients_history_as_a_zip(tmp_path, knowledge):
    import zipfile

    from assistant.db.database import Database
    from assistant.services import build_services
    from tests.conftest import record_finished_visit

    env = {"DATA_DIR": str(tmp_path / "data")}
    imported = run_cli("import", str(SAMPLES / "portfolio_sample.xlsx"), cwd=tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    database = Database(settings.database_dsn)
    services = build_services(settings, database=database, knowledge=knowledge)
    await database.start()
    await record_finished_visit(services, "C1001")
    await database.dispose()

    out = tmp_path / "c1001.zip"
    exported = await asyncio.to_thread(
        run_cli, "export", "C1001", "--out", str(out), cwd=tmp_path, **env
    )
    assert exported.returncode == 0, exported.stderr
    assert "C1001" in exported.stdout
    names = zipfile.ZipFile(out).namelist()
    assert "index.json" in names
    assert any(n.endswith(".docx") for n in names) and any(n.endswith("answers.csv") for n in names)

    missing = await asyncio.to_thread(run_cli, "export", "C9999", cwd=tmp_path, **env)
    assert missing.returncode != 0 and "No client 'C9999'" in missing.stderr


# ------------------------------------------------------ a paragraph's answers from the command line
ISSUE_PARAGRAPH = (
    "员工30，在岗26，月薪4500左右，月租两万二，去年做了三千二百万，工行还有500万贷款，没给别人担保"
)


def test_debrief_prints_the_json_contract_and_stores_nothing(tmp_path):
    result = run_cli(
        "debrief",
        "--client",
        "C1002",
        "--json",
        cwd=tmp_path,
        stdin=ISSUE_PARAGRAPH,
        DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    answers = {a["id"]: (a["value"], a["unit"]) for a in payload["answers"]}
    assert answers["flow.interview.staff.headcount_total"] == (30, "人")
    assert answers["flow.interview.staff.monthly_rent"] == (22000, "元")
    assert answers["flow.interview.revenue.last_year"] == (32_000_000, "元")
    assert answers["flow.interview.debt.guarantees"] == (False, None)
    assert {"id", "value", "unit", "text"} == set(payload["answers"][0])
    left = payload["questions_left"]
    assert "flow.interview.staff.office_area" in left
    assert "flow.interview.staff.headcount_total" not in left
    assert not any(i.endswith("_amount") for i in left), "no follow-ups"


def test_debrief_batch_answers_every_line_and_names_a_bad_line(tmp_path):
    batch = tmp_path / "paragraphs.jsonl"
    batch.write_text(
        json.dumps({"client": "C1001", "text": "员工8个，月租六千"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"client": "C1002", "text": "nothing here"})
        + "\n",
        encoding="utf-8",
    )
    result = run_cli(
        "debrief", "--batch", str(batch), "--json", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(line["answers"]) for line in lines] == [2, 0]
    batch.write_text('{"client": "C1001", "text": "员工8个"}\n{"text": 3}\n', encoding="utf-8")
    result = run_cli("debrief", "--batch", str(batch), cwd=tmp_path, DATA_DIR=str(tmp_path / "d"))
    assert result.returncode != 0
    assert "line 2" in result.stderr


def test_debrief_without_json_lists_what_it_recorded(tmp_path):
    result = run_cli(
        "debrief",
        "--client",
        "C1001",
        "--lang",
        "en",
        cwd=tmp_path,
        stdin="About thirty staff, rent 22k a month.",
        DATA_DIR=str(tmp_path / "data"),
    )
    assert result.returncode == 0, result.stderr
    assert "Recorded 2" in result.stdout and "about 30" in result.stdout


def test_debrief_reads_the_owner_as_the_borrower_at_a_shop_and_the_controller_at_a_company(
    tmp_path,
):
    batch = tmp_path / "paragraphs.jsonl"
    said = "嗯老板本人在然后员工八个"
    batch.write_text(
        "".join(
            json.dumps({"client": code, "text": said}, ensure_ascii=False) + "\n"
            for code in ("C1001", "C1002")
        ),
        encoding="utf-8",
    )
    result = run_cli(
        "debrief", "--batch", str(batch), "--json", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")
    )
    assert result.returncode == 0, result.stderr
    shop, company = (
        {a["id"]: a["value"] for a in json.loads(line)["answers"]}
        for line in result.stdout.splitlines()
    )
    person = "flow.interview.business.interviewee"
    assert (shop[person], company[person]) == ("borrower", "actual_controller")
    assert shop["flow.interview.staff.headcount_total"] == 8
