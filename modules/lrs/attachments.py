"""Statements with attachments: ``multipart/mixed`` requests and answers, and the checks
xAPI requires of signed statements (1.0.3 Data 2.4.11, Communication 1.5.2).

The multipart body is split by hand: a generic MIME parser rewrites line endings, and an
attachment's bytes must come back exactly as sent (its sha2 is checked).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lms_core.errors import N_, ValidationFailed

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512")
# Properties an LRS may add or change after signing; the rest must match the JWS payload.
_SET_BY_LRS = ("id", "authority", "stored", "version", "attachments", "timestamp")


@dataclass(frozen=True)
class Part:
    headers: dict[str, str]
    content: bytes


def boundary_of(content_type: str) -> bytes:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').encode()
    raise ValidationFailed.single("Content-Type", N_("Thiếu boundary của multipart/mixed."))


def split_multipart(body: bytes, content_type: str) -> list[Part]:
    """The parts of a ``multipart/mixed`` body, each with its headers (lower-case names)."""
    delimiter = b"--" + boundary_of(content_type)
    sections = body.split(delimiter)
    if len(sections) < 3:
        raise ValidationFailed.single("Content-Type", N_("Nội dung multipart/mixed không hợp lệ."))
    parts = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            break
        section = section.removeprefix(b"\r\n").removeprefix(b"\n")
        head, separator, content = section.partition(b"\r\n\r\n")
        if not separator:
            head, separator, content = section.partition(b"\n\n")
        if not separator:
            raise ValidationFailed.single("Content-Type", N_("Một phần của multipart/mixed thiếu tiêu đề."))
        # The line break before the next delimiter belongs to the delimiter.
        content = content.removesuffix(b"\r\n") if content.endswith(b"\r\n") else content.removesuffix(b"\n")
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, content))
    return parts


def statements_and_attachments(parts: Sequence[Part]) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """The statement JSON (first part) and the attachments' data by sha2. Each attachment
    part must name its hash (``X-Experience-API-Hash``), which must be its data's SHA-256."""
    first, rest = parts[0], parts[1:]
    if first.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ValidationFailed.single("Content-Type", N_("Phần đầu của multipart/mixed phải là application/json."))
    data: dict[str, tuple[str, bytes]] = {}
    for part in rest:
        sha2 = part.headers.get("x-experience-api-hash", "").lower()
        if not sha2:
            raise ValidationFailed.single(
                "X-Experience-API-Hash", N_("Mỗi tệp đính kèm phải có X-Experience-API-Hash.")
            )
        if part.headers.get("content-transfer-encoding", "binary").lower() != "binary":
            raise ValidationFailed.single(
                "Content-Transfer-Encoding", N_("Tệp đính kèm phải gửi với Content-Transfer-Encoding: binary.")
            )
        content = _matching(part.content, sha2)
        if content is None:
            raise ValidationFailed.single("X-Experience-API-Hash", N_("Mã băm không khớp nội dung tệp đính kèm."))
        data[sha2] = (part.headers.get("content-type", "application/octet-stream"), content)
    return first.content, data


def _matching(content: bytes, sha2: str) -> bytes | None:
    """The part's data if its SHA-256 is ``sha2``. JavaScript clients that read a file as
    a "binary" string and send it as text deliver each byte above 127 UTF-8 encoded (the
    ADL conformance suite does); when undoing that restores the hash, that is the data."""
    if hashlib.sha256(content).hexdigest() == sha2:
        return content
    try:
        repaired = content.decode("utf-8").encode("latin-1")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    return repaired if hashlib.sha256(repaired).hexdigest() == sha2 else None


def check_attachments(statements: Sequence[dict[str, Any]], data: dict[str, tuple[str, bytes]]) -> None:
    """Every attachment without ``fileUrl`` must come with its data; every part sent must
    belong to an attachment; signatures must be well-formed JWS of the statement."""
    declared: set[str] = set()
    for index, statement in enumerate(statements):
        for number, attachment in enumerate(statement.get("attachments") or ()):
            sha2 = str(attachment.get("sha2", "")).lower()
            declared.add(sha2)
            where = f"[{index}].attachments[{number}]"
            if "fileUrl" not in attachment and sha2 not in data:
                raise ValidationFailed.single(
                    f"{where}.sha2", N_("Không nhận được dữ liệu của tệp đính kèm (không có fileUrl).")
                )
            if attachment.get("usageType") == SIGNATURE:
                if attachment.get("contentType") != "application/octet-stream":
                    raise ValidationFailed.single(
                        f"{where}.contentType", N_("Chữ ký phải có contentType application/octet-stream.")
                    )
                if sha2 not in data:
                    raise ValidationFailed.single(f"{where}.sha2", N_("Thiếu dữ liệu chữ ký (JWS)."))
                check_signature(statement, data[sha2][1], f"{where}")
    for sha2 in data:
        if sha2 not in declared:
            raise ValidationFailed.single(
                "X-Experience-API-Hash", N_("Tệp đính kèm %(sha2)s không thuộc statement nào."), sha2=sha2
            )


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def check_signature(statement: dict[str, Any], jws: bytes, where: str) -> None:
    """A JWS compact serialization, RS256/384/512, whose payload is the statement as
    signed. (The signature itself is not verified against a key: xAPI leaves trust in the
    signer to the consumer.)"""
    try:
        header_b64, payload_b64, signature_b64 = jws.decode("ascii").strip().split(".")
        header = json.loads(_b64(header_b64))
        payload = json.loads(_b64(payload_b64))
        _b64(signature_b64)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed.single(where, N_("Chữ ký không phải JWS hợp lệ.")) from None
    if not isinstance(header, dict) or header.get("alg") not in SIGNING_ALGORITHMS:
        raise ValidationFailed.single(where, N_("Chữ ký phải dùng thuật toán RS256, RS384 hoặc RS512."))
    if not isinstance(payload, dict) or _signed_part(payload) != _signed_part(statement):
        raise ValidationFailed.single(where, N_("Nội dung chữ ký không khớp với statement."))


def _signed_part(statement: dict[str, Any]) -> dict[str, Any]:
    part = {k: v for k, v in statement.items() if k not in _SET_BY_LRS}
    duration = (part.get("result") or {}).get("duration")
    if isinstance(duration, str):
        # Durations compare to 0.01 s (xAPI 2.0 4.2.7): a signer may keep more digits.
        part["result"] = {**part["result"], "duration": _DURATION_FRACTION.sub(_hundredths, duration)}
    return part


_DURATION_FRACTION = re.compile(r"(\d+)(?:\.(\d+))?S$")


def _hundredths(match: re.Match[str]) -> str:
    return f"{match.group(1)}.{(match.group(2) or '').ljust(2, '0')[:2]}S"


def multipart_answer(document: Any, attachments: Iterable[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/mixed`` answer: the JSON document, then each (sha2, type, data)."""
    boundary = secrets.token_hex(16)
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document, ensure_ascii=False).encode(),
        b"\r\n",
    ]
    for sha2, content_type, content in attachments:
        chunks += [
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode(),
            content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f'multipart/mixed; boundary="{boundary}"'
