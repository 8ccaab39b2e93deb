"""Demo data modelled on Gia Lai's 2026 plan: the province after the 2025 merger, a few
communes and wards, Sở Nội vụ, a provincial hospital, the commune job positions of the
two-level government, 40+ officials and the four demo accounts.

``seed_core`` is idempotent: everything is looked up by its code first, and existing
rows (and passwords) are left as they are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.accounts import Account, Role, create_account, grant_role
from lms_core.people import (
    Category,
    Person,
    Position,
    create_person,
    person_by_staff_code,
    save_position,
    upsert_field,
)
from lms_core.units import Unit, UnitKind, create_unit, unit_by_code

DEFAULT_PASSWORD = "hocvu-demo-2026"

FIELDS = {
    "tai-chinh": "Tài chính",
    "xay-dung": "Xây dựng",
    "dat-dai-moi-truong": "Đất đai - Môi trường",
    "nong-nghiep": "Nông nghiệp",
    "chuyen-doi-so": "Khoa học, công nghệ và chuyển đổi số",
    "van-phong": "Văn phòng - Hành chính",
    "y-te": "Y tế",
    "noi-vu": "Nội vụ - Công vụ",
}

POSITIONS = [
    ("VP-TONGHOP", "Chuyên viên tổng hợp, Văn phòng HĐND và UBND", "van-phong"),
    ("VP-VANTHU", "Văn thư - lưu trữ, Văn phòng HĐND và UBND", "van-phong"),
    ("KT-TAICHINH", "Chuyên viên tài chính - kế hoạch, Phòng Kinh tế", "tai-chinh"),
    ("KT-XAYDUNG", "Chuyên viên xây dựng, quy hoạch, Phòng Kinh tế", "xay-dung"),
    ("KT-DATDAI", "Chuyên viên đất đai - môi trường, Phòng Kinh tế", "dat-dai-moi-truong"),
    ("VHXH-CDS", "Chuyên viên khoa học, công nghệ và chuyển đổi số, Phòng Văn hóa - Xã hội", "chuyen-doi-so"),
    ("VHXH-YTE", "Chuyên viên y tế - xã hội, Phòng Văn hóa - Xã hội", "y-te"),
    ("TTHCC-MOTCUA", "Chuyên viên tiếp nhận và trả kết quả, Trung tâm phục vụ hành chính công", "van-phong"),
    ("LD-UBND", "Chủ tịch, Phó Chủ tịch UBND cấp xã", "noi-vu"),
    ("SNV-CV", "Chuyên viên Sở Nội vụ", "noi-vu"),
    ("BV-BACSI", "Bác sĩ", "y-te"),
    ("BV-DIEUDUONG", "Điều dưỡng", "y-te"),
]

PROVINCE = ("GL", "Tỉnh Gia Lai", UnitKind.PROVINCE)
UNITS = [
    ("GL-SNV", "Sở Nội vụ tỉnh Gia Lai", UnitKind.DEPARTMENT),
    ("GL-STC", "Sở Tài chính tỉnh Gia Lai", UnitKind.DEPARTMENT),
    ("GL-P-QUYNHON", "Phường Quy Nhơn", UnitKind.COMMUNE),
    ("GL-P-PLEIKU", "Phường Pleiku", UnitKind.COMMUNE),
    ("GL-X-IAGRAI", "Xã Ia Grai", UnitKind.COMMUNE),
    ("GL-X-PHUCAT", "Xã Phù Cát", UnitKind.COMMUNE),
    ("GL-BVDK", "Bệnh viện Đa khoa tỉnh Gia Lai", UnitKind.PUBLIC_SERVICE_UNIT),
]
COMMUNES = ["GL-P-QUYNHON", "GL-P-PLEIKU", "GL-X-IAGRAI", "GL-X-PHUCAT"]
COMMUNE_POSITIONS = [
    "VP-TONGHOP",
    "VP-VANTHU",
    "KT-TAICHINH",
    "KT-XAYDUNG",
    "KT-DATDAI",
    "VHXH-CDS",
    "VHXH-YTE",
    "TTHCC-MOTCUA",
    "LD-UBND",
]

# (staff code, name, category, unit, position, leader, username, role grants as (role, unit))
NAMED_PEOPLE = [
    (
        "GL-00001",
        "Nguyễn Thị Mai",
        Category.CONG_CHUC,
        "GL-X-IAGRAI",
        "KT-TAICHINH",
        False,
        "demo.official",
        [(Role.LEARNER, "GL-X-IAGRAI")],
    ),
    (
        "GL-00002",
        "Trần Văn Hùng",
        Category.CONG_CHUC,
        "GL-X-IAGRAI",
        "KT-TAICHINH",
        False,
        "demo.mentor",
        [(Role.LEARNER, "GL-X-IAGRAI"), (Role.MENTOR, "GL-X-IAGRAI")],
    ),
    (
        "GL-00003",
        "Lê Thị Thu Hà",
        Category.CONG_CHUC,
        "GL-SNV",
        "SNV-CV",
        False,
        "demo.hr",
        [(Role.LEARNER, "GL-SNV"), (Role.HR, "GL")],
    ),
    ("GL-00004", "Phạm Quốc Bảo", Category.CONG_CHUC, "GL-SNV", "SNV-CV", False, "demo.admin", [(Role.ADMIN, "GL")]),
    (
        "GL-00005",
        "Võ Thị Ngọc Ánh",
        Category.CONG_CHUC,
        "GL-P-QUYNHON",
        "VP-TONGHOP",
        False,
        "demo.hr.quynhon",
        [(Role.LEARNER, "GL-P-QUYNHON"), (Role.HR, "GL-P-QUYNHON")],
    ),
]

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Đinh",
]
MIDDLE_MALE = ["Văn", "Quốc", "Minh", "Đức", "Thanh", "Hữu", "Công"]
MIDDLE_FEMALE = ["Thị", "Thị Thu", "Ngọc", "Thị Kim", "Thanh", "Thị Mỹ"]
GIVEN_MALE = ["Hùng", "Dũng", "Tuấn", "Khánh", "Phúc", "Nam", "Long", "Sơn", "Trung", "Hiếu", "Quang", "Tài"]
GIVEN_FEMALE = ["Lan", "Hương", "Trang", "Thảo", "Linh", "Hạnh", "Nhung", "Yến", "Vân", "Hằng", "Dung", "Oanh"]
# Gia Lai's Jrai and Bahnar officials keep their own naming.
HIGHLAND_NAMES = [
    "Rơ Mah H'Bia",
    "Ksor Y Phun",
    "Siu H'Nhung",
    "Rơ Châm Tuấn",
    "Puih Thơ",
    "Kpă H'Loan",
    "Đinh Văn Blin",
    "Rahlan Ngọc",
]


@dataclass
class DemoData:
    """What the core seed created, by code, for modules' ``hocvu_demo_seed`` hooks."""

    units: dict[str, Unit] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)


def _person_data(
    units: dict[str, Unit],
    positions: dict[str, Position],
    code: str,
    name: str,
    category: str,
    unit: str,
    position: str,
    leader: bool,
    start: date,
) -> dict[str, object]:
    return {
        "staff_code": code,
        "full_name": name,
        "email": f"{code.lower()}@gialai.gov.vn",
        "category": category,
        "unit_id": units[unit].id,
        "position_id": positions[position].id,
        "is_leader": leader,
        "start_date": start,
    }


def _generated_people() -> list[tuple[str, str, str, str, str, bool, date]]:
    """Forty officials spread over the communes, Sở Nội vụ and the hospital; a fixed
    seed keeps the names the same on every run."""
    rng = random.Random(2026)
    result = []
    for n in range(40):
        staff_code = f"GL-{n + 100:05d}"
        if n % 7 == 3:
            name = HIGHLAND_NAMES[n % len(HIGHLAND_NAMES)]
        elif rng.random() < 0.5:
            name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_MALE)} {rng.choice(GIVEN_MALE)}"
        else:
            name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_FEMALE)} {rng.choice(GIVEN_FEMALE)}"
        if n < 32:
            unit, position = COMMUNES[n % len(COMMUNES)], COMMUNE_POSITIONS[n % len(COMMUNE_POSITIONS)]
            category = Category.CAN_BO if position == "LD-UBND" else Category.CONG_CHUC
        elif n < 36:
            unit, position, category = "GL-SNV", "SNV-CV", Category.CONG_CHUC
        else:
            unit, position, category = "GL-BVDK", ("BV-BACSI" if n % 2 else "BV-DIEUDUONG"), Category.VIEN_CHUC
        # A few started mid-year, for pro-rata requirements.
        start = date(2026, 1 + n % 9, 1) if n % 5 == 0 else date(2015 + n % 10, 3, 1)
        result.append((staff_code, name, category, unit, position, position == "LD-UBND", start))
    return result


def seed_core(session: Session, password: str = DEFAULT_PASSWORD) -> DemoData:
    """Create the core demo data (idempotent). Caller commits."""
    demo = DemoData()
    for code, name in FIELDS.items():
        upsert_field(session, code, name)
    session.flush()

    for code, name, field_code in POSITIONS:
        existing = session.scalar(select(Position).where(Position.code == code))
        demo.positions[code] = existing or save_position(session, code=code, name=name, field_code=field_code)

    province = unit_by_code(session, PROVINCE[0]) or create_unit(
        session, code=PROVINCE[0], name=PROVINCE[1], kind=PROVINCE[2], parent=None
    )
    demo.units[province.code] = province
    for code, name, kind in UNITS:
        demo.units[code] = unit_by_code(session, code) or create_unit(
            session, code=code, name=name, kind=kind, parent=province
        )

    for code, name, category, unit, position, leader, username, grants in NAMED_PEOPLE:
        person = person_by_staff_code(session, code) or create_person(
            session,
            _person_data(demo.units, demo.positions, code, name, category, unit, position, leader, date(2018, 8, 1)),
        )
        demo.people[code] = person
        account = session.scalar(select(Account).where(Account.username == username))
        if account is None:
            account = create_account(session, username=username, password=password, person=person)
            for role, grant_unit in grants:
                grant_role(session, account, role, demo.units[grant_unit])
        demo.accounts[username] = account

    for code, name, category, unit, position, leader, start in _generated_people():
        demo.people[code] = person_by_staff_code(session, code) or create_person(
            session, _person_data(demo.units, demo.positions, code, name, category, unit, position, leader, start)
        )
    session.flush()
    return demo
