"""The demo plan, modelled on Gia Lai's 2026 plan for training cadres, civil servants and
public employees ("kế hoạch đào tạo, bồi dưỡng, tập huấn cán bộ, công chức, viên chức
năm 2026"): 3 tiến sĩ, 97 thạc sĩ, 20 chuyên khoa II and 191 chuyên khoa I; 100% of
commune civil servants trained; classes for commune officials in finance, construction,
agriculture and environment, science and technology, and office work. The decision
number, class sizes and the budget are illustrative: the published report gives none.

Also a draft plan of Phường Quy Nhơn (the ward HR's own), a few degree training records
and a nomination. Idempotent: nothing is added once the province's 2026 plan exists.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.people import Category
from lms_core.units import UnitKind
from modules.plans import records, services
from modules.plans.models import TrainingPlan

YEAR = 2026

COMMUNE_STAFF = {"category": Category.CONG_CHUC.value, "unit_kind": UnitKind.COMMUNE.value}

LINES: list[dict[str, Any]] = [
    {"kind": "share", "title": "100% công chức cấp xã được bồi dưỡng", "target": 100, "measure": "any_credit"}
    | COMMUNE_STAFF,
    {
        "kind": "share",
        "title": "100% công chức cấp xã hoàn thành số tiết bồi dưỡng theo quy định",
        "target": 100,
        "measure": "requirement",
    }
    | COMMUNE_STAFF,
    {
        "kind": "share",
        "title": "100% Chủ tịch, Phó Chủ tịch UBND cấp xã được bồi dưỡng kiến thức, kỹ năng lãnh đạo, quản lý",
        "target": 100,
        "measure": "any_credit",
        "unit_kind": UnitKind.COMMUNE.value,
        "is_leader": True,
    },
    {
        "kind": "count",
        "title": "Cử 3 cán bộ đi học tiến sĩ: công nghệ sinh học, chính sách công, vật lý",
        "programme": "tien_si",
        "target": 3,
    },
    {
        "kind": "count",
        "title": "Cử 97 cán bộ đi học thạc sĩ: công nghệ thông tin, đất đai, xây dựng, tài chính, kế toán, "
        "kinh tế, hành chính công, giáo dục, văn hóa, y tế",
        "programme": "thac_si",
        "target": 97,
    },
    {
        "kind": "count",
        "title": "Bồi dưỡng chuyên khoa II cho 20 cán bộ y tế: ung thư, nội khoa, ngoại khoa, nhi khoa, "
        "gây mê hồi sức, nội tiết, ngoại tiết niệu",
        "programme": "chuyen_khoa_2",
        "target": 20,
    },
    {
        "kind": "count",
        "title": "Bồi dưỡng chuyên khoa I cho 191 cán bộ y tế: ung bướu, nội khoa, tim mạch, thần kinh, "
        "ngoại thần kinh, tâm thần, ngoại tiết niệu",
        "programme": "chuyen_khoa_1",
        "target": 191,
    },
    {
        "kind": "class",
        "title": "Tài chính: kiến thức đấu thầu; ngân sách, thanh toán và quyết toán dự án vốn đầu tư công",
        "field_code": "tai-chinh",
        "target": 6,
        "class_size": 60,
        "measure": "credits",
    }
    | COMMUNE_STAFF,
    {
        "kind": "class",
        "title": "Xây dựng: dự án đầu tư thuộc thẩm quyền UBND cấp xã; quy định mới về quy hoạch đô thị, nông thôn",
        "field_code": "xay-dung",
        "target": 5,
        "class_size": 60,
        "measure": "credits",
    }
    | COMMUNE_STAFF,
    {
        "kind": "class",
        "title": "Nông nghiệp và môi trường: bồi thường, hỗ trợ, tái định cư khi Nhà nước thu hồi đất; "
        "đăng ký, cấp giấy chứng nhận quyền sử dụng đất",
        "field_code": "dat-dai-moi-truong",
        "target": 6,
        "class_size": 60,
        "measure": "manual",
    }
    | COMMUNE_STAFF,
    {
        "kind": "class",
        "title": "Khoa học và công nghệ: kiến trúc chính quyền số, trợ lý ảo, văn phòng điện tử và nền tảng số",
        "field_code": "chuyen-doi-so",
        "target": 5,
        "class_size": 60,
        "measure": "credits",
    }
    | COMMUNE_STAFF,
    {
        "kind": "class",
        "title": "Văn phòng: vận hành hệ thống thông tin giải quyết thủ tục hành chính, hồ sơ phi địa giới",
        "field_code": "van-phong",
        "target": 5,
        "class_size": 60,
        "measure": "manual",
    }
    | COMMUNE_STAFF,
    {
        "kind": "budget",
        "title": "Kinh phí bồi dưỡng, tập huấn cán bộ, công chức cấp xã",
        "planned_vnd": 2_000_000_000,
    },
    {"kind": "budget", "title": "Kinh phí đào tạo sau đại học, chuyên khoa", "planned_vnd": 3_000_000_000},
]

# (staff code, programme, institution, field of study, start, end, funding, cost, status)
DEGREES = [
    ("GL-00133", "tien_si", "Học viện Chính trị quốc gia Hồ Chí Minh", "Chính sách công",
     date(2026, 10, 1), date(2029, 9, 30), "ngan_sach", 300_000_000, "dang_hoc"),
    ("GL-00132", "thac_si", "Học viện Hành chính và Quản trị công", "Quản lý công",
     date(2026, 9, 1), date(2028, 8, 31), "ngan_sach", 120_000_000, "dang_hoc"),
    ("GL-00134", "thac_si", "Trường Đại học Quy Nhơn", "Công nghệ thông tin",
     date(2026, 9, 1), date(2028, 8, 31), "tu_tuc", 0, "dang_hoc"),
    ("GL-00137", "chuyen_khoa_1", "Trường Đại học Y - Dược, Đại học Huế", "Nội khoa",
     date(2026, 3, 1), date(2028, 2, 29), "ngan_sach", 90_000_000, "dang_hoc"),
    ("GL-00136", "chuyen_khoa_2", "Trường Đại học Y Hà Nội", "Ung thư",
     date(2026, 1, 5), date(2027, 12, 31), "ngan_sach", 150_000_000, "bo_hoc"),
]  # fmt: skip


def seed(session: Session, demo: Any) -> None:
    """The demo plans and records (idempotent). Caller commits."""
    province = demo.units["GL"]
    if session.scalar(select(TrainingPlan.id).where(TrainingPlan.unit_id == province.id, TrainingPlan.year == YEAR)):
        return
    hr = demo.accounts["demo.hr"]
    plan = services.create_plan(
        session,
        hr,
        {
            "year": YEAR,
            "unit_id": province.id,
            "title": "Kế hoạch đào tạo, bồi dưỡng, tập huấn cán bộ, công chức, viên chức năm 2026",
            "decision_number": "12/KH-UBND",
            "decision_date": date(2026, 1, 12),
            "budget_vnd": 5_000_000_000,
            "note": "Tập trung phương pháp “cầm tay chỉ việc”, phù hợp vị trí việc làm; "
            "không cử đi đào tạo ngoài kế hoạch, kể cả trường hợp tự túc kinh phí.",
        },
    )
    lines = [services.add_line(session, hr, plan, data) for data in LINES]
    services.approve_plan(session, hr, plan)
    by_programme = {line.programme: line for line in lines if line.programme}
    for staff, level, institution, study, start, end, funding, cost, status in DEGREES:
        records.create_degree(
            session,
            hr,
            {
                "person_id": demo.people[staff].id,
                "line_id": by_programme[level].id,
                "level": level,
                "institution": institution,
                "field_of_study": study,
                "start_date": start,
                "end_date": end,
                "funding": funding,
                "cost_vnd": cost,
                "status": status,
                "decision_number": "Quyết định cử đi học (dữ liệu mẫu)",
            },
        )
    finance = next(line for line in lines if line.field_code == "tai-chinh")
    records.create_nomination(
        session,
        hr,
        {
            "person_id": demo.people["GL-00001"].id,
            "line_id": finance.id,
            "title": "Bồi dưỡng kiến thức đấu thầu cho cán bộ xã, phường",
            "institution": "Sở Tài chính tỉnh Gia Lai",
            "mode": "tap_trung",
            "start_date": date(2026, 3, 9),
            "end_date": date(2026, 3, 13),
            "status": "hoan_thanh",
        },
    )
    office = next(line for line in lines if line.field_code == "van-phong")
    services.record_actual(
        session,
        hr,
        office,
        {"actual_classes": 2, "actual_people": 118, "actual_note": "Số liệu mẫu: hai lớp đã tổ chức trong quý I."},
    )

    quynhon_hr = demo.accounts["demo.hr.quynhon"]
    ward = services.create_plan(
        session,
        quynhon_hr,
        {
            "year": YEAR,
            "unit_id": demo.units["GL-P-QUYNHON"].id,
            "title": "Kế hoạch bồi dưỡng cán bộ, công chức Phường Quy Nhơn năm 2026",
            "budget_vnd": 150_000_000,
        },
    )
    services.add_line(
        session,
        quynhon_hr,
        ward,
        {
            "kind": "share",
            "title": "100% công chức phường hoàn thành tối thiểu một tuần bồi dưỡng (40 tiết/năm)",
            "target": 100,
            "measure": "requirement",
            "category": Category.CONG_CHUC.value,
        },
    )
    session.flush()
