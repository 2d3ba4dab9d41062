"""Backup and restore: an online backup while the bot writes, a full round trip, and every
refusal (tampered, truncated, unknown format, existing data, full disk), on the command line too."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from assistant.backup.archive import (
    DATABASE_MEMBER,
    FORMAT_VERSION,
    BackupError,
    Locations,
    Progress,
    database_facts,
)
from assistant.backup.create import create_backup
from assistant.backup.restore import restore_backup, verify_archive
from assistant.db.database import Database
from assistant.db.models import (
    AnswerStatus,
    AuditEntry,
    Client,
    ClientKind,
    Officer,
    Role,
    VisitAnswer,
)
from assistant.services import build_knowledge, build_services
from tests.conftest import DIVERSION_ANSWERS, seed_team
from tests.test_bot import run_cli


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from assistant.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'assistant.db'}"


async def _small_install(data_dir: Path, *, clients: tuple[str, ...] = ("C001",)) -> Locations:
    """A migrated database with an officer and ``clients``, one evidence file, a tiny index."""
    where = Locations(data_dir, _url(data_dir), data_dir / "chroma")
    database = Database(where.database_url)
    await database.start()
    async with database.session() as s:
        officer = Officer(staff_no="E1", name="张伟", role=Role.OFFICER)
        s.add(officer)
        await s.flush()
        s.add_all(
            Client(code=code, name=f"客户{code}", kind=ClientKind.INDIVIDUAL, officer_id=officer.id)
            for code in clients
        )
    await database.dispose()
    content = f"photo of {','.join(clients)}".encode()
    sha = hashlib.sha256(content).hexdigest()
    (data_dir / "evidence" / sha[:2]).mkdir(parents=True)
    (data_dir / "evidence" / sha[:2] / sha).write_bytes(content)
    (data_dir / "chroma").mkdir()
    (data_dir / "chroma" / "vectors.bin").write_bytes(bytes(range(256)) * 4)
    return where


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy a backup archive, passing each member's name and bytes through ``change``."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            handle = source.extractfile(member)
            data = change(member.name, handle.read() if handle else b"")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def _nothing_restored(data_dir: Path) -> None:
    names = {p.name for p in data_dir.iterdir()}
    assert not any(n.startswith(("before-restore-", ".restore-")) for n in names), names


# --------------------------------------------------------------------------- the round trip
async def test_an_online_backup_restores_everything(settings, knowledge, chroma_path, tmp_path):
    data_dir = settings.data_dir
    database = Database(settings.database_dsn)
    live = build_services(settings, database=database, knowledge=knowledge)
    team = await seed_team(live)
    officer = await live.access.viewer(team.officer)
    assert officer is not None

    # A finished visit with a photo and a document saved the way the bot saves them.
    visit_id = (await live.visits.start(officer, "C001", today=live.today())).visit_id
    photo = _png((200, 30, 30))
    await live.evidence.save(officer, visit_id, photo, kind="photo", category="photo.office_staff")
    await live.evidence.save(
        officer,
        visit_id,
        b"%PDF-1.4 a bank statement",
        kind="document",
        category=None,
        file_name="statement.pdf",
        mime_type="application/pdf",
    )
    async with live.database.session() as s:
        s.add_all(
            VisitAnswer(
                visit_id=visit_id, item_id=item, status=AnswerStatus.ANSWERED, value={"v": value}
            )
            for item, value in DIVERSION_ANSWERS.items()
        )
    await live.visits.complete(officer, visit_id, today=live.today())
    report = await live.reports.open_for_visit(officer, visit_id, "zh")
    await live.reports.set_assessment(officer, report.report_id, "经营正常，按计划跟进。", "zh")
    await live.reports.submit(officer, report.report_id, "zh")
    (data_dir / "uploads").mkdir()
    (data_dir / "uploads" / "import-waiting.csv").write_bytes("code,name\nC7,某商行\n".encode())

    # The bot goes on writing while the backup runs: two audit rows per transaction.
    written = 0
    stop, ticked = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            async with live.database.session() as s:
                s.add_all(
                    AuditEntry(action="test.tick", target=str(written), detail={"half": half})
                    for half in (1, 2)
                )
            written += 1
            ticked.set()
            await asyncio.sleep(0)

    async def ticks(count: int) -> None:
        while written < count:
            ticked.clear()
            await asyncio.wait_for(ticked.wait(), 30)

    task = asyncio.create_task(writer())
    await ticks(5)
    before = written
    progress = io.StringIO()
    out = tmp_path / "backup.tar.gz"
    where = Locations(data_dir, settings.database_dsn, chroma_path)
    summary = await asyncio.wait_for(
        asyncio.to_thread(create_backup, where, out, progress=Progress(progress)), 120
    )
    during = written
    await ticks(during + 3)
    stop.set()
    await asyncio.wait_for(task, 30)
    assert during > before, "the writer was not held up by the backup"

    manifest = verify_archive(out)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["created_at"].endswith("Z")
    assert manifest["database"]["schema_revision"] == _head_revision()
    rows = manifest["database"]["rows"]
    assert rows["visits"] == 1 and rows["evidence_files"] == 2 and rows["reports"] == 1
    assert rows["audit_log"] > 0
    paths = {e["path"]: e for e in manifest["files"]}
    sha = hashlib.sha256(photo).hexdigest()
    assert paths[f"evidence/{sha[:2]}/{sha}"]["size"] == len(photo)
    assert paths[f"evidence/{sha[:2]}/{sha}"]["sha256"] == sha
    assert "uploads/import-waiting.csv" in paths
    assert any(p.startswith("index/") for p in paths)
    assert summary.path == out and summary.size == out.stat().st_size
    assert summary.database is not None and summary.database.rows == rows
    assert summary.files == {"evidence": 2, "uploads": 1, "index": len(paths) - 4}
    assert str(out) in summary.line() and "rows" in summary.line()
    assert "Copied:" in progress.getvalue()

    # What the live database holds now: the same, but for the audit rows written since.
    await live.close()
    now_rows = database_facts(data_dir / "assistant.db").rows
    assert {t: n for t, n in now_rows.items() if t != "audit_log"} == {
        t: n for t, n in rows.items() if t != "audit_log"
    }
    assert now_rows["audit_log"] > rows["audit_log"], "rows were written after the snapshot"
    files_before = {section: _tree(data_dir / section) for section in ("evidence", "uploads")}

    # Wipe DATA_DIR and restore (the index into a directory of its own: the session's is shared).
    import shutil

    shutil.rmtree(data_dir)
    restored_index = tmp_path / "restored-chroma"
    target = Locations(data_dir, settings.database_dsn, restored_index)
    result = await asyncio.to_thread(restore_backup, target, out)
    assert result.moved_aside is None
    assert result.database is not None and result.database.rows == rows
    assert result.files == summary.files
    _nothing_restored(data_dir)

    restored = data_dir / "assistant.db"
    assert database_facts(restored).rows == rows
    with sqlite3.connect(restored) as conn:
        ticks = conn.execute(
            "SELECT target, count(*) FROM audit_log WHERE action = 'test.tick' GROUP BY target"
        ).fetchall()
    assert {count for _, count in ticks} == {2}, "a transaction is in the snapshot whole or not"
    assert before <= len(ticks) <= during
    for section, files in files_before.items():
        assert _tree(data_dir / section) == files
    source_index, copy_index = _tree(chroma_path), _tree(restored_index)
    assert set(copy_index) == {n for n in source_index if not n.endswith(("-wal", "-shm"))}
    for name, content in copy_index.items():
        if content.startswith(b"SQLite format 3\x00"):
            assert (
                database_facts(restored_index / name).rows
                == database_facts(chroma_path / name).rows
            )
        else:
            assert content == source_index[name], name

    # The bot on the restored data: the visit, its answers, its photo, its report, the index.
    restored_settings = settings.model_copy(update={"chroma_path": restored_index})
    index = build_knowledge(restored_settings, embedder=knowledge.embedder)
    assert (await index.load()).vectors_embedded == 0, "the restored index is used as it is"
    database = Database(restored_settings.database_dsn)
    services = build_services(restored_settings, database=database, knowledge=index)
    try:
        await services.start()
        me = await services.access.viewer(team.officer)
        assert me is not None
        visit = await services.visits.summary(me, visit_id, today=services.today())
        assert visit.files == 2 and visit.answers
        view = await services.reports.open_for_visit(me, visit_id, "zh")
        assert view.report_id == report.report_id
        assert "use.not_as_agreed" in {f.rule_id for f in view.data.findings}
        photos = [f for f in view.data.files if f.kind == "photo"]
        assert [f.path.read_bytes() for f in photos] == [photo]
        history = await services.reports.history(me, "C001", today=services.today())
        assert [e.report_status for e in history.entries] == ["submitted"]
        answer = await services.answers.answer("回访要拍哪些照片？", lang="zh")
        assert answer.grounded
    finally:
        await services.close()


# --------------------------------------------------------------------------- refusals
async def test_a_tampered_archive_is_refused_and_nothing_changes(tmp_path):
    source = await _small_install(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    await asyncio.to_thread(create_backup, source, archive)
    tampered = tmp_path / "tampered.tar.gz"

    def flip(name: str, data: bytes) -> bytes:
        if name.startswith("evidence/"):
            return bytes([data[0] ^ 1]) + data[1:]
        return data

    _rewrite(archive, tampered, flip)
    target = await _small_install(tmp_path / "b", clients=("C777",))
    before = _tree(target.data_dir)

    with pytest.raises(BackupError) as error:
        await asyncio.to_thread(restore_backup, target, tampered, force=True)
    assert "Checksum mismatch for evidence/" in str(error.value)
    assert "Nothing was changed" in str(error.value)
    assert "\n" not in str(error.value)
    assert _tree(target.data_dir) == before
    _nothing_restored(target.data_dir)


async def test_a_corrupt_truncated_or_missing_archive_is_one_clear_error(tmp_path):
    source = await _small_install(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    await asyncio.to_thread(create_backup, source, archive)
    target = Locations(tmp_path / "empty", _url(tmp_path / "empty"), tmp_path / "empty" / "chroma")

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a backup at all" * 100)
    for bad in (truncated, garbage):
        with pytest.raises(BackupError) as error:
            await asyncio.to_thread(restore_backup, target, bad)
        assert "corrupt or truncated" in str(error.value)
        assert "Nothing was changed" in str(error.value)
    with pytest.raises(BackupError, match="No such backup file"):
        await asyncio.to_thread(restore_backup, target, tmp_path / "nope.tar.gz")

    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        info = tarfile.TarInfo("evidence/ab/cd")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(BackupError, match=r"has no manifest\.json"):
        await asyncio.to_thread(restore_backup, target, no_manifest)
    assert not target.data_dir.exists(), "nothing was created"


async def test_an_archive_of_an_unknown_format_version_is_refused(tmp_path):
    source = await _small_install(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    await asyncio.to_thread(create_backup, source, archive)
    newer = tmp_path / "newer.tar.gz"

    def bump(name: str, data: bytes) -> bytes:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["format_version"] = FORMAT_VERSION + 1
            return json.dumps(manifest).encode()
        return data

    _rewrite(archive, newer, bump)
    target = Locations(tmp_path / "b", _url(tmp_path / "b"), tmp_path / "b" / "chroma")
    with pytest.raises(BackupError, match="newer version of the assistant"):
        await asyncio.to_thread(restore_backup, target, newer)


async def test_existing_data_is_replaced_only_with_force_and_kept_aside(tmp_path):
    source = await _small_install(tmp_path / "a")
    archive = tmp_path / "a.tar.gz"
    await asyncio.to_thread(create_backup, source, archive)
    target = await _small_install(tmp_path / "b", clients=("C777", "C778"))
    before = _tree(target.data_dir)

    with pytest.raises(BackupError) as error:
        await asyncio.to_thread(restore_backup, target, archive)
    assert "Refusing to restore over existing data" in str(error.value)
    assert "--force" in str(error.value)
    assert _tree(target.data_dir) == before
    _nothing_restored(target.data_dir)

    result = await asyncio.to_thread(restore_backup, target, archive, force=True)
    aside = result.moved_aside
    assert aside is not None and aside.parent == target.data_dir
    assert aside.name.startswith("before-restore-")
    # The previous data, whole: its database (with its two clients), evidence and index.
    with sqlite3.connect(aside / "database" / "assistant.db") as conn:
        codes = [row[0] for row in conn.execute("SELECT code FROM clients ORDER BY code")]
    assert codes == ["C777", "C778"]
    assert _tree(aside / "evidence") == {
        name.removeprefix("evidence/"): content
        for name, content in before.items()
        if name.startswith("evidence/")
    }
    assert (aside / "index" / "vectors.bin").exists()
    # The restored data is the backup's.
    with sqlite3.connect(target.database_file) as conn:
        codes = [row[0] for row in conn.execute("SELECT code FROM clients")]
    assert codes == ["C001"]
    assert _tree(target.evidence_dir) == _tree(source.evidence_dir)
    assert str(aside) in result.line()


async def test_a_backup_of_an_older_schema_is_migrated_on_restore(tmp_path):
    from alembic import command

    from assistant.db.migrate import alembic_config

    data_dir = tmp_path / "old"
    database = Database(_url(data_dir))
    async with database.engine.connect() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0005"))
        await conn.commit()
    await database.dispose()
    where = Locations(data_dir, _url(data_dir), None)
    archive = tmp_path / "old.tar.gz"
    summary = await asyncio.to_thread(create_backup, where, archive)
    assert summary.database is not None and summary.database.revision == "0005"
    assert any("CHROMA_URL" in note for note in summary.notes)

    target = Locations(tmp_path / "new", _url(tmp_path / "new"), None)
    result = await asyncio.to_thread(restore_backup, target, archive)
    assert result.database is not None and result.database.revision == _head_revision()
    assert result.revision_in_archive == "0005"
    assert "0005 migrated to" in result.line()


async def test_a_full_disk_removes_the_partial_archive(tmp_path, monkeypatch):
    source = await _small_install(tmp_path / "a")
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    real_addfile = tarfile.TarFile.addfile
    calls = 0

    def addfile(self, tarinfo, fileobj=None):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_addfile(self, tarinfo, fileobj)

    monkeypatch.setattr(tarfile.TarFile, "addfile", addfile)
    with pytest.raises(BackupError) as error:
        await asyncio.to_thread(create_backup, source, out_dir / "b.tar.gz")
    assert str(error.value).startswith("Disk full while writing")
    assert "partial archive was removed" in str(error.value)
    assert list(out_dir.iterdir()) == []


async def test_a_postgresql_database_is_left_to_pg_dump(tmp_path):
    where = await _small_install(tmp_path / "a")
    pg = Locations(where.data_dir, "postgresql+asyncpg://bank:hunter2@db:5432/lva", where.index_dir)
    summary = await asyncio.to_thread(create_backup, pg, tmp_path / "files.tar.gz")
    assert summary.database is None
    assert any("pg_dump" in note for note in summary.notes)
    assert summary.files["evidence"] == 1 and summary.files["index"] == 1
    manifest = verify_archive(tmp_path / "files.tar.gz")
    assert manifest["database"] == {"included": False, "engine": "postgresql"}
    assert not any(e["path"] == DATABASE_MEMBER for e in manifest["files"])


# --------------------------------------------------------------------------- the command line
def test_backup_and_restore_from_the_command_line(tmp_path):
    data = tmp_path / "data"
    asyncio.run(_small_install(data))
    env = {"DATA_DIR": str(data), "CHROMA_PATH": str(data / "chroma")}

    backed_up = run_cli("backup", cwd=tmp_path, **env)
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stdout.startswith("Backup written: ")
    archives = list((data / "backups").glob("backup-*.tar.gz"))
    assert len(archives) == 1 and str(archives[0]) in backed_up.stdout
    assert "2 files (evidence 1, uploads 0, index 1)" in backed_up.stdout
    assert "Copied: 3/3 files" in backed_up.stderr

    elsewhere = tmp_path / "elsewhere"
    env2 = {"DATA_DIR": str(elsewhere), "CHROMA_PATH": str(elsewhere / "chroma")}
    restored = run_cli("restore", str(archives[0]), cwd=tmp_path, **env2)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Restored {archives[0]}")
    assert _tree(elsewhere / "evidence") == _tree(data / "evidence")
    assert database_facts(elsewhere / "assistant.db").rows["clients"] == 1

    again = run_cli("restore", str(archives[0]), cwd=tmp_path, **env2)
    assert again.returncode != 0
    assert "Refusing to restore over existing data" in again.stderr
    assert "Traceback" not in again.stderr


def test_backup_on_postgresql_says_to_use_pg_dump(tmp_path, monkeypatch, capsys):
    from bot import main

    data = tmp_path / "data"
    asyncio.run(_small_install(data))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("CHROMA_PATH", str(data / "chroma"))
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bank:hunter2@127.0.0.1:9/lva")
    assert main(["backup", "--out", str(tmp_path / "files.tar.gz")]) == 0
    out, err = capsys.readouterr()
    assert "pg_dump" in err and "--files-only" in err
    assert "no database (files only)" in out
    assert "hunter2" not in out + err

    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(SystemExit) as failed:
        main(["restore", str(tmp_path / "files.tar.gz")])
    assert "Refusing to restore over existing data" in str(failed.value.code)


def test_a_missing_database_or_archive_is_one_line(tmp_path, monkeypatch):
    from bot import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "nothing" / "chroma"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as failed:
        main(["backup"])
    assert str(failed.value.code).startswith("No database at ")
    with pytest.raises(SystemExit) as failed:
        main(["restore", str(tmp_path / "nope.tar.gz")])
    assert str(failed.value.code) == f"No such backup file: {tmp_path / 'nope.tar.gz'}"
    assert not (tmp_path / "nothing").exists()


def test_the_default_name_is_never_reused(tmp_path):
    from datetime import UTC, datetime

    from assistant.backup.archive import default_backup_path

    moment = datetime(2026, 3, 2, 6, 30, 5, tzinfo=UTC)
    first = default_backup_path(tmp_path, moment)
    assert first == tmp_path / "backups" / "backup-20260302-063005.tar.gz"
    first.parent.mkdir()
    first.write_bytes(b"x")
    assert default_backup_path(tmp_path, moment).name == "backup-20260302-063005-2.tar.gz"
