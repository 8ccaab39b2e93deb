"""Uploaded evidence files (a checklist item's photo, an external training certificate scan):
size-limited, type-checked by their first bytes (never by the name or the
browser's content type), stored under random names in a folder outside the web root.

Headless: the caller says where the folder is (the app uses its instance folder) and how
large a file may be.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Sniffed type -> extension of the stored file.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
CHUNK = 64 * 1024


class UploadTooLarge(Exception):
    """The file is larger than the limit; nothing was kept."""


class UploadTypeRefused(Exception):
    """The file is not a JPEG, PNG, WebP or PDF by its content; nothing was kept."""


class UploadEmpty(Exception):
    """The file has no content; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    name: str
    content_type: str
    size: int


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is one HocVu accepts."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def store(folder: Path, stream: BinaryIO, max_bytes: int) -> StoredFile:
    """Copy ``stream`` into ``folder`` under a random name, reading at most ``max_bytes + 1``
    bytes; raise ``UploadTooLarge``, ``UploadEmpty`` or ``UploadTypeRefused`` (and keep
    nothing) when the file is too large, empty or of a type HocVu does not accept."""
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    partial = folder / f"{token}.part"
    size = 0
    head = b""
    try:
        with open(partial, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge()
                if len(head) < 16:
                    head += chunk[: 16 - len(head)]
                out.write(chunk)
        if size == 0:
            raise UploadEmpty()
        content_type = sniff(head)
        if content_type is None:
            raise UploadTypeRefused()
        name = f"{token}{ALLOWED_TYPES[content_type]}"
        os.replace(partial, folder / name)
        return StoredFile(name, content_type, size)
    finally:
        partial.unlink(missing_ok=True)


def path_of(folder: Path, name: str) -> Path:
    """The path of a stored file; ``name`` always comes from the database, and is checked
    to be a bare file name all the same."""
    if not name or Path(name).name != name or name.startswith("."):
        raise ValueError(f"not a stored evidence name: {name!r}")
    return folder / name


def remove(folder: Path, name: str) -> None:
    path_of(folder, name).unlink(missing_ok=True)
