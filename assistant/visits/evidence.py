"""Photos and documents collected on a visit, kept so that they stand up to an audit.

Files are stored content-addressed (by SHA-256) under ``DATA_DIR/evidence``: the same bytes are
stored once, and a photo already handed in on an earlier visit is recognised — auditors look for
pre-loan photos reused as post-loan ones. Images are opened before they are accepted, with
Pillow's decompression-bomb limit, and EXIF time and GPS are kept when a photo arrives as a file
(Telegram strips them from compressed photos).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistant.access import Viewer
from assistant.db.database import Database
from assistant.db.models import CLOSED_VISITS, Client, EvidenceFile, Visit
from assistant.errors import AssistantError, NotFound

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 60_000_000
DOCUMENT_TYPES = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".heic",
    ".tif",
    ".tiff",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".csv",
    ".txt",
    ".ofd",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff"}


class EvidenceError(AssistantError):
    key = "visit.evidence.rejected"


class StorageFull(EvidenceError):
    """No space left for the file (``ENOSPC``, or the quota: ``EDQUOT``); nothing was stored."""

    key = "visit.evidence.disk_full"


_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True)
class Earlier:
    """Where the same file was handed in before."""

    visit_id: int
    client_code: str
    received_at: datetime
    same_visit: bool


@dataclass(frozen=True)
class SavedEvidence:
    id: int
    sha256: str
    kind: str
    category: str | None
    duplicate: Earlier | None
    exif_taken_at: str | None
    has_gps: bool


@dataclass(frozen=True)
class ImageFacts:
    taken_at: str | None
    latitude: float | None
    longitude: float | None


def _rational(value: Any) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _gps(info: dict[int, Any]) -> tuple[float | None, float | None]:
    try:
        lat = sum(_rational(v) / 60**i for i, v in enumerate(info[2]))
        lon = sum(_rational(v) / 60**i for i, v in enumerate(info[4]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if info.get(1) == "S":
        lat = -lat
    if info.get(3) == "W":
        lon = -lon
    return lat, lon


def inspect_image(content: bytes) -> ImageFacts:
    """Open the image fully (a broken or hostile file fails here) and read its EXIF.

    Raises:
        EvidenceError: not an image, or a decompression bomb.
    """
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
        with Image.open(io.BytesIO(content)) as image:
            exif = image.getexif()
            taken = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
            latitude, longitude = _gps(dict(exif.get_ifd(0x8825)))
    except Image.DecompressionBombError as exc:
        raise EvidenceError("visit.evidence.bomb") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise EvidenceError("visit.evidence.not_an_image") from exc
    return ImageFacts(str(taken)[:32] if taken else None, latitude, longitude)


async def _open_visit(session: AsyncSession, viewer: Viewer, visit_id: int) -> Visit:
    """The viewer's own visit, still open for files; anything else looks like no visit at all."""
    visit = await session.get(Visit, visit_id)
    _ensure_open(visit, viewer.officer_id)
    return visit


class EvidenceService:
    def __init__(self, database: Database, root: Path, *, max_bytes: int = MAX_BYTES) -> None:
        self.database = database
        self.root = root
        self.max_bytes = max_bytes

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _store(self, sha256: str, content: bytes) -> None:
        """Write ``content`` under its hash, atomically.

        Raises:
            StorageFull: the disk (or the quota) is full; no partial file is left behind.
        """
        target = self.path_of(sha256)
        if target.exists():
            return
        temporary = target.with_name(f".{sha256}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(content)
            # Atomic: a crash mid-write never leaves a half file under the real name.
            temporary.replace(target)
        except OSError as exc:
            # A write cut short leaves a partial temporary file: never keep one.
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            if exc.errno in _FULL:
                # For the operators; the officer is told in the chat. No path or content here.
                log.error("evidence store is full: a %d-byte file was not saved", len(content))
                raise StorageFull() from exc
            raise

    async def save(
        self,
        viewer: Viewer,
        visit_id: int,
        content: bytes,
        *,
        kind: str,
        category: str | None,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_unique_id: str | None = None,
        media_group_id: str | None = None,
    ) -> SavedEvidence:
        """Check, store and record one file for the viewer's open visit.

        Raises:
            EvidenceError: empty, too large, of a type not accepted, not an image when sent as a
                photo, or a decompression bomb. Nothing is stored then.
            NotFound: no such open visit of the viewer's.
        """
        if not content:
            raise EvidenceError("visit.evidence.empty")
        if len(content) > self.max_bytes:
            raise EvidenceError("visit.evidence.too_large", limit_mb=self.max_bytes // 2**20)
        suffix = Path(file_name or "").suffix.lower()
        if kind == "document" and suffix and suffix not in DOCUMENT_TYPES:
            raise EvidenceError("visit.evidence.unsupported", name=(file_name or "")[:60])
        facts = ImageFacts(None, None, None)
        if kind == "photo" or suffix in IMAGE_SUFFIXES or (mime_type or "").startswith("image/"):
            facts = await asyncio.to_thread(inspect_image, content)
        sha256 = hashlib.sha256(content).hexdigest()
        officer_id = viewer.officer_id
        # Two units of work around the file, not one ORM session with the file written inside:
        # the same order (the file under its name before any row names it, so a kill leaves at
        # most a file no row points at), without the session's thread hop per statement.
        earlier = await self.database.run(
            lambda conn: _earlier(conn, _checked_visit(conn, officer_id, visit_id), sha256)
        )
        try:
            await asyncio.to_thread(self._store, sha256, content)
        except StorageFull as exc:
            raise StorageFull(kind=kind) from exc
        row = {
            "visit_id": visit_id,
            "kind": kind,
            "category": category,
            "sha256": sha256,
            "size": len(content),
            "mime_type": mime_type,
            "file_name": file_name,
            "telegram_file_unique_id": file_unique_id,
            "media_group_id": media_group_id,
            "exif_taken_at": facts.taken_at,
            "exif_latitude": facts.latitude,
            "exif_longitude": facts.longitude,
            "duplicate_of_id": earlier[0] if earlier else None,
        }

        def record(conn: Connection) -> int:
            # Checked again where the row is written: the visit may have been finished since.
            _checked_visit(conn, officer_id, visit_id)
            return int(conn.execute(_INSERT, row).scalar_one())

        record_id = await self.database.run(record)
        return SavedEvidence(
            record_id,
            sha256,
            kind,
            category,
            earlier[1] if earlier else None,
            facts.taken_at,
            facts.latitude is not None,
        )

    async def retag(self, viewer: Viewer, evidence_id: int, category: str) -> None:
        """Move a file to another category of the same (unfinished) visit."""
        async with self.database.session() as session:
            record = await session.get(EvidenceFile, evidence_id)
            if record is None:
                raise NotFound("visit.not_found")
            await _open_visit(session, viewer, record.visit_id)
            record.category = category

    async def retag_group(
        self, viewer: Viewer, visit_id: int, media_group_id: str, category: str
    ) -> list[int]:
        """Move every file of an album to ``category``; returns the ids of those moved."""
        async with self.database.session() as session:
            await _open_visit(session, viewer, visit_id)
            records = (
                await session.scalars(
                    select(EvidenceFile).where(
                        EvidenceFile.visit_id == visit_id,
                        EvidenceFile.media_group_id == media_group_id,
                    )
                )
            ).all()
            for record in records:
                record.category = category
            return [record.id for record in records]

    async def counts(self, visit_id: int) -> dict[str | None, int]:
        """How many files each category of the visit holds."""
        # One statement, asked at every summary: a unit of work (one thread hop on SQLite), not
        # an ORM session.
        return await self.database.read(lambda conn: evidence_counts(conn, visit_id))


_COUNTS = (
    select(EvidenceFile.category, func.count())
    .where(EvidenceFile.visit_id == bindparam("visit_id"))
    .group_by(EvidenceFile.category)
)


def evidence_counts(conn: Connection, visit_id: int) -> dict[str | None, int]:
    """How many files each category of the visit holds, on a unit of work's connection."""
    return {category: count for category, count in conn.execute(_COUNTS, {"visit_id": visit_id})}


_FILES = EvidenceFile.__table__
_VISIT = select(Visit.officer_id, Visit.status).where(Visit.id == bindparam("visit_id"))
_EARLIER = (
    select(_FILES.c.id, _FILES.c.visit_id, _FILES.c.received_at, Client.code)
    .join(Visit, Visit.id == _FILES.c.visit_id)
    .join(Client, Client.id == Visit.client_id)
    .where(_FILES.c.sha256 == bindparam("sha256"))
    .order_by(_FILES.c.id)
    .limit(1)
)
_INSERT = _FILES.insert().returning(_FILES.c.id)


def _checked_visit(conn: Connection, officer_id: int | None, visit_id: int) -> int:
    """``visit_id`` when it is the officer's own visit, still open for files; anything else
    looks like no visit at all."""
    _ensure_open(conn.execute(_VISIT, {"visit_id": visit_id}).first(), officer_id)
    return visit_id


def _ensure_open(visit: Any, officer_id: int | None) -> None:
    """The visit (a row or an object with ``officer_id`` and ``status``) is the officer's own
    and still open for files; anything else looks like no visit at all."""
    if visit is None or visit.officer_id != officer_id or visit.status in CLOSED_VISITS:
        raise NotFound("visit.not_found")


def _earlier(conn: Connection, visit_id: int, sha256: str) -> tuple[int, Earlier] | None:
    """The first file with the same content, any visit's: its id, and where it was sent."""
    row = conn.execute(_EARLIER, {"sha256": sha256}).first()
    if row is None:
        return None
    return row.id, Earlier(row.visit_id, row.code, row.received_at, row.visit_id == visit_id)
