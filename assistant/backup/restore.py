"""Checking an archive (manifest, format version, every checksum) before anything changes, and
restoring it: unpack beside the data, move what it replaces aside, put the restored data in place,
then migrate the database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import zlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from assistant.backup.archive import (
    CHUNK,
    DATABASE_MEMBER,
    FILE_SECTIONS,
    FORMAT,
    KNOWN_FORMAT_VERSIONS,
    MANIFEST,
    MAX_MANIFEST,
    SECTIONS,
    SQLITE_COMPANIONS,
    STAMP,
    BackupError,
    Locations,
    Progress,
    RestoreSummary,
    database_facts,
    disk_full,
    quoted,
    unused,
)
from assistant.clock import SystemClock


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
                    raw_manifest = handle.read(MAX_MANIFEST)
                    continue
                sha = hashlib.sha256()
                length = 0
                while chunk := handle.read(CHUNK):
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
    staging = unused(where.data_dir / f".restore-{stamp}")
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
                conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted(t)})").fetchone()[0]
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
                        while chunk := handle.read(CHUNK):
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
    if disk_full(exc):
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
    aside_dir = unused(aside_dir)
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
        if disk_full(exc):
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
