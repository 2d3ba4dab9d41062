"""Console mode, driven the way a newcomer uses it: piped lines in, the conversation out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, SAMPLES
from tests.test_bot import clean_env

SCRIPT = f"""\
:who
:as stranger
你好
/clients
:as admin
/invite officer E1003
:as newcomer
:link
/clients
:as admin
:doc {SAMPLES / "portfolio_sample.xlsx"}
:press 1
:as officer
/clients
:press C1001
:as supervisor
/clients
:press 99
:photo /no/such/file.jpg
:bogus
"""


def run_console(tmp_path, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "bot.py"), "console", *extra],
        input=script,
        cwd=tmp_path,
        env=clean_env(DATA_DIR=str(tmp_path / "data")),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def after(output: str, marker: str) -> str:
    assert marker in output, f"{marker!r} not in the console output"
    return output.split(marker, 1)[1]


def test_a_scripted_console_session_shows_the_whole_foundation(tmp_path):
    result = run_console(tmp_path, SCRIPT)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "演示数据 DEMO DATA" in out

    stranger = after(out, "陌生人(stranger)> 你好")
    assert "仅供本行已登记的客户经理使用" in stranger.split("陌生人(stranger)> /clients")[0]
    assert "(没有回复 / no reply)" in after(stranger, "/clients").split("> ")[0], (
        "strangers get one refusal and nothing else"
    )

    invite = after(out, "演示管理员(admin)> /invite officer E1003")
    assert "邀请码" in invite
    assert "t.me/" in invite

    joined = after(out, "刘洋(newcomer)> :link")
    assert "欢迎加入，刘洋" in joined
    newcomer_clients = after(joined, "刘洋(newcomer)> /clients").split("(admin)>")[0]
    assert "共 2 户" in newcomer_clients, "E1003's seat comes with its two clients"

    reimport = after(out, "演示管理员(admin)> :press 1")
    assert "🤖" in reimport.split("> ")[0]

    officer = after(out, "张伟(officer)> /clients").split("(supervisor)>")[0]
    assert "共 3 户" in officer
    assert "C1001" in officer
    assert "约定用途" in after(officer, ":press C1001")

    supervisor = after(out, "王强(supervisor)> /clients").split("> :press 99")[0]
    assert "经办：" in supervisor
    assert "no button" in after(out, ":press 99").split("\n")[1]
    assert "no such file" in after(out, ":photo /no/such/file.jpg").split("\n")[1]
    assert "unknown console command" in after(out, ":bogus")
    assert out.rstrip().endswith("再见 / bye")


def test_the_demo_database_is_kept_between_sessions_and_can_be_reset(tmp_path):
    first = run_console(tmp_path, ":as admin\n/invite officer E1003\n:as newcomer\n:link\n")
    assert "欢迎加入" in first.stdout
    again = run_console(tmp_path, ":as newcomer\n/start\n")
    assert "您好，刘洋" in again.stdout, "the newcomer is still registered"
    fresh = run_console(tmp_path, ":as newcomer\n/start\n", "--fresh")
    assert "仅供本行已登记的客户经理使用" in fresh.stdout
    assert (tmp_path / "data" / "demo" / "demo.db").exists()
    assert not (tmp_path / "data" / "assistant.db").exists(), "demo data stays out of the real db"


def test_console_serves_the_pages_on_loopback_with_a_signed_link(tmp_path):
    """``console --pages``: the Mini App in a desktop browser, as the README shows."""
    import json
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    console = subprocess.Popen(
        [sys.executable, str(REPO / "bot.py"), "console", "--pages", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=clean_env(DATA_DIR=str(tmp_path / "data")),
        text=True,
    )
    try:
        assert console.stdin and console.stdout
        console.stdin.write(":as supervisor\n:page team\n")
        console.stdin.flush()
        link = None
        for line in console.stdout:
            found = re.search(r"🔗 (http://127\.0\.0\.1:\d+/app/\?team=1#tgWebAppData=(\S+))", line)
            if found:
                link = found
                break
        assert link is not None, "no signed link printed"
        assert urllib.parse.urlsplit(link[1]).hostname == "127.0.0.1"
        init_data = urllib.parse.unquote(link[2])
        base = link[1].split("/app/")[0]
        request = urllib.request.Request(
            f"{base}/app/api/team", headers={"X-Telegram-Init-Data": init_data}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            team = json.load(answer)
        assert team["labels"]["team_title"] == "团队本月进度"
        assert any("（演示）" in visit["client"] for visit in team["overdue"])
        # The link is the supervisor's own: it is no key to the pages for anyone else.
        forged = init_data.replace("hash=", "hash=0")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/app/api/team", headers={"X-Telegram-Init-Data": forged}
                ),
                timeout=30,
            )
        assert refused.value.code == 401
        console.stdin.write(":quit\n")
        console.stdin.flush()
        assert console.wait(timeout=60) == 0
    finally:
        if console.poll() is None:
            console.kill()
