"""A small world for crediting tests: a province, communes, people and activities, and
statements stored and committed through a unit of work whose publisher is a plugin
registry with the credits module (so the incremental path runs as in production)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core import people, units
from lms_core.catalog import Activity, activity_iri, upsert_activity
from lms_core.people import Person
from lms_core.plugins import hookimpl
from lms_core.plugins.registry import Registry
from lms_core.statements import (
    VOIDED,
    Authority,
    account_agent,
    build_statement,
    hocvu_authority,
    store_statement,
)
from lms_core.uow import UnitOfWork
from modules.credits import plugin
from modules.credits.engine import version_extension
from modules.credits.models import Credit, NotCounted

SITE = "https://hocvu.test"
REFUSE = "urn:test:refuse"


class RefusingModule:
    """A module that refuses every class without looking at the statement, and other
    statements when they carry the context extension REFUSE (answers that depend only on
    the database, as the hook requires). Counts its calls."""

    calls = 0

    @hookimpl
    def hocvu_credit_refusal(self, session: Session, statement: Any, activity: Any) -> str | None:
        RefusingModule.calls += 1
        if activity.type == "class":
            return "Lớp học chưa được xác nhận"
        extensions = (statement.statement.get("context") or {}).get("extensions") or {}
        return "Người hướng dẫn chưa được phân công" if extensions.get(REFUSE) else None


def headless_registry(refusing: bool = False) -> Registry:
    registry = Registry()
    registry.load(["credits"])
    if refusing:
        registry.pm.register(RefusingModule(), name="refusing")
    plugin.bind(registry, site_url=SITE)
    return registry


def parse(moment: str | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


class World:
    def __init__(self, session: Session, registry: Any) -> None:
        self.session = session
        self.registry = registry
        self.publish = registry.publish
        people.upsert_field(session, "tai-chinh", "Tài chính")
        people.upsert_field(session, "xay-dung", "Xây dựng")
        self.province = units.create_unit(session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
        self.commune = units.create_unit(session, code="X1", name="Xã Ia Grai", kind="commune", parent=self.province)
        self.other = units.create_unit(session, code="X2", name="Phường Quy Nhơn", kind="commune", parent=self.province)
        self.position = people.save_position(session, code="KT", name="Kế toán", field_code="tai-chinh")
        self.commit()

    def commit(self) -> None:
        UnitOfWork(self.session, self.publish).commit()

    def person(
        self,
        code: str,
        *,
        unit: Any = None,
        category: str = "cong_chuc",
        start: date | None = None,
        leader: bool = False,
        position: Any = None,
    ) -> Person:
        person = people.create_person(
            self.session,
            {
                "staff_code": code,
                "full_name": f"Cán bộ {code}",
                "category": category,
                "unit_id": (unit or self.commune).id,
                "position_id": position.id if position else None,
                "is_leader": leader,
                "start_date": start,
            },
        )
        self.commit()
        return person

    def activity(
        self,
        slug: str,
        periods: int = 4,
        *,
        version: int = 1,
        type: str = "course",
        field: str | None = "tai-chinh",
    ) -> Activity:
        activity = upsert_activity(
            self.session,
            iri=activity_iri(SITE, type, slug),
            type=type,
            title=f"Hoạt động {slug}",
            periods=periods,
            field_code=field,
            version=version,
            module="courses",
        )
        self.commit()
        return activity

    def statement(
        self,
        staff: str,
        activity: Activity | str,
        at: str | datetime,
        *,
        verb: str = "completed",
        success: bool | None = None,
        trusted: bool = True,
        version: int | None = None,
        refuse: bool = False,
        sid: str | None = None,
        stored: datetime | None = None,
        home_page: str = SITE,
    ) -> str:
        iri = activity if isinstance(activity, str) else activity.iri
        extensions: dict[str, Any] = {}
        if version is not None:
            extensions[version_extension(SITE)] = version
        if refuse:
            extensions[REFUSE] = True
        statement = build_statement(
            actor=account_agent(home_page, staff),
            verb=verb,
            activity_iri=iri,
            activity_name="Hoạt động",
            result=None if success is None else {"success": success},
            context={"extensions": extensions} if extensions else None,
            timestamp=parse(at),
        )
        statement["id"] = sid or str(uuid.uuid4())
        authority = (
            hocvu_authority(SITE, "courses")
            if trusted
            else Authority(account_agent(SITE, "lrs-client", "LRS"), "lrs:client", False)
        )
        row = store_statement(self.session, statement, authority, now=stored)
        self.commit()
        return row.id

    def void(self, statement_id: str, stored: datetime | None = None) -> str:
        voiding = {
            "id": str(uuid.uuid4()),
            "actor": account_agent(SITE, "hocvu", "HocVu"),
            "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": statement_id},
        }
        row = store_statement(self.session, voiding, hocvu_authority(SITE, "courses"), now=stored)
        self.commit()
        return row.id

    # --- reading the ledger ------------------------------------------------------------

    def credits(self) -> list[Credit]:
        self.session.rollback()
        return list(self.session.scalars(select(Credit).order_by(Credit.person_id, Credit.year, Credit.activity_id)))

    def credited(self, person: Person, year: int) -> int:
        return sum(c.periods for c in self.credits() if c.person_id == person.id and c.year == year)

    def not_counted(self) -> dict[str, str]:
        self.session.rollback()
        return {n.statement_id: n.reason for n in self.session.scalars(select(NotCounted))}


def snapshot(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every column of the ledger and of the not-counted list, in a stable order (as
    committed: the session's read transaction ends first)."""
    session.rollback()
    credit_columns = [c.name for c in Credit.__table__.c]
    not_counted_columns = [c.name for c in NotCounted.__table__.c]
    credits = sorted(tuple(getattr(row, name) for name in credit_columns) for row in session.scalars(select(Credit)))
    not_counted = sorted(
        tuple(getattr(row, name) for name in not_counted_columns) for row in session.scalars(select(NotCounted))
    )
    return credits, not_counted


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
