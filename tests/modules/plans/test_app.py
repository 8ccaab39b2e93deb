"""The plans pages, the JSON API and the exports in the app: the demo plan and its
report, scope (the ward's HR sees the province plan's targets, never its figures), a
nomination without a plan line refused, share targets from real credits, and the
.xlsx/.csv exports."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core import audit
from lms_core.catalog import Activity, activity_iri, upsert_activity
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
from lms_core.uow import UnitOfWork
from modules.plans import demo as plans_demo
from modules.plans.models import Nomination, PlanLine, TrainingPlan
from tests.conftest import bearer, login
from tests.modules.plans.conftest import FakeHours, hours_row

SITE = "https://hocvu.test"
WARD_HR = "demo.hr.quynhon"


def seed(session: Session, demo: Any) -> tuple[TrainingPlan, TrainingPlan]:
    plans_demo.seed(session, demo)
    session.commit()
    province = session.scalar(select(TrainingPlan).where(TrainingPlan.unit_id == demo.units["GL"].id))
    ward = session.scalar(select(TrainingPlan).where(TrainingPlan.unit_id == demo.units["GL-P-QUYNHON"].id))
    assert province is not None and ward is not None
    return province, ward


def line_titled(plan: TrainingPlan, start: str) -> PlanLine:
    return next(line for line in plan.lines if line.title.startswith(start))


def credit(app: Any, session: Session, staff: str, slug: str, periods: int, field: str | None) -> None:
    """A trusted completion stored through the app's registry, so the credits module
    credits it as in production."""
    with app.app_context():
        publish = app.extensions["hocvu_registry"].publish
        iri = activity_iri(SITE, "course", slug)
        activity = session.scalar(select(Activity).where(Activity.iri == iri)) or upsert_activity(
            session, iri=iri, type="course", title=slug, periods=periods, field_code=field, version=1, module="courses"
        )
        UnitOfWork(session, publish).commit()
        statement = build_statement(
            actor=account_agent(SITE, staff),
            verb="completed",
            activity_iri=activity.iri,
            activity_name=activity.title,
            timestamp=datetime.fromisoformat("2026-03-10T09:00:00+07:00"),
        )
        store_statement(session, statement, hocvu_authority(SITE, "courses"))
        UnitOfWork(session, publish).commit()


def test_the_demo_plan_is_idempotent_and_models_gia_lai_2026(plans_app: Any, demo: Any, app_db: Session) -> None:
    province, _ = seed(app_db, demo)
    plans_demo.seed(app_db, demo)  # again: nothing new
    app_db.commit()
    assert app_db.query(TrainingPlan).count() == 2
    targets = {line.programme: line.target for line in province.lines if line.kind == "count"}
    assert targets == {"tien_si": 3, "thac_si": 97, "chuyen_khoa_2": 20, "chuyen_khoa_1": 191}
    assert province.status == "approved" and province.budget_vnd == 5_000_000_000
    share = line_titled(province, "100% công chức cấp xã được bồi dưỡng")
    assert (share.kind, share.target, share.category, share.unit_kind) == ("share", 100, "cong_chuc", "commune")
    assert {line.field_code for line in province.lines if line.kind == "class"} == {
        "tai-chinh",
        "xay-dung",
        "dat-dai-moi-truong",
        "chuyen-doi-so",
        "van-phong",
    }


def test_hr_sees_the_plan_its_report_and_enters_actuals(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    province, _ = seed(app_db, demo)
    login(client, "demo.hr")
    index = client.get("/plans").get_data(as_text=True)
    assert province.title in index and "Phường Quy Nhơn" in index
    page = client.get(f"/plans/{province.id}")
    assert page.status_code == 200 and "Cử 97 cán bộ đi học thạc sĩ" in page.get_data(as_text=True)
    report_page = client.get(f"/plans/{province.id}/report")
    html = report_page.get_data(as_text=True)
    assert report_page.status_code == 200 and "Kết quả thực hiện kế hoạch" in html and "Tải Excel (.xlsx)" in html

    budget = line_titled(province, "Kinh phí bồi dưỡng")
    saved = client.post(f"/plans/lines/{budget.id}/actual", data={"spent_vnd": "450.000.000", "actual_note": "Quý I"})
    assert saved.status_code == 302
    app_db.rollback()
    assert app_db.get(PlanLine, budget.id).spent_vnd == 450_000_000
    [entry] = [e for e in audit.entries_for(app_db, "plan", province.id) if e.action == "plans.actual_recorded"][-1:]
    assert entry.data["after"] == {"spent_vnd": 450_000_000} and entry.reason == "Quý I"
    assert "450.000.000" in client.get(f"/plans/{province.id}/report").get_data(as_text=True)

    degrees = client.get("/plans/degrees").get_data(as_text=True)
    assert "Chuyên khoa cấp II: Ung thư" in degrees and "150.000.000" in degrees  # bỏ học: full cost


def test_ward_hr_sees_the_province_targets_but_not_its_figures(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    province, ward = seed(app_db, demo)
    office = line_titled(province, "Văn phòng")
    login(client, WARD_HR)
    index = client.get("/plans").get_data(as_text=True)
    assert province.title in index and ward.title in index and "Kế hoạch cấp trên: chỉ xem chỉ tiêu" in index
    page = client.get(f"/plans/{province.id}").get_data(as_text=True)
    assert "Cử 97 cán bộ đi học thạc sĩ" in page and f"/plans/{province.id}/report" not in page
    assert client.get(f"/plans/{province.id}/report").status_code == 403
    assert client.get(f"/plans/{province.id}/report.xlsx").status_code == 403
    assert client.post(f"/plans/lines/{office.id}/actual", data={"actual_classes": "9"}).status_code == 403
    assert client.get(f"/plans/{province.id}/edit").status_code == 403
    assert client.get(f"/plans/{ward.id}/report").status_code == 200
    # The province's degree records are of people outside the ward.
    assert "Ung thư" not in client.get("/plans/degrees").get_data(as_text=True)

    headers = bearer(client, WARD_HR)
    seen = client.get(f"/api/v1/plans/{province.id}", headers=headers).get_json()
    assert seen["editable"] is False
    assert {line["actual_classes"] for line in seen["lines"]} == {None}  # the figures HR entered are hidden
    assert client.get(f"/api/v1/plans/{province.id}/report", headers=headers).status_code == 403
    patched = client.patch(f"/api/v1/plans/{province.id}", json={"title": "Đổi tên"}, headers=headers)
    assert patched.status_code == 403
    assert [p["id"] for p in client.get("/api/v1/plans", headers=headers).get_json()["items"]] == [province.id, ward.id]
    # Nor may the ward see a draft of a unit above or beside it.
    hr = bearer(client, "demo.hr")
    draft = client.post(
        "/api/v1/plans",
        json={"year": 2026, "unit_id": demo.units["GL-SNV"].id, "title": "Dự thảo Sở Nội vụ"},
        headers=hr,
    )
    assert draft.status_code == 201, draft.get_json()
    assert client.get(f"/api/v1/plans/{draft.get_json()['id']}", headers=headers).status_code == 404


def test_a_nomination_must_name_a_line_of_the_persons_plans(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    province, ward = seed(app_db, demo)
    headers = bearer(client, "demo.hr")
    mai = demo.people["GL-00001"]  # Xã Ia Grai
    body = {
        "person_id": mai.id,
        "title": "Bồi dưỡng kiến thức đấu thầu",
        "mode": "tap_trung",
        "start_date": "2026-04-06",
        "end_date": "2026-04-10",
    }
    missing = client.post("/api/v1/plans/nominations", json=body | {"line_id": None}, headers=headers)
    assert missing.status_code == 400 and "line_id" in missing.get_json()["error"]["fields"]
    # The ward's plan is not a plan of Ia Grai (nor is its line of an approved plan).
    ward_line = ward.lines[0]
    other = client.post("/api/v1/plans/nominations", json=body | {"line_id": ward_line.id}, headers=headers)
    assert other.status_code == 400 and set(other.get_json()["error"]["fields"]) == {"line_id"}
    before = app_db.query(Nomination).count()
    finance = line_titled(province, "Tài chính")
    made = client.post("/api/v1/plans/nominations", json=body | {"line_id": finance.id}, headers=headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["plan_id"] == province.id
    app_db.rollback()
    assert app_db.query(Nomination).count() == before + 1

    # The page form: the staff code is the person; errors shown on the form.
    login(client, "demo.hr")
    page = client.post("/plans/nominations/new", data={"staff_code": "GL-00001", "title": "Lớp", "mode": "tap_trung"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "không cử đi học ngoài kế hoạch" in html


def test_a_degree_record_through_the_api_computes_its_reimbursement(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    province, _ = seed(app_db, demo)
    headers = bearer(client, "demo.hr")
    master = next(line for line in province.lines if line.programme == "thac_si")
    body = {
        "person_id": demo.people["GL-00135"].id,
        "line_id": master.id,
        "level": "thac_si",
        "institution": "Trường Đại học Quy Nhơn",
        "field_of_study": "Kế toán",
        "start_date": "2026-09-01",
        "end_date": "2028-08-31",
        "funding": "ngan_sach",
        "cost_vnd": 120_000_000,
    }
    made = client.post("/api/v1/plans/degrees", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    record = made.get_json()
    assert record["duration_months"] == 24 and record["reimbursement"]["committed_months"] == 72
    left = client.patch(
        f"/api/v1/plans/degrees/{record['id']}", json={"status": "nghi_truoc_han", "served_months": 30}, headers=headers
    )
    assert left.status_code == 200, left.get_json()
    assert left.get_json()["reimbursement"] | {} == left.get_json()["reimbursement"]
    assert (left.get_json()["reimbursement"]["computed_vnd"], left.get_json()["reimbursement"]["rule"]) == (
        70_000_000,
        "pro_rata",
    )
    waived = client.put(
        f"/api/v1/plans/degrees/{record['id']}/exception",
        json={"kind": "mien", "reason": "Điều động theo quyết định của cấp có thẩm quyền"},
        headers=headers,
    )
    assert waived.status_code == 200 and waived.get_json()["reimbursement"]["amount_vnd"] == 0
    login(client, "demo.hr")
    page = client.get(f"/plans/degrees/{record['id']}").get_data(as_text=True)
    assert "70.000.000" in page and "Miễn đền bù" in page
    assert client.get(f"/api/v1/plans/degrees/{record['id']}", headers=bearer(client, WARD_HR)).status_code == 404


def test_share_targets_through_the_hook_in_the_app(
    plans_app: Any, client: Any, demo: Any, app_db: Session, fake_hours: FakeHours
) -> None:
    province, _ = seed(app_db, demo)
    commune_staff = [p for p in demo.people.values() if p.category == "cong_chuc" and p.unit.kind == "commune"]
    fake_hours.rows = [hours_row(p, credited=40 if i % 2 else 0) for i, p in enumerate(commune_staff)]
    answer = client.get(f"/api/v1/plans/{province.id}/report", headers=bearer(client, "demo.hr"))
    assert answer.status_code == 200, answer.get_json()
    rows = {row["title"]: row for row in answer.get_json()["rows"]}
    share = rows["100% công chức cấp xã được bồi dưỡng"]
    met = len(commune_staff) // 2
    assert share["source"] == "computed" and share["detail"] == f"{met}/{len(commune_staff)} người"
    assert fake_hours.calls == 1


def test_share_targets_from_real_credits(plans_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    province, _ = seed(app_db, demo)
    credit(plans_app, app_db, "GL-00001", "dau-thau-cap-xa", 4, "tai-chinh")  # Mai, công chức, Xã Ia Grai
    credit(plans_app, app_db, "GL-00137", "noi-khoa", 8, "y-te")  # hospital: outside the population
    answer = client.get(f"/api/v1/plans/{province.id}/report", headers=bearer(client, "demo.hr"))
    assert answer.status_code == 200, answer.get_json()
    rows = {row["title"]: row for row in answer.get_json()["rows"]}
    population = len([p for p in demo.people.values() if p.category == "cong_chuc" and p.unit.kind == "commune"])
    share = rows["100% công chức cấp xã được bồi dưỡng"]
    assert (share["source"], share["detail"]) == ("computed", f"1/{population} người")
    assert share["actual"] == str(round(100 / population, 1))
    requirement = rows["100% công chức cấp xã hoàn thành số tiết bồi dưỡng theo quy định"]
    assert requirement["detail"] == f"0/{population} người"  # 4 of 40 periods is not the requirement
    finance = next(r for r in rows.values() if r["title"].startswith("Tài chính") and r["number"].endswith(".2"))
    assert (finance["actual"], finance["target"], finance["source"]) == ("1", 360, "computed")


def test_exports_open_with_openpyxl_and_csv_has_a_bom(plans_app: Any, client: Any, demo: Any, app_db: Session) -> None:
    province, _ = seed(app_db, demo)
    login(client, "demo.hr")
    xlsx = client.get(f"/plans/{province.id}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="ke-hoach-2026-gl.xlsx"'
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet = book["Kết quả thực hiện"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == [
        "STT",
        "Loại chỉ tiêu",
        "Nội dung chỉ tiêu",
        "Đối tượng, chương trình, lĩnh vực",
        "Đơn vị tính",
        "Chỉ tiêu",
        "Thực hiện",
        "Tỷ lệ đạt so với chỉ tiêu (%)",
    ]
    assert sheet["A1"].font.bold
    by_title = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    master = by_title[line_titled(province, "Cử 97").title]
    assert (master[5], master[6]) == (97, 2)  # two thạc sĩ records, ngân sách and tự túc: both count
    office = by_title[f"{line_titled(province, 'Văn phòng').title} — số người được bồi dưỡng"]
    assert (office[5], office[6]) == (300, 118)
    facts = {row[0]: row[1] for row in book["Thông tin kế hoạch"].iter_rows(min_row=2, values_only=True)}
    assert facts["Số quyết định phê duyệt"] == "12/KH-UBND" and facts["Tổng kinh phí kế hoạch (đồng)"] == 5_000_000_000

    api = client.get(f"/api/v1/plans/{province.id}/report?format=csv", headers=bearer(client, "demo.hr"))
    assert api.status_code == 200 and api.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(api.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Loại chỉ tiêu", "Nội dung chỉ tiêu"] and len(rows) == len(sheet["A"])


def test_the_routes_are_in_the_openapi_document(plans_app: Any, client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/plans",
        "/api/v1/plans/{plan_id}/report",
        "/api/v1/plans/lines/{line_id}/actual",
        "/api/v1/plans/nominations",
        "/api/v1/plans/degrees/{degree_id}/exception",
    ):
        assert path in paths, path


def test_the_pages_draft_a_plan_add_lines_approve_it_and_record_training(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    login(client, WARD_HR)
    ward = demo.units["GL-P-QUYNHON"]
    assert client.get("/plans/new").status_code == 200
    refused = client.post("/plans/new", data={"year": "2027", "unit_id": str(demo.units["GL"].id), "title": ""})
    assert refused.status_code == 400 and "Chọn một đơn vị trong phạm vi bạn quản lý." in refused.get_data(as_text=True)
    made = client.post(
        "/plans/new",
        data={"year": "2027", "unit_id": str(ward.id), "title": "Kế hoạch năm 2027", "budget_vnd": "150.000.000"},
    )
    assert made.status_code == 302
    plan = app_db.scalar(select(TrainingPlan).where(TrainingPlan.unit_id == ward.id, TrainingPlan.year == 2027))
    assert plan is not None and plan.budget_vnd == 150_000_000
    page = client.get(f"/plans/{plan.id}")
    assert page.status_code == 200 and "Thêm chỉ tiêu" in page.get_data(as_text=True)
    bad_line = client.post(f"/plans/{plan.id}/lines", data={"kind": "class", "title": "Lớp", "target": "2"})
    assert bad_line.status_code == 400 and "Chọn lĩnh vực." in bad_line.get_data(as_text=True)
    line = {
        "kind": "class",
        "title": "Văn phòng: một cửa",
        "target": "2",
        "class_size": "40",
        "field_code": "van-phong",
    }
    assert client.post(f"/plans/{plan.id}/lines", data=line | {"category": "cong_chuc"}).status_code == 302
    not_yet = client.post(f"/plans/{plan.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "Nhập số quyết định" in not_yet
    edit = {"year": "2027", "unit_id": str(ward.id), "title": "Kế hoạch năm 2027", "decision_number": "3/KH-UBND"}
    assert client.post(f"/plans/{plan.id}/edit", data=edit | {"decision_date": "2027-01-05"}).status_code == 302
    approved = client.post(f"/plans/{plan.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "Đã ghi nhận kế hoạch được phê duyệt." in approved
    assert "Xóa" not in client.get(f"/plans/{plan.id}").get_data(as_text=True)  # targets are fixed now

    assert client.get("/plans/nominations/new").status_code == 200
    app_db.rollback()
    [class_line] = app_db.get(TrainingPlan, plan.id).lines
    nomination = {
        "staff_code": "GL-00005",
        "line_id": str(class_line.id),
        "title": "Lớp một cửa",
        "mode": "truc_tuyen",
        "start_date": "2027-03-01",
        "end_date": "2027-03-05",
        "status": "da_cu",
    }
    assert client.post("/plans/nominations/new", data=nomination).status_code == 302
    outside = client.post("/plans/nominations/new", data=nomination | {"staff_code": "GL-00001"})
    assert outside.status_code == 400 and "Chọn cán bộ thuộc đơn vị bạn quản lý." in outside.get_data(as_text=True)
    listed = client.get("/plans/nominations").get_data(as_text=True)
    assert "Lớp một cửa" in listed and "Võ Thị Ngọc Ánh" in listed
    assert client.get("/plans/degrees/new").status_code == 200
    assert client.get("/plans/degrees").status_code == 200
    report_page = client.get(f"/plans/{plan.id}/report").get_data(as_text=True)
    assert "Số lớp đã tổ chức" in report_page and "Văn phòng: một cửa" in report_page


def test_the_degree_pages_record_leaving_early_and_an_exception(
    plans_app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    province, _ = seed(app_db, demo)
    master = next(line for line in province.lines if line.programme == "thac_si")
    login(client, "demo.hr")
    form = {
        "staff_code": "GL-00135",
        "line_id": str(master.id),
        "level": "thac_si",
        "institution": "Trường Đại học Quy Nhơn",
        "field_of_study": "Kế toán",
        "start_date": "2026-09-01",
        "end_date": "2028-08-31",
        "funding": "ngan_sach",
        "cost_vnd": "100.000.000",
        "status": "nghi_truoc_han",
        "served_months": "13",
    }
    saved = client.post("/plans/degrees/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "81.944.444" in page and "72 tháng" in page  # 100,000,000 / 72 × 59, to the đồng
    exception_url = saved.headers["Location"] + "/exception"
    refused = client.post(exception_url, data={"kind": "giam", "amount_vnd": "90.000.000", "reason": ""})
    assert refused.status_code == 400 and "Nêu lý do" in refused.get_data(as_text=True)
    reduced = client.post(exception_url, data={"kind": "giam", "amount_vnd": "40.000.000", "reason": "Hoàn cảnh"})
    assert reduced.status_code == 302
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "40.000.000" in page and "Giảm đền bù" in page and "Hoàn cảnh" in page
    assert client.get(saved.headers["Location"] + "/edit").status_code == 200
