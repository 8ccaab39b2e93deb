"""Building plans and records through the services, as HR would."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from modules.plans import records, services
from modules.plans.models import DegreeTraining, PlanLine, TrainingPlan

MASTER_LINE = {"kind": "count", "title": "Cử 97 cán bộ đi học thạc sĩ", "programme": "thac_si", "target": 97}
CLASS_LINE = {
    "kind": "class",
    "title": "Tài chính: kiến thức đấu thầu",
    "field_code": "tai-chinh",
    "target": 6,
    "class_size": 60,
    "category": "cong_chuc",
    "unit_kind": "commune",
}


def approved_plan(
    session: Session, account: Any, unit: Any, lines: list[dict[str, Any]], *, year: int = 2026
) -> tuple[TrainingPlan, list[PlanLine]]:
    plan = services.create_plan(
        session,
        account,
        {
            "year": year,
            "unit_id": unit.id,
            "title": f"Kế hoạch đào tạo, bồi dưỡng năm {year} — {unit.name}",
            "decision_number": "12/KH-UBND",
            "decision_date": date(year, 1, 12),
            "budget_vnd": 5_000_000_000,
        },
    )
    made = [services.add_line(session, account, plan, data) for data in lines]
    services.approve_plan(session, account, plan)
    session.commit()
    return plan, made


def degree_data(person: Any, line: PlanLine, **changes: Any) -> dict[str, Any]:
    return {
        "person_id": person.id,
        "line_id": line.id,
        "level": "thac_si",
        "institution": "Học viện Hành chính và Quản trị công",
        "field_of_study": "Quản lý công",
        "start_date": date(2026, 9, 1),
        "end_date": date(2028, 8, 31),  # 24 months: T1 = 72
        "funding": "ngan_sach",
        "cost_vnd": 120_000_000,
        "status": "dang_hoc",
    } | changes


def degree(session: Session, account: Any, person: Any, line: PlanLine, **changes: Any) -> DegreeTraining:
    record = records.create_degree(session, account, degree_data(person, line, **changes))
    session.commit()
    return record
