"""The reports through the app: figures rolled up per unit equal the per-person hours, HR
sees only its own scope (pages, API, CSV and .xlsx), the exports open, filters work and
the print view renders. Run with HOCVU_MODULES=…,credits,certificates,reports."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.catalog import Activity, activity_iri, set_curriculum_item
from lms_core.people import Person
from lms_core.units import Unit
from modules.credits.models import RequirementRule, RuleCap
from tests.conftest import bearer, login
from tests.modules.credits.test_api import complete

WARD_HR = "demo.hr.quynhon"
SITE = "https://hocvu.test"


def _history(app: Any, session: Session, demo: Any) -> None:
    """Completions in Ia Grai and Quy Nhơn, a province rule with an online cap that binds
    for one person, and a required curriculum item for the finance position."""
    rule = RequirementRule(year=2026, name="Toàn tỉnh 2026", periods=8, unit=demo.units["GL"], pro_rata=True)
    rule.caps = [RuleCap(kind="online", value=None, max_periods=10)]
    session.add(rule)
    session.commit()
    complete(app, session, "GL-00001", "dau-thau", "2026-03-10T09:00:00+07:00", periods=8)
    complete(app, session, "GL-00001", "ngan-sach", "2026-04-10T09:00:00+07:00", periods=8)  # capped: 2 count
    complete(app, session, "GL-00002", "luat-dat-dai", "2026-03-11T09:00:00+07:00", periods=4)
    complete(app, session, "GL-00005", "dau-thau", "2026-05-01T09:00:00+07:00")
    complete(app, session, "GL-00005", "ngan-sach", "2026-05-02T09:00:00+07:00")
    activity = session.scalar(select(Activity).where(Activity.iri == activity_iri(SITE, "course", "ngan-sach")))
    set_curriculum_item(session, demo.positions["KT-TAICHINH"], activity, required=True)
    session.commit()


def _people_in(session: Session, code: str) -> list[Person]:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    return list(
        session.scalars(select(Person).join(Unit, Unit.id == Person.unit_id).where(Unit.path.startswith(unit.path)))
    )


def test_rollups_equal_the_per_person_hours(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    hr = bearer(client, "demo.hr")
    body = client.get("/api/v1/reports/summary?year=2026", headers=hr).get_json()
    assert body["unit"] == "GL"
    by_code = {u["code"]: u for u in body["units"]}
    for code in ("GL", "GL-X-IAGRAI", "GL-P-QUYNHON", "GL-BVDK"):
        people = _people_in(app_db, code)
        hours = [client.get(f"/api/v1/people/{p.id}/hours?year=2026", headers=hr).get_json() for p in people]
        unit = by_code[code]
        assert unit["people"] == len(people)
        assert unit["required"] == sum(h["required"] for h in hours)
        assert unit["credited"] == sum(h["credited"] for h in hours)
        assert unit["on_track"] == sum(h["credited"] >= h["required"] for h in hours)
        assert unit["shortfall"] == sum(max(0, h["required"] - h["credited"]) for h in hours)
    assert body["total"] == by_code["GL"]
    rows = client.get("/api/v1/reports/hours?year=2026", headers=hr).get_json()["rows"]
    assert len(rows) == 45
    mai = next(r for r in rows if r["staff_code"] == "GL-00001")
    assert (mai["required"], mai["credited"], mai["unit"], mai["rule"]) == (8, 10, "Xã Ia Grai", "Toàn tỉnh 2026")
    assert {"person_id", "staff_code", "name", "unit", "position", "required", "credited"} <= set(mai)
    own = client.get(f"/api/v1/people/{mai['person_id']}/hours?year=2026", headers=hr).get_json()
    assert (own["required"], own["credited"]) == (mai["required"], mai["credited"])


def test_a_ward_hr_sees_and_exports_only_the_ward(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    ward = bearer(client, WARD_HR)
    ward_people = {p.staff_code for p in _people_in(app_db, "GL-P-QUYNHON")}
    rows = client.get("/api/v1/reports/hours?year=2026", headers=ward).get_json()["rows"]
    assert {r["staff_code"] for r in rows} == ward_people and rows
    assert {r["unit_code"] for r in rows} == {"GL-P-QUYNHON"}
    for fmt in ("json", "csv", "xlsx"):
        for code in ("GL-X-IAGRAI", "GL"):
            denied = client.get(f"/api/v1/reports/hours?year=2026&unit={code}&format={fmt}", headers=ward)
            assert denied.status_code == 403, (fmt, code)
            assert denied.get_json()["error"]["code"] == "forbidden"
    for path in ("summary", "behind", "curriculum"):
        assert client.get(f"/api/v1/reports/{path}?unit=GL-X-IAGRAI", headers=ward).status_code == 403
    csv_rows = _csv(client.get("/api/v1/reports/hours?year=2026&format=csv", headers=ward).data)
    assert {r[0] for r in csv_rows[1:-1]} == ward_people
    assert client.get("/api/v1/reports/hours?unit=NO-SUCH", headers=ward).status_code == 404
    assert client.get("/api/v1/reports/hours", headers=bearer(client, "demo.official")).status_code == 403
    assert client.get("/api/v1/reports/hours").status_code == 401

    login(client, WARD_HR)
    page = client.get("/reports?year=2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Phường Quy Nhơn" in text and "Xã Ia Grai" not in text
    assert client.get("/reports?unit=GL-X-IAGRAI").status_code == 403
    for report in ("hours", "units", "behind", "positions"):
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/reports/export/{report}.{fmt}?unit=GL-X-IAGRAI").status_code == 403
    exported = _csv(client.get("/reports/export/hours.csv?year=2026").data)
    assert {r[0] for r in exported[1:-1]} == ward_people
    behind = client.get("/reports/behind?year=2026").get_data(as_text=True)
    assert "Xã Ia Grai" not in behind


def test_province_hr_sees_every_commune(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    rows = client.get("/api/v1/reports/hours?year=2026&unit=GL-X-IAGRAI", headers=bearer(client, "demo.hr"))
    assert rows.status_code == 200
    assert {r["unit_code"] for r in rows.get_json()["rows"]} == {"GL-X-IAGRAI"}
    login(client, "demo.hr")
    text = client.get("/reports?year=2026").get_data(as_text=True)
    for name in ("Xã Ia Grai", "Phường Quy Nhơn", "Bệnh viện Đa khoa tỉnh Gia Lai"):
        assert name in text
    assert "<svg" in text and 'role="img"' in text and "Xem số liệu dạng bảng" in text
    if "certificates" in reports_app.config["MODULES"]:
        assert 'action="/certificates/units/GL.zip"' in text and 'name="year" value="2026"' in text


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_xlsx_and_csv_exports(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    hr = bearer(client, "demo.hr")
    response = client.get("/api/v1/reports/hours?year=2026&unit=GL-X-IAGRAI&format=xlsx", headers=hr)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Mã cán bộ", "Họ và tên", "Đơn vị"]
    assert "Số tiết yêu cầu" in header and "Số tiết đã ghi nhận" in header
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    totals = rows[-1]
    assert totals[0] == "Tổng cộng"
    required_col, credited_col = header.index("Số tiết yêu cầu"), header.index("Số tiết đã ghi nhận")
    assert totals[required_col] == sum(r[required_col] for r in rows[:-1])
    assert totals[credited_col] == sum(r[credited_col] for r in rows[:-1]) == 10 + 4
    assert sheet.cell(row=2, column=required_col + 1).number_format == "#,##0"

    parsed = _csv(client.get("/api/v1/reports/hours?year=2026&unit=GL-X-IAGRAI&format=csv", headers=hr).data)
    assert parsed[0][:2] == ["Mã cán bộ", "Họ và tên"]
    assert parsed[-1][0] == "Tổng cộng" and len(parsed) == len(rows) + 1
    names = {r[1] for r in parsed[1:-1]}
    assert "Nguyễn Thị Mai" in names

    login(client, "demo.hr")
    units = load_workbook(io.BytesIO(client.get("/reports/export/units.xlsx?year=2026").data)).active
    first = [c.value for c in units[1]]
    assert first[0] == "Đơn vị" and units.freeze_panes == "A2"
    assert [r[0] for r in units.iter_rows(min_row=2, max_row=2, values_only=True)] == ["Tỉnh Gia Lai"]
    positions = load_workbook(io.BytesIO(client.get("/reports/export/positions.xlsx?year=2026").data)).active
    pos_rows = list(positions.iter_rows(min_row=2, values_only=True))
    assert pos_rows[-1][0] == "Tổng cộng" and pos_rows[-1][1] == 45
    for report in ("behind", "curriculum", "fields", "categories"):
        assert len(_csv(client.get(f"/reports/export/{report}.csv?year=2026").data)) >= 2, report
    assert client.get("/reports/export/nothing.csv").status_code == 404


def test_filters_and_the_people_behind(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    hr = bearer(client, "demo.hr")
    hospital = client.get("/api/v1/reports/hours?year=2026&category=vien_chuc", headers=hr).get_json()["rows"]
    assert hospital and {r["category"] for r in hospital} == {"vien_chuc"}
    assert {r["unit_code"] for r in hospital} == {"GL-BVDK"}
    finance = client.get("/api/v1/reports/hours?year=2026&field=tai-chinh", headers=hr).get_json()["rows"]
    assert finance and {r["field"] for r in finance} == {"tai-chinh"}
    summary = client.get("/api/v1/reports/summary?year=2026&field=tai-chinh", headers=hr).get_json()
    assert summary["total"]["people"] == len(finance)
    assert client.get("/api/v1/reports/hours?category=nobody", headers=hr).status_code == 400

    behind = client.get("/api/v1/reports/behind?year=2026&unit=GL-X-IAGRAI", headers=hr).get_json()["rows"]
    by_code = {r["staff_code"]: r for r in behind}
    # Mai has her 8 periods (10 counted of 16: the online cap) and the curriculum: not behind.
    assert "GL-00001" not in by_code
    # Hùng (finance too) has 4 of 8 and never took the required "ngan-sach" course.
    assert by_code["GL-00002"]["shortfall"] == 4
    assert [m["title"] for m in by_code["GL-00002"]["missing"]] == ["Khóa học ngan-sach"]
    completion = client.get("/api/v1/reports/curriculum?year=2026", headers=hr).get_json()["positions"]
    [finance_position] = [p for p in completion if p["code"] == "KT-TAICHINH"]
    assert finance_position["items"][0]["done"] == 1 and finance_position["complete"] == 1

    login(client, "demo.hr")
    page = client.get("/reports/behind?year=2026&unit=GL-X-IAGRAI").get_data(as_text=True)
    assert "Trần Văn Hùng" in page and "Khóa học ngan-sach" in page
    assert client.get("/reports/curriculum?year=2026").status_code == 200
    filtered = client.get("/reports?year=2026&category=vien_chuc").get_data(as_text=True)
    assert "Bệnh viện Đa khoa tỉnh Gia Lai" in filtered


def test_the_print_view_and_the_api_document(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    _history(reports_app, app_db, demo)
    login(client, "demo.hr")
    page = client.get("/reports/print?year=2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Báo cáo kết quả bồi dưỡng năm 2026" in text and "reports.css" in text
    assert 'class="site-header"' not in text
    css = client.get("/reports/static/reports.css").get_data(as_text=True)
    assert "@media print" in css
    assert "Báo cáo" in client.get("/").get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/reports/hours" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/reports/hours"]["get"]["parameters"]}
    assert {"year", "unit", "format"} <= params


def test_someone_who_left_the_service_is_not_counted(reports_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    hr = bearer(client, "demo.hr")
    before = client.get("/api/v1/reports/summary?year=2026", headers=hr).get_json()["total"]["people"]
    gone = demo.people["GL-00002"]
    assert client.patch(f"/api/v1/people/{gone.id}", json={"active": False}, headers=hr).status_code == 200
    after = client.get("/api/v1/reports/summary?year=2026", headers=hr).get_json()["total"]["people"]
    assert after == before - 1
    rows = client.get("/api/v1/reports/hours?year=2026", headers=hr).get_json()["rows"]
    assert gone.staff_code not in {r["staff_code"] for r in rows} and len(rows) == after
    login(client, "demo.hr")
    assert gone.full_name not in client.get("/reports/behind?year=2026").get_data(as_text=True)
