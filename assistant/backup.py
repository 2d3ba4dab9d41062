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

Everything here takes paths and URLs; nothing reads settings. Errors the operator must see are
:class:`BackupError`, whose text is one line.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from assistant.clock import SystemClock, as_utc

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
_CHUNK = 1 << 20
_MAX_MANIFEST = 64 * 1024 * 1024

PG_DUMP_NOTE = (
    "DATABASE_URL is PostgreSQL: this archive does not hold the database. Back the database up "
    "with pg_dump (e.g. pg_dump -Fc -f lva.dump DBNAME) and restore it with pg_restore; this "
    "backup holds only the evidence files and the index (--files-only)."
)


class BackupError(Exception):
    """A backup or restore that cannot go on; ``str()`` is the one line to show."""


# --------------------------------------------------------------------------- where things are
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
    return _unused(data_dir / "backups" / f"backup-{now:{STAMP}}.tar.gz")


# --------------------------------------------------------------------------- progress
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


# --------------------------------------------------------------------------- results
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
            f"{sum(self.files.values()):,} files ({_section_counts(self.files)})."
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
            f"{sum(self.files.values()):,} files ({_section_counts(self.files)}){aside}."
        )


def _section_counts(files: dict[str, int]) -> str:
    return ", ".join(f"{section} {files.get(section, 0)}" for section in FILE_SECTIONS)


# --------------------------------------------------------------------------- backup
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
        out = _unused(out / f"backup-{now:{STAMP}}.tar.gz")
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
    if _disk_full(exc):
        return BackupError(
            f"Disk full while writing {out}: the partial archive was removed. "
            "Free some space, or write elsewhere with --out."
        )
    if isinstance(exc, sqlite3.Error):
        return BackupError(f"Backup not written: the database cannot be read ({exc}).")
    where = exc.filename or out
    return BackupError(f"Backup not written: {where}: {exc.strerror or exc}.")


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return False


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
        name: conn.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]
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


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


class _Hashing:
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
        reader = _Hashing(handle)
        tar.addfile(info, reader)
    return {"path": name, "size": reader.size, "sha256": reader.sha.hexdigest()}


# --------------------------------------------------------------------------- verification
def verify_archive(archive: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Read the whole archive and check it against its manifest; returns the manifest.

    Raises:
        BackupError: missing, unreadable, corrupt or truncated; no manifest or an unknown
            format version; a file missing, unlisted or whose size or SHA-256 does not match.
    """
    progress = progress or Progress()
    if not archive.is_file():
        raise BackupError(f"No such backup file: {archive}")
    seen: dict[str, tuple[int, str]] = {}
    raw_manifest: bytes | None = None
    size = 0
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                name = _member_name(archive, member)
                if name is None:
                    continue
                if name in seen or (name == MANIFEST and raw_manifest is not None):
                    raise BackupError(
                        f"{archive} holds {name} twice: it is not a valid backup. "
                        "Nothing was changed."
                    )
                handle = tar.extractfile(member)
                assert handle is not None
                if name == MANIFEST:
                    raw_manifest = handle.read(_MAX_MANIFEST)
                    continue
                sha = hashlib.sha256()
                length = 0
                while chunk := handle.read(_CHUNK):
                    sha.update(chunk)
                    length += len(chunk)
                seen[name] = (length, sha.hexdigest())
                size += length
                progress.count("Checked", len(seen), None, size)
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(_unreadable(archive, exc)) from None
    progress.count("Checked", len(seen), None, size, final=True)
    manifest = _parse_manifest(archive, raw_manifest)
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        listed[entry["path"]] = entry
        if entry["path"] not in seen:
            raise BackupError(
                f"{archive} lacks {entry['path']}, which its manifest lists: "
                "it is incomplete. Nothing was changed."
            )
        length, digest = seen[entry["path"]]
        if length != entry["size"] or digest != entry["sha256"]:
            raise BackupError(
                f"Checksum mismatch for {entry['path']} in {archive}: the archive was altered "
                "or damaged. Nothing was changed."
            )
    unlisted = sorted(set(seen) - set(listed))
    if unlisted:
        raise BackupError(
            f"{archive} holds {unlisted[0]}, which its manifest does not list: it is not a "
            "backup made by bot.py backup. Nothing was changed."
        )
    if manifest["database"].get("included") and DATABASE_MEMBER not in listed:
        raise BackupError(f"{archive} lacks its database ({DATABASE_MEMBER}). Nothing was changed.")
    return manifest


def _unreadable(archive: Path, exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return f"Cannot read {archive}: permission denied. Nothing was changed."
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"{archive} is corrupt or truncated and cannot be restored ({reason}). Nothing was changed."
    )


def _member_name(archive: Path, member: tarfile.TarInfo) -> str | None:
    """The member's checked name; ``None`` for a directory entry."""
    path = PurePosixPath(member.name)
    unsafe = (
        path.is_absolute()
        or ".." in path.parts
        or "\\" in member.name
        or not path.parts
        or (path.parts[0] not in SECTIONS and member.name != MANIFEST)
    )
    if unsafe:
        raise BackupError(
            f"{archive} holds {member.name!r}, which no backup of this assistant holds. "
            "Nothing was changed."
        )
    if member.isdir():
        return None
    if not member.isfile():
        raise BackupError(
            f"{archive} holds a link or special file ({member.name}): it is not a backup of "
            "this assistant. Nothing was changed."
        )
    return path.as_posix()


def _parse_manifest(archive: Path, raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise BackupError(
            f"{archive} has no {MANIFEST}: it is not a backup made by bot.py backup, or it is "
            "incomplete. Nothing was changed."
        )
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupError(
            f"The {MANIFEST} of {archive} is unreadable. Nothing was changed."
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a backup of this assistant. Nothing was changed.")
    version = manifest.get("format_version")
    if version not in KNOWN_FORMAT_VERSIONS:
        newest = max(KNOWN_FORMAT_VERSIONS)
        if isinstance(version, int) and version > newest:
            raise BackupError(
                f"{archive} is backup format {version}, made by a newer version of the "
                f"assistant (this one reads format {newest}): update it first. Nothing was changed."
            )
        raise BackupError(
            f"{archive} has an unknown backup format {version!r}. Nothing was changed."
        )
    files = manifest.get("files")
    database = manifest.get("database")
    well_formed = (
        isinstance(files, list)
        and isinstance(database, dict)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("path"), str)
            and isinstance(e.get("size"), int)
            and isinstance(e.get("sha256"), str)
            for e in files
        )
    )
    if not well_formed:
        raise BackupError(f"The {MANIFEST} of {archive} is incomplete. Nothing was changed.")
    return manifest


# --------------------------------------------------------------------------- restore
def restore_backup(
    where: Locations,
    archive: Path,
    *,
    force: bool = False,
    files_only: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> RestoreSummary:
    """Put a backup in place of this installation's data, then migrate the database.

    Stop the bot first. The archive is checked completely before anything changes. Data that is
    replaced is moved to ``DATA_DIR/before-restore-<time>/``; nothing is deleted.

    Args:
        force: replace a database that holds rows, or evidence files already there.
        files_only: restore the evidence files and the index, and leave the database alone
            (implied when DATABASE_URL is PostgreSQL: restore that one with pg_restore).

    Raises:
        BackupError: the archive is missing, corrupt, truncated, tampered with or of an unknown
            format or schema (nothing changed); existing data without ``force`` (nothing
            changed); a full disk while unpacking (nothing changed); or a failure putting the
            data in place or migrating (the message says where everything is).
    """
    progress = progress or Progress()
    now = now or SystemClock().now()
    progress.note(f"Checking {archive} …")
    manifest = verify_archive(archive, progress)
    database_info = manifest["database"]
    target_db, with_index, notes = _what_to_restore(where, archive, manifest, files_only)
    for text in notes:
        progress.note(text)

    occupied = []
    if target_db is not None and _holds_rows(target_db):
        occupied.append(f"the database {target_db} holds data")
    if _has_files(where.evidence_dir):
        occupied.append(f"{where.evidence_dir} holds files")
    if occupied and not force:
        raise BackupError(
            f"Refusing to restore over existing data ({'; '.join(occupied)}). Stop the bot and "
            f"run again with --force: the current data is first moved to "
            f"{where.data_dir / 'before-restore-<time>'}/. Nothing was changed."
        )

    aside = _put_in_place(
        where, archive, manifest, target_db, with_index, f"{now:{STAMP}}", progress
    )

    facts = None
    if target_db is not None:
        progress.note("Migrating the restored database …")
        try:
            _migrate(where.database_url)
            facts = database_facts(target_db)
        except BackupError as exc:
            kept = f" The previous data is in {aside}." if aside else ""
            raise BackupError(f"{exc}{kept}") from None
    counts = dict.fromkeys(FILE_SECTIONS, 0)
    for entry in manifest["files"]:
        section = entry["path"].split("/", 1)[0]
        if section in counts and (section != "index" or with_index):
            counts[section] += 1
    return RestoreSummary(
        archive,
        str(manifest.get("created_at", "?")),
        facts,
        database_info.get("schema_revision") if target_db is not None else None,
        counts,
        aside,
        tuple(notes),
    )


def _put_in_place(
    where: Locations,
    archive: Path,
    manifest: dict[str, Any],
    target_db: Path | None,
    with_index: bool,
    stamp: str,
    progress: Progress,
) -> Path | None:
    """Unpack beside the data, check the database copy, then swap everything in, keeping what
    was there under ``before-restore-<stamp>`` (returned, or ``None`` if nothing was there)."""
    try:
        where.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create {where.data_dir}: {exc.strerror or exc}.") from None
    staging = _unused(where.data_dir / f".restore-{stamp}")
    try:
        progress.note(f"Unpacking into {staging} …")
        _unpack(archive, manifest, staging, progress)
        if target_db is not None:
            _check_database(staging / DATABASE_MEMBER)
        moves: list[tuple[str, Path, Path]] = []
        if target_db is not None:
            moves.append(("database", staging / DATABASE_MEMBER, target_db))
        moves.append(("evidence", staging / "evidence", where.evidence_dir))
        moves.append(("uploads", staging / "uploads", where.uploads_dir))
        if with_index and where.index_dir is not None:
            moves.append(("index", staging / "index", where.index_dir))
        return _swap(moves, where.data_dir / f"before-restore-{stamp}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _what_to_restore(
    where: Locations, archive: Path, manifest: dict[str, Any], files_only: bool
) -> tuple[Path | None, bool, list[str]]:
    """The database file to restore (``None``: leave the database alone), whether to restore the
    index, and what to tell the person about what is left out and why."""
    notes: list[str] = []
    database_info = manifest["database"]
    target_db: Path | None = None
    if not database_info.get("included"):
        notes.append(
            "This archive holds no database (it was taken --files-only or from PostgreSQL): "
            "restore the database from its pg_dump with pg_restore."
        )
    elif files_only:
        notes.append("--files-only: the database is left as it is.")
    elif not where.is_sqlite:
        notes.append(
            "DATABASE_URL is PostgreSQL: the SQLite database in this archive is not restored. "
            "Restore PostgreSQL from its pg_dump with pg_restore; restoring the files and the "
            "index only."
        )
    else:
        target_db = where.database_file
        _check_revision_known(archive, database_info.get("schema_revision"))
    index_info = manifest.get("index")
    with_index = isinstance(index_info, dict) and bool(index_info.get("included"))
    if with_index and where.index_dir is None:
        with_index = False
        notes.append(
            "CHROMA_URL: the index in this archive is not restored (the server keeps its own)."
        )
    return target_db, with_index, notes


def _check_revision_known(archive: Path, revision: str | None) -> None:
    """A database from a newer version of the assistant cannot be migrated by this one."""
    if revision is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from assistant.db.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"The database in {archive} is at schema revision {revision}, which this version "
            f"of the assistant does not know (its newest is {scripts.get_current_head()}): "
            "update the assistant before restoring. Nothing was changed."
        )


def _holds_rows(database: Path) -> bool:
    if not database.exists():
        return False
    try:
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
        try:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
                )
            ]
            return any(
                conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(t)})").fetchone()[0]
                for t in tables
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return True  # something unreadable is there: only --force replaces it


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(p.is_file() for p in directory.rglob("*"))


def _unpack(archive: Path, manifest: dict[str, Any], staging: Path, progress: Progress) -> None:
    """Extract into ``staging``, checking every file again as it is written."""
    listed = {e["path"]: e for e in manifest["files"]}
    total = len(listed)
    done = size = 0
    staging.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                name = _member_name(archive, member)
                if name is None or name == MANIFEST:
                    continue
                entry = listed.get(name)
                handle = tar.extractfile(member)
                if entry is None or handle is None:
                    raise BackupError(
                        f"{archive} changed while it was restored. Nothing was changed."
                    )
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                try:
                    with target.open("xb") as out:
                        while chunk := handle.read(_CHUNK):
                            sha.update(chunk)
                            out.write(chunk)
                except OSError as exc:
                    raise _unpack_error(exc, where=staging.parent) from None
                if sha.hexdigest() != entry["sha256"]:
                    raise BackupError(
                        f"Checksum mismatch for {name}: {archive} changed while it was restored. "
                        "Nothing was changed."
                    )
                os.utime(target, (member.mtime, member.mtime))
                done += 1
                size += entry["size"]
                progress.count("Restored", done, total, size)
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(_unreadable(archive, exc)) from None
    progress.count("Restored", done, total, size, final=True)
    if hasattr(os, "sync"):
        os.sync()  # what is put in place next must be on disk, not only in the page cache


def _unpack_error(exc: OSError, *, where: Path) -> BackupError:
    if _disk_full(exc):
        return BackupError(
            f"Disk full while unpacking the backup into {where}: the unpacked part was removed "
            "and nothing was changed. Free some space and try again."
        )
    return BackupError(f"Cannot unpack into {where}: {exc.strerror or exc}. Nothing was changed.")


def _check_database(path: Path) -> None:
    try:
        conn = sqlite3.connect(path)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        result = str(exc)
    if result != "ok":
        raise BackupError(f"The database in the backup is damaged ({result}). Nothing was changed.")


def _companions(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)]


def _swap(moves: Iterable[tuple[str, Path, Path]], aside_dir: Path) -> Path | None:
    """Move each target aside (the database with its journal files), then the staged data in.

    On a failure everything moved so far is moved back.
    """
    aside_dir = _unused(aside_dir)
    done: list[tuple[Path, Path]] = []

    def move(source: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
        done.append((source, target))

    try:
        for section, staged, target in moves:
            if section == "database":
                # The journal files go with it: a stale -wal beside another database corrupts it.
                for existing in _companions(target):
                    if existing.exists():
                        move(existing, aside_dir / "database" / existing.name)
            elif target.exists():
                move(target, aside_dir / section)
            if staged.exists():
                move(staged, target)
    except OSError as exc:
        for source, target in reversed(done):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(target), str(source))
            except OSError:
                pass
        kept = f" Anything not put back is in {aside_dir}." if aside_dir.exists() else ""
        if _disk_full(exc):
            raise BackupError(
                f"Disk full while putting the restored data in place; the previous data was put "
                f"back.{kept}"
            ) from None
        raise BackupError(
            f"Cannot put the restored data in place ({exc.filename or ''}: "
            f"{exc.strerror or exc}); the previous data was put back.{kept}"
        ) from None
    return aside_dir if aside_dir.exists() else None


def _migrate(database_url: str) -> None:
    from assistant.db.database import Database
    from assistant.errors import DatabaseUnavailable

    async def run() -> None:
        database = Database(database_url)
        try:
            await database.start()
        finally:
            await database.dispose()

    try:
        asyncio.run(run())
    except DatabaseUnavailable as exc:
        raise BackupError(
            f"The data was restored, but migrating the database failed: {exc}."
        ) from None


def _unused(path: Path) -> Path:
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
