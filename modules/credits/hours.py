"""A person's training hours for a year: required vs credited, by field and by source,
each credited item, and the statements that did not count with the reason. Headless:
session in, plain data out; texts are Vietnamese unless a ``translate`` (gettext) is given."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, union
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, ActivityType, ActivityVersion, curriculum
from lms_core.errors import N_
from lms_core.people import Field, Person
from modules.credits import closing
from modules.credits.engine import TIMEZONE, Reason
from modules.credits.models import Credit, ExternalClaim, NotCounted
from modules.credits.requirements import (
    DEFAULT_PERIODS,
    Translate,
    counted_periods,
    describe_cap,
    identity,
    requirement_for,
)

SOURCE_LABELS = {
    ActivityType.COURSE.value: N_("Khóa học trực tuyến"),
    ActivityType.QUIZ.value: N_("Bài kiểm tra"),
    ActivityType.CHECKLIST.value: N_("Kèm cặp, thực hành tại chỗ"),
    ActivityType.CLASS.value: N_("Lớp học tập trung"),
    ActivityType.PACKAGE.value: N_("Học liệu điện tử"),
    ActivityType.EXTERNAL.value: N_("Bồi dưỡng bên ngoài"),
}

REASON_MESSAGES = {
    Reason.NOT_IN_CATALOG.value: N_("Hoạt động không có trong danh mục bồi dưỡng."),
    Reason.UNTRUSTED.value: N_("Nguồn gửi kết quả không được phép ghi nhận số tiết."),
    Reason.FAILED.value: N_("Kết quả chưa đạt."),
    Reason.REFUSED.value: N_("Không được ghi nhận: %(detail)s"),
    Reason.DUPLICATE.value: N_(
        "Hoạt động đã được ghi nhận trong năm (lần ngày %(date)s); mỗi hoạt động chỉ tính một lần."
    ),
}

NO_FIELD = N_("Chưa phân lĩnh vực")


def local_date(moment: datetime) -> str:
    """The day of ``moment`` in Vietnam, ISO 8601 (for the API)."""
    return moment.astimezone(TIMEZONE).date().isoformat()


def vietnamese_date(moment: datetime) -> str:
    """The day of ``moment`` in Vietnam as people write it: 10/03/2026."""
    return moment.astimezone(TIMEZONE).strftime("%d/%m/%Y")


def current_year() -> int:
    return datetime.now(TIMEZONE).year


def current_date() -> date:
    return datetime.now(TIMEZONE).date()


def hours_for(
    session: Session,
    person: Person,
    year: int,
    *,
    default_periods: int = DEFAULT_PERIODS,
    translate: Translate = identity,
) -> dict[str, Any]:
    """``{"required", "credited", "by_field", "items", "explanation", "not_counted", …}``
    for ``person`` in ``year``. ``credited`` counts each item's periods after the caps of
    the applicable rule (``items[*].counted``); ``periods`` is what the item earned."""
    requirement = requirement_for(session, person, year, default_periods=default_periods)
    rows = session.execute(
        select(Credit, Activity.iri, Activity.title, ActivityVersion.title)
        .join(Activity, Activity.id == Credit.activity_id)
        .outerjoin(
            ActivityVersion,
            and_(ActivityVersion.activity_id == Credit.activity_id, ActivityVersion.version == Credit.version),
        )
        .where(Credit.person_id == person.id, Credit.year == year)
        .order_by(Credit.earned_at, Credit.activity_id)
    ).all()
    caps = requirement.caps
    counted = counted_periods([(c.periods, c.activity_type, c.field_code) for c, *_ in rows], caps)
    field_codes = {c.field_code for c, *_ in rows if c.field_code} | {cap.value for cap in caps if cap.kind == "field"}
    names = {f.code: f.name for f in session.scalars(select(Field).where(Field.code.in_(field_codes)))}

    items = []
    by_field: dict[str | None, int] = {}
    by_source: dict[str, int] = {}
    for (credit, iri, title, version_title), value in zip(rows, counted, strict=True):
        items.append(
            {
                "activity": iri,
                "activity_id": credit.activity_id,
                "title": version_title or title,
                "type": credit.activity_type,
                "source": translate(SOURCE_LABELS.get(credit.activity_type, credit.activity_type)),
                "field": credit.field_code,
                "field_name": names.get(credit.field_code or "", translate(NO_FIELD)),
                "periods": credit.periods,
                "counted": value,
                "version": credit.version,
                "date": local_date(credit.earned_at),
                "statement_id": credit.statement_id,
            }
        )
        by_field[credit.field_code] = by_field.get(credit.field_code, 0) + value
        by_source[credit.activity_type] = by_source.get(credit.activity_type, 0) + value

    claim_of = _claims_by_statement(session, [i["statement_id"] for i in items if i["type"] == "external"])
    for item in items:
        claim = claim_of.get(item["statement_id"])
        item["claim_id"] = claim.id if claim else None
        item["evidence_url"] = f"/api/v1/claims/{claim.id}/evidence" if claim and claim.evidence_name else None

    credited = sum(counted)
    return {
        "person_id": person.id,
        "year": year,
        "required": requirement.periods,
        "credited": credited,
        "missing": max(0, requirement.periods - credited),
        "explanation": requirement.explanation(translate),
        "rule": None if requirement.rule is None else {"id": requirement.rule.id, "name": requirement.rule.name},
        "caps": [describe_cap(cap, translate, names) for cap in caps],
        "by_field": [
            {"field": code, "name": names.get(code or "", translate(NO_FIELD)), "periods": periods}
            for code, periods in sorted(by_field.items(), key=lambda kv: (-kv[1], kv[0] or ""))
        ],
        "by_source": [
            {"type": kind, "label": translate(SOURCE_LABELS.get(kind, kind)), "periods": periods}
            for kind, periods in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "items": items,
        "not_counted": not_counted_for(session, person, year, {c.activity_id: c for c, *_ in rows}, translate),
        "curriculum_due": curriculum_due(session, person, year),
        "closing": closing_state(session, person, year),
    }


def _claims_by_statement(session: Session, statement_ids: list[str]) -> dict[str, ExternalClaim]:
    if not statement_ids:
        return {}
    found = session.scalars(select(ExternalClaim).where(ExternalClaim.statement_id.in_(statement_ids)))
    return {claim.statement_id: claim for claim in found if claim.statement_id}


def due_date(rule: str, person: Person, year: int) -> date | None:
    """When a curriculum item is due: "year_end" -> 31/12 of ``year``; "days:N" -> N days
    after the person started (None when the start date is unknown)."""
    if rule.startswith("days:") and rule[5:].isdigit():
        return person.start_date + timedelta(days=int(rule[5:])) if person.start_date else None
    return date(year, 12, 31)


def curriculum_due(session: Session, person: Person, year: int) -> list[dict[str, Any]]:
    """The position's required activities not yet credited, with the day each is due: an
    item due at year end must be credited in ``year``, one due N days after starting the
    position once in any year. Soonest first."""
    if person.position_id is None:
        return []
    items = [item for item in curriculum(session, person.position_id) if item.required]
    credited = session.execute(
        select(Credit.activity_id, Credit.year).where(
            Credit.person_id == person.id, Credit.activity_id.in_([i.activity_id for i in items])
        )
    ).all()
    this_year = {a for a, y in credited if y == year}
    ever = {a for a, _ in credited}
    due = []
    for item in items:
        once = item.due_rule.startswith("days:")
        if item.activity_id in (ever if once else this_year):
            continue
        when = due_date(item.due_rule, person, year)
        due.append(
            {
                "activity": item.activity.iri,
                "activity_id": item.activity_id,
                "title": item.activity.title,
                "type": item.activity.type,
                "periods": item.activity.periods,
                "due": when.isoformat() if when else None,
                "overdue": when is not None and when < current_date(),
            }
        )
    return sorted(due, key=lambda d: (d["due"] is None, d["due"] or "", d["title"]))


def closing_state(session: Session, person: Person, year: int) -> dict[str, Any] | None:
    """When ``year`` is closed for the person's unit: when, the totals then, and the
    corrections since (newest last)."""
    found = closing.closing_for(session, person, year)
    if found is None:
        return None
    total = closing.closing_total(session, found, person.id)
    return {
        "closed_at": found.closed_at.isoformat(),
        "closed_day": vietnamese_date(found.closed_at),
        "unit": found.unit.name,
        "required": total.required if total else None,
        "credited": total.credited if total else None,
        "corrections": [
            {
                "at": vietnamese_date(c.at),
                "statement_id": c.statement_id,
                "periods_before": c.periods_before,
                "periods_after": c.periods_after,
                "reason": c.reason,
            }
            for c in closing.corrections_for(session, person.id, year)
        ],
    }


def not_counted_for(
    session: Session, person: Person, year: int, credits: dict[int, Credit], translate: Translate = identity
) -> list[dict[str, Any]]:
    rows = session.execute(
        select(NotCounted, Activity.title)
        .outerjoin(Activity, Activity.id == NotCounted.activity_id)
        .where(NotCounted.person_id == person.id, NotCounted.year == year)
        .order_by(NotCounted.occurred_at, NotCounted.statement_id)
    ).all()
    result = []
    for row, title in rows:
        params = {"detail": translate(row.detail) if row.detail else "", "date": ""}
        if row.reason == Reason.DUPLICATE.value and row.activity_id in credits:
            params["date"] = vietnamese_date(credits[row.activity_id].earned_at)
        result.append(
            {
                "statement_id": row.statement_id,
                "activity": row.activity_iri,
                "title": title or row.activity_iri,
                "date": local_date(row.occurred_at),
                "reason": row.reason,
                "message": translate(REASON_MESSAGES.get(row.reason, row.reason)) % params,
            }
        )
    return result


def years_for(session: Session, person: Person) -> list[int]:
    """Years with anything for ``person`` in the ledger, and the current year, newest first."""
    found = session.scalars(
        union(
            select(Credit.year).where(Credit.person_id == person.id),
            select(NotCounted.year).where(NotCounted.person_id == person.id),
        )
    ).all()
    return sorted(set(found) | {current_year()}, reverse=True)
