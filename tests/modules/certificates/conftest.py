"""Fixtures and helpers for the certificates module: statements stored through the app's
registry (so the credits module credits them and this module sees the voiding), PDF text
extraction, and a headless hours dict like the one ``hocvu_person_hours`` answers."""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, activity_iri, upsert_activity
from lms_core.statements import VOIDED, account_agent, build_statement, hocvu_authority, store_statement
from lms_core.uow import UnitOfWork

SITE = "https://hocvu.test"
TITLE = "Cấp giấy chứng nhận quyền sử dụng đất"
NAME = "Nguyễn Thị Mai"  # demo.official, GL-00001, Xã Ia Grai


@pytest.fixture
def cert_app(app: Any) -> Any:
    """The app, which must have the certificates module enabled."""
    if "certificates" not in app.config["MODULES"]:
        pytest.skip("the certificates module is not enabled: add it to HOCVU_MODULES")
    return app


def credit(
    app: Any,
    session: Session,
    staff: str,
    slug: str,
    at: str,
    *,
    title: str = TITLE,
    periods: int = 4,
    type: str = "course",
    verb: str = "completed",
) -> tuple[Activity, str]:
    """Store a trusted completion of activity ``slug`` by ``staff`` through the app's
    registry, as the courses module would; returns the activity and the statement id."""
    with app.app_context():
        publish = app.extensions["hocvu_registry"].publish
        iri = activity_iri(SITE, type, slug)
        activity = session.scalar(select(Activity).where(Activity.iri == iri))
        if activity is None:
            activity = upsert_activity(
                session,
                iri=iri,
                type=type,
                title=title,
                periods=periods,
                field_code=None,
                module="courses",
            )
            UnitOfWork(session, publish).commit()
        statement = build_statement(
            actor=account_agent(SITE, staff),
            verb=verb,
            activity_iri=activity.iri,
            activity_name=activity.title,
            result={"success": True} if verb == "passed" else None,
            timestamp=datetime.fromisoformat(at),
        )
        row = store_statement(session, statement, hocvu_authority(SITE, "courses"))
        UnitOfWork(session, publish).commit()
        return activity, row.id


def void(app: Any, session: Session, statement_id: str) -> str:
    """Void ``statement_id`` through the app's registry; returns the voiding statement's id."""
    with app.app_context():
        publish = app.extensions["hocvu_registry"].publish
        voiding = {
            "id": str(uuid.uuid4()),
            "actor": account_agent(SITE, "hocvu", "HocVu"),
            "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": statement_id},
        }
        row = store_statement(session, voiding, hocvu_authority(SITE, "courses"))
        UnitOfWork(session, publish).commit()
        return row.id


def pdf_text(data: bytes) -> str:
    """Every page's text, NFC-normalised, with runs of white space made single spaces."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def pdf_links(data: bytes) -> list[str]:
    """The URIs of the link annotations of every page (the QR code is one)."""
    reader = PdfReader(io.BytesIO(data))
    links = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                links.append(str(action["/URI"]))
    return links


def hours_item(activity: Activity, statement_id: str, *, date: str = "2026-03-10", **extra: Any) -> dict[str, Any]:
    """One item of a ``hocvu_person_hours`` answer."""
    return {
        "activity": activity.iri,
        "activity_id": activity.id,
        "title": activity.title,
        "type": activity.type,
        "source": "Khóa học trực tuyến",
        "field_name": "Chưa phân lĩnh vực",
        "periods": activity.periods,
        "counted": activity.periods,
        "date": date,
        "statement_id": statement_id,
    } | extra


def hours_of(*items: dict[str, Any], required: int = 40) -> dict[str, Any]:
    """A ``hocvu_person_hours`` answer listing ``items``."""
    return {
        "required": required,
        "credited": sum(item["counted"] for item in items),
        "explanation": f"{required} tiết: mặc định",
        "items": list(items),
    }
