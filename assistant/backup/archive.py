"""Backup and restore of one installation: the database, the evidence files and the vector index.

A backup is one ``.tar.gz``::

    database/assistant.db    the SQLite database, taken with SQLite's online backup API
    evidence/…               every stored photo and document (DATA_DIR/evidence)
    uploads/…                files waiting to be imported (DATA_DIR/uploads), if any
    index/…                  the embedded Chroma store (CHROMA_PATH, default DATA_DIR/chroma)
    manifest.json            format version, time, schema revision, rows per table, and each
                             file's path, size and SHA-256 (written last)

It is taken while the bot runs: the database snapshot is consistent even in the middle of a write
(WAL), and evidence files are only ever added (content-addressed, written atomically), so copying
them after the snapshot captures every file the snapshot refers to. SQLite files inside the index
are snapshotted the same way. A PostgreSQL database is not in the archive: it is backed up with
``pg_dump``.

A restore checks the whole archive (manifest, format version, every checksum) before it changes
anything, unpacks it next to the data, moves what it replaces to ``DATA_DIR/before-restore-<time>/``
and only then puts the restored data in place and migrates the database.

This module holds what creating and restoring share: the archive's layout, where the data is,
progress, the summaries and the database facts; :mod:`assistant.backup.create` writes an archive
and :mod:`assistant.backup.restore` checks and restores one.

Everything here takes paths and URLs; nothing reads settings. Errors the operator must see are
:class:`BackupError`, whose text is one line.
"""

from __future__ import annotations

import errno
import hashlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

FORMAT = "loan-visit-assistant-backup"

FORMAT_VERSION = 1

KNOWN_FORMAT_VERSIONS = frozenset({1})

MANIFEST = "manifest.json"

DATABASE_MEMBER = "database/assistant.db"

FILE_SECTIONS = ("evidence", "uploads", "index")

SECTIONS = ("database", *FILE_SECTIONS)

SQLITE_MAGIC = b"SQLite format 3\x00"

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

STAMP = "%Y%m%d-%H%M%S"

CHUNK = 1 << 20

MAX_MANIFEST = 64 * 1024 * 1024

PG_DUMP_NOTE = (
    "DATABASE_URL is PostgreSQL: this archive does not hold the database. Back the database up "
    "with pg_dump (e.g. pg_dump -Fc -f lva.dump DBNAME) and restore it with pg_restore; this "
    "backup holds only the evidence files and the index (--files-only)."
)


class BackupError(Exception):
    """A backup or restore that cannot go on; ``str()`` is the one line to show."""


@dataclass(frozen=True)
class Locations:
    """Where one installation keeps its data.

    ``index_dir`` is the embedded Chroma directory, or ``None`` when the index lives on a Chroma
    server (``CHROMA_URL``) and is not part of a backup.
    """

    data_dir: Path
    database_url: str
    index_dir: Path | None = None

    @property
    def engine(self) -> str:
        try:
            return make_url(self.database_url).get_backend_name()
        except ArgumentError:
            raise BackupError("DATABASE_URL is not a database URL.") from None

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"

    @property
    def database_file(self) -> Path:
        name = make_url(self.database_url).database
        if not name or name == ":memory:":
            raise BackupError(
                "DATABASE_URL names an in-memory SQLite database: nothing is on disk."
            )
        return Path(name)

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def locations(
    data_dir: Path,
    database_url: str,
    *,
    chroma_path: Path | None = None,
    chroma_url: str | None = None,
) -> Locations:
    """The locations for these settings' values (index: ``chroma_path`` or DATA_DIR/chroma)."""
    index = None if chroma_url else (chroma_path or data_dir / "chroma")
    return Locations(data_dir, database_url, index)


def default_backup_path(data_dir: Path, now: datetime) -> Path:
    return unused(data_dir / "backups" / f"backup-{now:{STAMP}}.tar.gz")


class Progress:
    """Progress for the terminal: notes, and "files done / total" at most every ``every`` s.

    Without a stream it is silent. On a terminal the count is rewritten in place.
    """

    def __init__(self, stream: TextIO | None = None, *, every: float = 1.0) -> None:
        self.stream = stream
        self.every = every
        self._last = time.monotonic()  # short work shows its final count only
        self._open_line = False
        try:
            self._tty = bool(stream is not None and stream.isatty())
        except (AttributeError, ValueError):
            self._tty = False

    def note(self, text: str) -> None:
        self._write(text + "\n")

    def count(self, verb: str, done: int, total: int | None, size: int, *, final: bool = False):
        now = time.monotonic()
        if not final and now - self._last < self.every:
            return
        self._last = now
        of = f"/{total}" if total is not None else ""
        line = f"{verb}: {done}{of} files ({human_size(size)})"
        if self._tty:
            self._write("\r" + line + ("\n" if final else ""), open_line=not final)
        else:
            self._write(line + "\n")

    def _write(self, text: str, *, open_line: bool = False) -> None:
        if self.stream is None:
            return
        if self._open_line and not text.startswith("\r"):
            text = "\n" + text
        self._open_line = open_line
        self.stream.write(text)
        self.stream.flush()


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class DatabaseFacts:
    revision: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    size: int
    database: DatabaseFacts | None
    files: dict[str, int]
    notes: tuple[str, ...] = ()

    def line(self) -> str:
        if self.database is not None:
            db = (
                f"database (revision {self.database.revision or '?'}) "
                f"{self.database.total_rows:,} rows in {len(self.database.rows)} tables"
            )
        else:
            db = "no database (files only)"
        return (
            f"Backup written: {self.path} ({human_size(self.size)}): {db}; "
            f"{sum(self.files.values()):,} files ({section_counts(self.files)})."
        )


@dataclass(frozen=True)
class RestoreSummary:
    archive: Path
    created_at: str
    database: DatabaseFacts | None
    revision_in_archive: str | None
    files: dict[str, int]
    moved_aside: Path | None
    notes: tuple[str, ...] = field(default=())

    def line(self) -> str:
        if self.database is not None:
            revision = self.database.revision or "?"
            if self.revision_in_archive and self.revision_in_archive != revision:
                revision = f"{self.revision_in_archive} migrated to {revision}"
            db = (
                f"database (revision {revision}) {self.database.total_rows:,} rows in "
                f"{len(self.database.rows)} tables"
            )
        else:
            db = "database not restored"
        aside = (
            f"; the previous data is in {self.moved_aside}"
            if self.moved_aside
            else "; nothing was replaced"
        )
        return (
            f"Restored {self.archive} (taken {self.created_at}): {db}; "
            f"{sum(self.files.values()):,} files ({section_counts(self.files)}){aside}."
        )


def section_counts(files: dict[str, int]) -> str:
    return ", ".join(f"{section} {files.get(section, 0)}" for section in FILE_SECTIONS)


def describe_database(conn: sqlite3.Connection) -> DatabaseFacts:
    """The Alembic revision and the rows of every table (but Alembic's own)."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    rows = {
        name: conn.execute(f"SELECT count(*) FROM {quoted(name)}").fetchone()[0]
        for name in tables
        if name != "alembic_version"
    }
    return DatabaseFacts(revision, rows)


def database_facts(path: Path) -> DatabaseFacts:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    try:
        return describe_database(conn)
    finally:
        conn.close()


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return False


def unused(path: Path) -> Path:
    """``path``, or the same name with -2, -3, … when it exists already."""
    if not path.exists():
        return path
    suffixes = "".join(path.suffixes) if path.name.endswith(".tar.gz") else path.suffix
    stem = path.name[: len(path.name) - len(suffixes)] if suffixes else path.name
    number = 2
    while True:
        candidate = path.with_name(f"{stem}-{number}{suffixes}")
        if not candidate.exists():
            return candidate
        number += 1


class Hashing:
    """A file read through: counts and hashes what the archive receives."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data
