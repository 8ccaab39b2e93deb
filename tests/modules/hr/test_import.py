"""Bulk import of people from .xlsx and .csv: every row validated first, errors by row and
column, dry runs, one transaction, re-imports that change nothing, scope, the template,
the CLI and the page's background job with its progress."""

from __future__ import annotations

import io
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.people import Person
from modules.hr import importer
from tests.conftest import bearer, login

HEADER = ["mã cán bộ", "họ và tên", "email", "ngạch/loại", "đơn vị", "vị trí việc làm", "lãnh đạo", "ngày bắt đầu"]
NEW_ROWS = [
    [
        "GL-70001",
        "Huỳnh Thị Kim Oanh",
        "oanh@gialai.gov.vn",
        "công chức",
        "GL-X-IAGRAI",
        "KT-DATDAI",
        "không",
        "01/07/2026",
    ],
    ["GL-70002", "Rơ Châm Hyun", "", "viên chức", "GL-X-IAGRAI", "VHXH-YTE", "có", "2025-03-15"],
]


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER, bom: bool = True, sep: str = ",") -> bytes:
    lines = [sep.join(header), *(sep.join(str(c) for c in row) for row in rows)]
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode("utf-8")


def post_import(client: Any, headers: dict[str, str], data: bytes, name: str = "can-bo.xlsx", **form: Any) -> Any:
    fields = {"file": (io.BytesIO(data), name)} | {k: str(v).lower() for k, v in form.items()}
    return client.post("/api/v1/people/import", data=fields, headers=headers, content_type="multipart/form-data")


def people_state(db: Session) -> list[tuple[Any, ...]]:
    db.rollback()  # a fresh snapshot: SQLite's WAL keeps showing a read transaction its start
    return [
        tuple(row)
        for row in db.execute(
            select(
                Person.staff_code,
                Person.full_name,
                Person.email,
                Person.category,
                Person.unit_id,
                Person.position_id,
                Person.is_leader,
                Person.start_date,
                Person.active,
            ).order_by(Person.staff_code)
        )
    ]


def audit_count(db: Session, action: str = "people.imported") -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0


def person(db: Session, staff_code: str) -> Person:
    db.rollback()
    found = db.scalar(select(Person).where(Person.staff_code == staff_code))
    assert found is not None, staff_code
    return found


# --- the must-show case -----------------------------------------------------------------


def test_a_file_with_a_duplicate_code_an_unknown_unit_and_a_bad_date_is_refused_by_row(
    client: Any, demo: Any, app_db: Session
) -> None:
    before = people_state(app_db)
    rows = [
        NEW_ROWS[0],
        ["GL-70001", "Trùng Mã", "", "công chức", "GL-X-IAGRAI", "", "", ""],  # row 3: duplicate of row 2
        ["GL-70003", "Đơn Vị Lạ", "", "cán bộ", "GL-X-KHONGCO", "", "", ""],  # row 4: unknown unit
        ["GL-70004", "Ngày Sai", "", "viên chức", "GL-X-IAGRAI", "", "", "31/02/2026"],  # row 5: bad date
    ]
    response = post_import(client, bearer(client, "demo.hr"), xlsx(rows), dry_run=False)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "3 lỗi" in error["message"]
    found = {(e["row"], e["column"]): e["message"] for e in error["rows"]}
    assert set(found) == {(3, "mã cán bộ"), (4, "đơn vị"), (5, "ngày bắt đầu")}
    assert "trùng với dòng 2" in found[(3, "mã cán bộ")]
    assert "GL-X-KHONGCO" in found[(4, "đơn vị")]
    assert "31/02/2026" in found[(5, "ngày bắt đầu")]
    assert people_state(app_db) == before
    assert audit_count(app_db) == 0


# --- dry run, import, re-import, update ---------------------------------------------------


def test_a_dry_run_shows_the_changes_and_writes_nothing(client: Any, demo: Any, app_db: Session) -> None:
    before = people_state(app_db)
    response = post_import(client, bearer(client, "demo.hr"), xlsx(NEW_ROWS))  # dry_run is the default
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["dry_run"] is True
    assert (body["rows"], body["created"], body["updated"], body["deactivated"], body["unchanged"]) == (2, 2, 0, 0, 0)
    assert [(i["action"], i["row"], i["staff_code"], i["unit"]) for i in body["items"]] == [
        ("create", 2, "GL-70001", "GL-X-IAGRAI"),
        ("create", 3, "GL-70002", "GL-X-IAGRAI"),
    ]
    assert people_state(app_db) == before
    assert audit_count(app_db) == 0


def test_import_then_the_same_file_again_changes_nothing(client: Any, demo: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.hr")
    first = post_import(client, headers, csv_bytes(NEW_ROWS), "can-bo.csv", dry_run=False)
    assert first.status_code == 200, first.get_json()
    assert (first.get_json()["created"], first.get_json()["dry_run"]) == (2, False)
    oanh = person(app_db, "GL-70001")
    assert (oanh.full_name, oanh.email, oanh.category, oanh.unit.code, oanh.position.code) == (
        "Huỳnh Thị Kim Oanh",
        "oanh@gialai.gov.vn",
        "cong_chuc",
        "GL-X-IAGRAI",
        "KT-DATDAI",
    )
    assert (oanh.is_leader, oanh.start_date, oanh.active) == (False, date(2026, 7, 1), True)
    hyun = person(app_db, "GL-70002")
    assert (hyun.category, hyun.is_leader, hyun.start_date, hyun.email) == ("vien_chuc", True, date(2025, 3, 15), None)
    after_first = people_state(app_db)
    entry = app_db.scalar(select(AuditEntry).where(AuditEntry.action == "people.imported"))
    assert entry is not None and entry.account_id == demo.accounts["demo.hr"].id
    assert (entry.data["created"], entry.data["rows"], entry.data["filename"]) == (2, 2, "can-bo.csv")
    assert sorted(entry.data["created_codes"]) == ["GL-70001", "GL-70002"]

    again = post_import(client, headers, csv_bytes(NEW_ROWS), "can-bo.csv", dry_run=False)
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert (body["created"], body["updated"], body["deactivated"], body["unchanged"]) == (0, 0, 0, 2)
    assert people_state(app_db) == after_first


def test_people_are_matched_and_updated_by_staff_code(client: Any, demo: Any, app_db: Session) -> None:
    mai = demo.people["GL-00001"]  # Nguyễn Thị Mai, Xã Ia Grai, KT-TAICHINH
    others = [row for row in people_state(app_db) if row[0] != "GL-00001"]
    row = [
        "GL-00001",
        "Nguyễn Thị Mai",
        "mai@gialai.gov.vn",
        "cong_chuc",
        "GL-X-IAGRAI",
        "VP-TONGHOP",
        "1",
        "02/01/2020",
    ]
    response = post_import(client, bearer(client, "demo.hr"), xlsx([row]), dry_run=False)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["created"], body["updated"]) == (0, 1)
    assert body["items"][0]["changes"]["position"] == ["KT-TAICHINH", "VP-TONGHOP"]
    updated = person(app_db, "GL-00001")
    assert updated.id == mai.id
    assert (updated.position.code, updated.email, updated.is_leader, updated.start_date) == (
        "VP-TONGHOP",
        "mai@gialai.gov.vn",
        True,
        date(2020, 1, 2),
    )
    assert [r for r in people_state(app_db) if r[0] != "GL-00001"] == others


def test_columns_absent_from_the_file_keep_their_values(client: Any, demo: Any, app_db: Session) -> None:
    mai = demo.people["GL-00001"]
    header = ["Họ và tên", "Mã cán bộ", "Đơn vị", "Ngạch/Loại"]  # no position, no email, another order
    rows = [["Nguyễn Thị Mai", "GL-00001", "GL-X-IAGRAI", "công chức"]]
    response = post_import(client, bearer(client, "demo.hr"), xlsx(rows, header), dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["unchanged"] == 1
    assert person(app_db, "GL-00001").position_id == mai.position_id


# --- deactivating the missing --------------------------------------------------------------


def test_people_missing_from_the_file_are_deactivated_only_when_asked(client: Any, demo: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.hr")
    iagrai = demo.units["GL-X-IAGRAI"].id
    iagrai_people = app_db.scalars(
        select(Person.staff_code).where(Person.unit_id == iagrai, Person.active.is_(True))
    ).all()
    assert len(iagrai_people) > 2
    outside = [row for row in people_state(app_db) if row[4] != iagrai]
    rows = [["GL-00001", "Nguyễn Thị Mai", "", "công chức", "GL-X-IAGRAI", "KT-TAICHINH", "", ""]]
    plain = post_import(client, headers, xlsx(rows))
    assert plain.get_json()["deactivated"] == 0

    dry = post_import(client, headers, xlsx(rows), deactivate_missing=True)
    body = dry.get_json()
    expected = sorted(set(iagrai_people) - {"GL-00001"})
    assert body["deactivated"] == len(expected)
    assert sorted(i["staff_code"] for i in body["items"] if i["action"] == "deactivate") == expected
    assert all(row[8] for row in people_state(app_db) if row[0] in expected)  # still active

    done = post_import(client, headers, xlsx(rows), deactivate_missing=True, dry_run=False)
    assert done.status_code == 200 and done.get_json()["deactivated"] == len(expected)
    state = {row[0]: row for row in people_state(app_db)}
    assert not any(state[code][8] for code in expected)
    assert state["GL-00001"][8] is True
    assert [row for row in people_state(app_db) if row[4] != iagrai] == outside  # other units untouched


# --- scope -----------------------------------------------------------------------------------


def test_a_ward_hr_cannot_import_into_another_commune(client: Any, demo: Any, app_db: Session) -> None:
    before = people_state(app_db)
    headers = bearer(client, "demo.hr.quynhon")
    rows = [
        ["GL-70010", "Người Quy Nhơn", "", "công chức", "GL-P-QUYNHON", "", "", ""],
        ["GL-70011", "Người Ia Grai", "", "công chức", "GL-X-IAGRAI", "", "", ""],
        ["GL-00001", "Nguyễn Thị Mai", "", "công chức", "GL-P-QUYNHON", "", "", ""],  # moving someone of Ia Grai
    ]
    response = post_import(client, headers, xlsx(rows), dry_run=False)
    assert response.status_code == 400
    found = {(e["row"], e["column"]) for e in response.get_json()["error"]["rows"]}
    assert found == {(3, "đơn vị"), (4, "mã cán bộ")}
    assert people_state(app_db) == before
    ok = post_import(client, headers, xlsx(rows[:1]), dry_run=False)
    assert ok.status_code == 200 and ok.get_json()["created"] == 1
    assert person(app_db, "GL-70010").unit.code == "GL-P-QUYNHON"


def test_a_learner_cannot_import(client: Any, demo: Any) -> None:
    response = post_import(client, bearer(client, "demo.official"), xlsx(NEW_ROWS))
    assert response.status_code == 403


# --- formats and cells -----------------------------------------------------------------------


def test_headers_and_values_in_their_everyday_spellings(client: Any, demo: Any, app_db: Session) -> None:
    header = [
        "STT",
        "NGAY BAT DAU",
        "Ho va ten",
        "ma can bo",
        "Don vi",
        "Loai",
        "lanh dao",
        "Vi tri viec lam",
        "Ghi chú",
    ]
    rows = [
        [
            1,
            datetime(2024, 9, 1),
            "  Y   Blim  Niê ",
            70020,
            "Xã Ia Grai",
            "can_bo",
            "x",
            "Chủ tịch, Phó Chủ tịch UBND cấp xã",
            "",
        ],
        [2, 45000, "Đinh Văn Thơ", "GL-70021", "gl-x-iagrai", "CONG CHUC", 0, "kt-datdai", "chuyển từ huyện"],
        [3, "5/1/2023", "Ksor H'Ngơm", "GL-70022", "GL-X-IAGRAI", "Viên Chức", "Không", "", ""],
    ]
    response = post_import(client, bearer(client, "demo.hr"), xlsx(rows, header), dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 3 and response.get_json()["ignored_columns"] == []
    blim = person(app_db, "70020")  # a number in the cell is the code as text
    assert (blim.full_name, blim.category, blim.is_leader, blim.start_date, blim.position.code) == (
        "Y Blim Niê",
        "can_bo",
        True,
        date(2024, 9, 1),
        "LD-UBND",
    )
    tho = person(app_db, "GL-70021")
    assert (tho.category, tho.is_leader, tho.start_date, tho.position.code) == (
        "cong_chuc",
        False,
        date(2023, 3, 15),  # Excel serial 45000
        "KT-DATDAI",
    )
    ngom = person(app_db, "GL-70022")
    assert (ngom.full_name, ngom.start_date, ngom.category) == ("Ksor H'Ngơm", date(2023, 1, 5), "vien_chuc")


def test_text_that_looks_like_a_formula_is_just_text(client: Any, demo: Any, app_db: Session) -> None:
    rows = [["GL-70023", '=HYPERLINK("http://x")', "", "công chức", "GL-X-IAGRAI", "", "", ""]]
    response = post_import(client, bearer(client, "demo.hr"), csv_bytes(rows), "f.csv", dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert person(app_db, "GL-70023").full_name == '=HYPERLINK("http://x")'


def test_csv_with_semicolons_and_without_bom(client: Any, demo: Any, app_db: Session) -> None:
    data = csv_bytes(NEW_ROWS, bom=False, sep=";")
    response = post_import(client, bearer(client, "demo.hr"), data, "ds.csv", dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2
    assert person(app_db, "GL-70002").full_name == "Rơ Châm Hyun"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
        (b"PK\x03\x04not really a zip", ".xlsx"),
        ("mã cán bộ,họ và tên\n".encode("cp1258", errors="replace") + b"\xff\xfe", "UTF-8"),
        (b"", "rỗng"),
        (b"a" * (importer.MAX_BYTES + 1), "5 MB"),
    ],
)
def test_files_of_the_wrong_type_or_size_are_refused(client: Any, demo: Any, data: bytes, expected: str) -> None:
    response = post_import(client, bearer(client, "demo.hr"), data, "x.xlsx")
    assert response.status_code == 400, response.get_json()
    rows = response.get_json()["error"]["rows"]
    assert rows[0]["row"] is None and expected in rows[0]["message"]


def test_missing_columns_control_characters_and_bad_values(client: Any, demo: Any, app_db: Session) -> None:
    headers = bearer(client, "demo.hr")
    missing = post_import(client, headers, xlsx([], ["mã cán bộ", "họ và tên"]))
    assert {(e["row"], e["column"]) for e in missing.get_json()["error"]["rows"]} == {(1, "ngạch/loại"), (1, "đơn vị")}
    rows = [
        ["GL-70030", "Tên\u202eẩn", "không-phải-email", "nhân viên", "GL-X-IAGRAI", "KHONGCO", "có lẽ", "2026-13-01"],
        ["mã có dấu", "", "", "công chức", "", "", "", ""],
    ]
    response = post_import(client, headers, xlsx(rows))
    found = {(e["row"], e["column"]) for e in response.get_json()["error"]["rows"]}
    assert found == {
        (2, "họ và tên"),
        (2, "email"),
        (2, "ngạch/loại"),
        (2, "vị trí việc làm"),
        (2, "lãnh đạo"),
        (2, "ngày bắt đầu"),
        (3, "mã cán bộ"),
        (3, "họ và tên"),
        (3, "đơn vị"),
    }


def test_the_import_is_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/people/import"]
    assert any(path.startswith("/api/v1/people/import/template") for path in paths)


# --- the template ------------------------------------------------------------------------------


def test_the_templates_download_and_import_cleanly(client: Any, demo: Any, app_db: Session) -> None:
    login(client, "demo.hr.quynhon")
    xlsx_response = client.get("/hr/people/import/template.xlsx")
    assert xlsx_response.status_code == 200
    assert xlsx_response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(xlsx_response.data), read_only=True)
    first = [cell for cell in next(workbook.worksheets[0].iter_rows(values_only=True))]
    assert first == HEADER
    guide = [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True)]
    assert "GL-P-QUYNHON" in guide and "GL-X-IAGRAI" not in guide  # only the units this HR manages
    workbook.close()
    csv_response = client.get("/hr/people/import/template.csv")
    assert csv_response.status_code == 200 and csv_response.data.startswith("\ufeffmã cán bộ,".encode())

    headers = bearer(client, "demo.hr.quynhon")
    before = people_state(app_db)
    for data, name in ((xlsx_response.data, "mau.xlsx"), (csv_response.data, "mau.csv")):
        response = post_import(client, headers, data, name, dry_run=False)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["rows"] == 0
    filled = load_workbook(io.BytesIO(xlsx_response.data))
    filled.worksheets[0].append(
        ["GL-70040", "Lê Văn Tâm", "", "công chức", "GL-P-QUYNHON", "VP-VANTHU", "", "01/01/2026"]
    )
    out = io.BytesIO()
    filled.save(out)
    response = post_import(client, headers, out.getvalue(), dry_run=False)
    assert response.status_code == 200 and response.get_json()["created"] == 1
    assert len(people_state(app_db)) == len(before) + 1
    api = client.get("/api/v1/people/import/template.csv", headers=headers)
    assert api.status_code == 200 and api.data == csv_response.data


# --- the command line ----------------------------------------------------------------------------


def test_the_cli_imports_shows_errors_by_row_and_exits_1(app: Any, demo: Any, app_db: Session, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(NEW_ROWS))
    dry = runner.invoke(args=["people", "import", str(good), "--as", "demo.hr", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "2 created" in dry.output and "dry run" in dry.output
    assert app_db.scalar(select(Person.id).where(Person.staff_code == "GL-70001")) is None

    done = runner.invoke(args=["people", "import", str(good), "--as", "demo.hr"])
    assert done.exit_code == 0, done.output
    assert "2 created" in done.output
    assert person(app_db, "GL-70001").unit.code == "GL-X-IAGRAI"
    again = runner.invoke(args=["people", "import", str(good), "--as", "demo.hr"])
    assert "0 created, 0 updated, 0 deactivated, 2 unchanged" in again.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([NEW_ROWS[0], ["GL-70050", "X", "", "công chức", "GL-X-IAGRAI", "", "", "1/1/26"]]))
    refused = runner.invoke(args=["people", "import", str(bad), "--as", "demo.hr"])
    assert refused.exit_code == 1
    assert "row 3, column 'ngày bắt đầu'" in refused.output and "nothing was imported" in refused.output
    scope = runner.invoke(args=["people", "import", str(good), "--as", "demo.hr.quynhon"])
    assert scope.exit_code == 1 and "row 2, column 'đơn vị'" in scope.output
    nobody = runner.invoke(args=["people", "import", str(good), "--as", "demo.official"])
    assert nobody.exit_code != 0 and "no active HR account" in nobody.output


# --- the page and its background job --------------------------------------------------------------


def wait_for(client: Any, job_url: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"{job_url}/status").get_json()
        if status["finished"]:
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def upload(client: Any, data: bytes, name: str = "can-bo.xlsx", **form: str) -> str:
    response = client.post(
        "/hr/people/import",
        data={"file": (io.BytesIO(data), name)} | form,
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_page_checks_then_imports_in_the_background_with_progress(client: Any, demo: Any, app_db: Session) -> None:
    login(client, "demo.hr")
    page = client.get("/hr/people/import")
    assert page.status_code == 200 and "Tải tệp mẫu .xlsx" in page.get_data(as_text=True)
    before = people_state(app_db)
    job_url = upload(client, xlsx(NEW_ROWS))
    status = wait_for(client, job_url)
    assert status["status"] == "checked" and status["counts"]["created"] == 2 and status["percent"] == 100
    assert people_state(app_db) == before  # the dry run wrote nothing
    html = client.get(job_url).get_data(as_text=True)
    assert "Xác nhận nhập" in html and "GL-70001" in html and "<progress" not in html

    confirm = client.post(f"{job_url}/confirm")
    assert confirm.status_code == 303
    running = client.get(job_url).get_data(as_text=True)
    assert "Đã nhập xong" in running or ("<progress" in running and 'http-equiv="refresh"' in running)
    status = wait_for(client, job_url)
    assert status["status"] == "done" and status["dry_run"] is False
    assert (status["counts"]["created"], status["counts"]["unchanged"]) == (2, 0)
    assert person(app_db, "GL-70002").full_name == "Rơ Châm Hyun"
    assert "Đã nhập xong" in client.get(job_url).get_data(as_text=True)
    assert client.post(f"{job_url}/confirm").status_code == 409  # a job is imported once
    assert audit_count(app_db) == 1


def test_the_page_shows_a_refused_files_errors_by_row(client: Any, demo: Any, app_db: Session) -> None:
    login(client, "demo.hr")
    rows = [NEW_ROWS[0], NEW_ROWS[0], ["GL-70060", "X", "", "công chức", "GL-X-NOWHERE", "", "", "2026/01/01"]]
    job_url = upload(client, xlsx(rows))
    status = wait_for(client, job_url)
    assert status["status"] == "refused" and status["errors"] == 3
    html = client.get(job_url).get_data(as_text=True)
    assert "Tệp có 3 lỗi" in html and "GL-X-NOWHERE" in html and "Xác nhận nhập" not in html
    assert client.post(f"{job_url}/confirm").status_code == 409
    wrong = client.post(
        "/hr/people/import",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00"), "anh.png")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400 and "UTF-8" in wrong.get_data(as_text=True)


def test_another_hr_cannot_see_or_confirm_a_job(client: Any, demo: Any, app: Any) -> None:
    login(client, "demo.hr")
    job_url = upload(client, xlsx(NEW_ROWS))
    wait_for(client, job_url)
    other = app.test_client()
    login(other, "demo.hr.quynhon")
    assert other.get(f"{job_url}/status").status_code == 404
    assert other.post(f"{job_url}/confirm").status_code == 404


def test_deactivating_from_the_page_is_listed_before_confirming(client: Any, demo: Any, app_db: Session) -> None:
    login(client, "demo.hr")
    rows = [["GL-00001", "Nguyễn Thị Mai", "", "công chức", "GL-X-IAGRAI", "KT-TAICHINH", "", ""]]
    job_url = upload(client, xlsx(rows), deactivate_missing="1")
    status = wait_for(client, job_url)
    assert status["status"] == "checked" and status["counts"]["deactivated"] > 0
    assert "Cho nghỉ" in client.get(job_url).get_data(as_text=True)
    assert person(app_db, "GL-00002").active is True
    client.post(f"{job_url}/confirm")
    assert wait_for(client, job_url)["status"] == "done"
    assert person(app_db, "GL-00002").active is False


# --- the credits ledger follows ---------------------------------------------------------------------


def test_an_imported_person_is_credited_for_statements_stored_before(
    app: Any, client: Any, demo: Any, app_db: Session
) -> None:
    if "credits" not in app.config["MODULES"]:
        pytest.skip("the credits module is not enabled")
    from modules.credits.models import Credit
    from tests.modules.credits.test_api import complete

    complete(app, app_db, "GL-70001", "dau-thau", "2026-03-10T09:00:00+07:00", periods=8)
    response = post_import(client, bearer(client, "demo.hr"), xlsx(NEW_ROWS), dry_run=False)
    assert response.status_code == 200, response.get_json()
    oanh = person(app_db, "GL-70001")
    credits = app_db.scalars(select(Credit).where(Credit.person_id == oanh.id)).all()
    assert [c.periods for c in credits] == [8]
