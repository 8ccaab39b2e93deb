"""Fixtures for the checklists module: the core demo data with the real checklist content
imported and the demo mentor assigned, headless (a plain session) or behind the app."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.accounts import Account, Role, create_account, grant_role
from lms_core.demo import DemoData, seed_core
from modules.checklists import content, services
from modules.checklists.models import ChecklistVersion, Item
from tests.conftest import ROOT, TEST_PASSWORD

SITE = "https://hocvu.test"
CONTENT = ROOT / "content"
# Required for KT-TAICHINH (demo.official's position): 12 items, 10 signed off by a mentor.
SLUG = "ck-lap-du-toan-ngan-sach-xa"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def account(session: Session, username: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == username))
    assert found is not None, username
    return found


def items_of(session: Session, slug: str = SLUG, version: int | None = None) -> list[Item]:
    checklist = services.get_checklist(session, slug)
    chosen = version or checklist.current_version
    return list(
        session.scalars(
            select(Item)
            .join(ChecklistVersion, ChecklistVersion.id == Item.version_id)
            .where(ChecklistVersion.checklist_id == checklist.id, ChecklistVersion.version == chosen)
            .order_by(Item.position)
        )
    )


def give_evidence(session: Session, who: Account, item: Item, folder: Path, slug: str = SLUG) -> None:
    """Whatever evidence ``item`` needs, given by the official ``who``."""
    if item.evidence in ("file", "file_or_case_number"):
        services.add_file(session, who, slug, item.key, filename="bien-ban.png", stream=io.BytesIO(PNG), folder=folder)
    elif item.evidence == "case_number":
        services.add_case_number(session, who, slug, item.key, "000.00.12.H23-260101-0001")


def submit_all(session: Session, official: Account, folder: Path, slug: str = SLUG) -> list[Item]:
    """The official gives evidence, marks every item and asks for review; returns the mentor items."""
    items = items_of(session, slug)
    for item in items:
        give_evidence(session, official, item, folder, slug)
        services.mark_item(session, official, slug, item.key, True)
    services.request_review(session, official, slug)
    session.commit()
    return [item for item in items if item.sign_off == "mentor"]


@pytest.fixture
def seeded(db_session: Session) -> DemoData:
    """Core demo data, the real checklists imported, demo.mentor assigned to demo.official."""
    demo = seed_core(db_session, password=TEST_PASSWORD)
    content.apply(db_session, CONTENT, SITE)
    services.seed_demo(db_session, demo)
    db_session.commit()
    return demo


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


def add_account(session: Session, demo: DemoData, staff_code: str, username: str, *roles: tuple[str, str]) -> Account:
    """An account for a demo person, with (role, unit code) grants."""
    person = demo.people[staff_code]
    created = create_account(session, username=username, password=TEST_PASSWORD, person=person)
    for role, unit in roles or ((Role.LEARNER, person.unit.code),):
        grant_role(session, created, role, demo.units[unit])
    session.flush()
    return created


def assign(session: Session, demo: DemoData, mentor: str, official: str, start: date, end: date | None = None) -> None:
    hr = account(session, "demo.hr")
    services.assign_mentor(
        session,
        hr,
        official_id=demo.people[official].id,
        mentor_id=demo.people[mentor].id,
        start_date=start,
        end_date=end,
    )


# --- the app --------------------------------------------------------------------------


@pytest.fixture
def checklists_app(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test app, when the module is enabled; evidence goes to a temporary folder."""
    if "checklists" not in app.config["MODULES"]:
        pytest.skip("the checklists module is not enabled: run the tests with HOCVU_MODULES=hr,checklists")
    monkeypatch.setitem(app.config, "CHECKLISTS_EVIDENCE_DIR", str(tmp_path / "app-evidence"))
    yield app


@pytest.fixture
def web(checklists_app: Any, app_db: Session) -> Any:
    """A test client on the app with the demo data and the checklists imported."""
    demo = seed_core(app_db, password=TEST_PASSWORD)
    content.apply(app_db, CONTENT, SITE)
    services.seed_demo(app_db, demo)
    app_db.commit()
    client = checklists_app.test_client()
    client.demo = demo
    return client
