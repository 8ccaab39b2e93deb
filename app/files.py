"""Sending an uploaded file back: with the type sniffed when it was stored, never
interpreted as anything else, never cached."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_file

from lms_core import uploads


def send_upload(folder: Path, stored_name: str, content_type: str, download_name: str) -> Response:
    """The stored file ``stored_name`` from ``folder``; PDFs as attachments, images inline
    (with a sandboxing policy, so a crafted file can run nothing)."""
    response = send_file(
        uploads.path_of(folder, stored_name),
        mimetype=content_type,
        download_name=download_name or stored_name,
        as_attachment=content_type == "application/pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
