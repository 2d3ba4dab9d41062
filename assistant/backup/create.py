"""Taking a backup while the bot runs: the SQLite snapshot, the evidence, uploads and index
files, and the manifest written last (the layout is in :mod:`assistant.backup.archive`)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.backup.archive import (
    DATABASE_MEMBER,
    FILE_SECTIONS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PG_DUMP_NOTE,
    SQLITE_COMPANIONS,
    SQLITE_MAGIC,
    STAMP,
    BackupError,
    BackupSummary,
    DatabaseFacts,
    Hashing,
    Locations,
    Progress,
    default_backup_path,
    describe_database,
    disk_full,
    human_size,
    unused,
)
from assistant.clock import SystemClock, as_utc


def create_backup(
    where: Locations,
    out: Path | None = None,
    *,
    files_only: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BackupSummary:
    """Write a backup archive while the bot may be running; returns what it holds.

    Args:
        where: the installation.
        out: the archive to write (an existing directory: a default name in it); default
            ``DATA_DIR/backups/backup-YYYYmmdd-HHMMSS.tar.gz`` (UTC). An existing file is
            replaced only once the new archive is complete.
        files_only: leave the database out (implied for PostgreSQL: use pg_dump).

    Raises:
        BackupError: no database to back up, a file that cannot be read or written, or a full
            disk. No partial archive is left behind.
    """
    progress = progress or Progress()
    now = now or SystemClock().now()
    notes: list[str] = []
    database: Path | None = None
    if not where.is_sqlite:
        files_only = True
        notes.append(PG_DUMP_NOTE)
    elif files_only:
        notes.append("--files-only: the database is not in this archive.")
    else:
        database = where.database_file
        if not database.is_file():
            raise BackupError(
                f"No database at {database}: nothing to back up (check DATA_DIR and DATABASE_URL)."
            )
    if where.index_dir is None:
        notes.append(
            "CHROMA_URL: the index lives on the Chroma server and is not in the archive "
            "(python bot.py reindex rebuilds it)."
        )
    elif not where.index_dir.is_dir():
        notes.append(f"No index at {where.index_dir} yet: the archive holds none.")
    for text in notes:
        progress.note(text)

    if out is None:
        out = default_backup_path(where.data_dir, now)
    elif out.is_dir():
        out = unused(out / f"backup-{now:{STAMP}}.tar.gz")
    backed_up = [where.evidence_dir, where.uploads_dir, where.index_dir]
    if any(d is not None and out.resolve().is_relative_to(d.resolve()) for d in backed_up):
        raise BackupError(f"Write the backup outside the directories it backs up, not to {out}.")
    partial = out.with_name(f".{out.name}.partial")
    scratch = out.with_name(f".{out.name}.scratch")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        scratch.mkdir(exist_ok=True)
        facts, size, counts = _write_archive(where, database, partial, scratch, progress, now)
        partial.replace(out)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError | sqlite3.Error):
            raise _write_error(exc, out) from None
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return BackupSummary(out, size, facts, counts, tuple(notes))


def _write_error(exc: OSError | sqlite3.Error, out: Path) -> BackupError:
    if disk_full(exc):
        return BackupError(
            f"Disk full while writing {out}: the partial archive was removed. "
            "Free some space, or write elsewhere with --out."
        )
    if isinstance(exc, sqlite3.Error):
        return BackupError(f"Backup not written: the database cannot be read ({exc}).")
    where = exc.filename or out
    return BackupError(f"Backup not written: {where}: {exc.strerror or exc}.")


def _write_archive(
    where: Locations,
    database: Path | None,
    partial: Path,
    scratch: Path,
    progress: Progress,
    now: datetime,
) -> tuple[DatabaseFacts | None, int, dict[str, int]]:
    # The database first: every file its rows name exists on disk before the row is committed,
    # so the files listed afterwards are a superset of what the snapshot needs.
    plan: list[tuple[Path, str]] = []
    facts: DatabaseFacts | None = None
    if database is not None:
        progress.note(f"Database: snapshot of {database} …")
        snapshot = scratch / "assistant.db"
        facts = snapshot_sqlite(database, snapshot)
        plan.append((snapshot, DATABASE_MEMBER))
        progress.note(
            f"Database: {facts.total_rows:,} rows in {len(facts.rows)} tables, "
            f"revision {facts.revision or '?'} ({human_size(snapshot.stat().st_size)})."
        )
    plan += _listing(where.evidence_dir, "evidence", _evidence_file)
    plan += _listing(where.uploads_dir, "uploads", _evidence_file)
    if where.index_dir is not None:
        for number, (path, name) in enumerate(_listing(where.index_dir, "index", _index_file)):
            if _is_sqlite(path):
                copy = scratch / f"index-{number}.sqlite3"
                snapshot_sqlite(path, copy, describe=False)
                path = copy
            plan.append((path, name))

    total = len(plan)
    entries: list[dict[str, Any]] = []
    counts = dict.fromkeys(FILE_SECTIONS, 0)
    done_size = 0
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        for done, (path, name) in enumerate(plan, start=1):
            entry = _add(tar, path, name)
            if entry is not None:
                entries.append(entry)
                done_size += entry["size"]
                section = name.split("/", 1)[0]
                if section in counts:
                    counts[section] += 1
            progress.count("Copied", done, total, done_size, final=done == total)
        manifest = _manifest(now, facts, entries, where, database is not None)
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(now.timestamp())
        info.mode = 0o644
        tar.addfile(info, _BytesReader(data))
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    if not total:
        progress.count("Copied", 0, 0, 0, final=True)
    return facts, partial.stat().st_size, counts


def _manifest(
    now: datetime,
    facts: DatabaseFacts | None,
    entries: list[dict[str, Any]],
    where: Locations,
    with_database: bool,
) -> dict[str, Any]:
    database: dict[str, Any] = {"included": with_database, "engine": where.engine}
    if facts is not None:
        database.update(
            member=DATABASE_MEMBER,
            schema_revision=facts.revision,
            rows=facts.rows,
            total_rows=facts.total_rows,
        )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": as_utc(now).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "app_version": _app_version(),
        "database": database,
        "index": {"included": any(e["path"].startswith("index/") for e in entries)},
        "files": entries,
    }


def _app_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("loan-visit-assistant")
    except PackageNotFoundError:
        # Run from the repository, as the README installs it: its pyproject.toml says.
        import tomllib

        try:
            with (Path(__file__).resolve().parent.parent / "pyproject.toml").open("rb") as fh:
                return str(tomllib.load(fh)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return None


def snapshot_sqlite(source: Path, target: Path, *, describe: bool = True) -> DatabaseFacts:
    """A consistent copy of a live SQLite database through the online backup API.

    The copy is taken in one step: in WAL mode it reads one snapshot while writers go on, and
    it is never restarted by their commits. The copy is a single self-contained file.
    """
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            facts = describe_database(dst) if describe else DatabaseFacts(None, {})
        finally:
            dst.close()
    finally:
        src.close()
    return facts


def _listing(root: Path, prefix: str, wanted: Callable[[Path], bool]) -> list[tuple[Path, str]]:
    if not root.is_dir():
        return []
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory, name)
            if path.is_symlink() or not wanted(path):
                continue
            found.append((path, f"{prefix}/{path.relative_to(root).as_posix()}"))
    return found


def _evidence_file(path: Path) -> bool:
    # ".<sha256>.<pid>.tmp": a file being written; it gets its real name when complete.
    return not (path.name.startswith(".") and path.name.endswith(".tmp"))


def _index_file(path: Path) -> bool:
    # The journal files of a SQLite database are folded into its snapshot.
    return not path.name.endswith(SQLITE_COMPANIONS)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any] | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None  # an upload imported and removed meanwhile
    with handle:
        info = tar.gettarinfo(arcname=name, fileobj=handle)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = Hashing(handle)
        tar.addfile(info, reader)
    return {"path": name, "size": reader.size, "sha256": reader.sha.hexdigest()}
