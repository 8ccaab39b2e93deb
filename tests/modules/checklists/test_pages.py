"""The pages: the official's checklist, the mentor's queue and sign-off screen, HR's mentor
assignment and revocation, through the test client."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from modules.checklists import services
from modules.checklists.models import MentorAssignment, SignOff
from tests.conftest import login
from tests.modules.checklists.conftest import PNG, SLUG, add_account


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_official_works_through_the_checklist_page(web: Any) -> None:
    login(web, "demo.official")
    home = text(web.get("/"))
    assert 'href="/checklists/"' in home
    listing = text(web.get("/checklists/"))
    assert "Lập và trình dự toán ngân sách xã" in listing and "Đã xong 0/12 mục" in listing

    page = web.get(f"/checklists/{SLUG}")
    assert page.status_code == 200
    body = text(page)
    assert "Gửi người hướng dẫn xem xét" in body and "Trần Văn Hùng" in body
    assert 'id="item-s1-1"' in body and "Cần tệp minh chứng (ảnh hoặc PDF)" in body
    assert "checklists.css" in body

    refused = web.post(f"/checklists/{SLUG}/review", follow_redirects=True)
    assert "Chưa có mục nào để gửi" in text(refused)
    web.post(
        f"/checklists/{SLUG}/items/s1-1/evidence",
        data={"file": (io.BytesIO(PNG), "bien-ban.png")},
        content_type="multipart/form-data",
    )
    marked = web.post(f"/checklists/{SLUG}/items/s1-1/mark", data={"checked": "1"})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("#item-s1-1")
    sent = text(web.post(f"/checklists/{SLUG}/review", follow_redirects=True))
    assert "Đã gửi người hướng dẫn xem xét." in sent
    assert "Đang chờ xem xét" in sent and "Đã làm" in sent


def test_mentor_signs_off_and_returns_from_the_pages(web: Any, app_db: Session) -> None:
    person_id = web.demo.people["GL-00001"].id
    login(web, "demo.official")
    for key in ("s1-1", "s1-2"):
        web.post(
            f"/checklists/{SLUG}/items/{key}/evidence",
            data={"file": (io.BytesIO(PNG), "anh.png")},
            content_type="multipart/form-data",
        )
        web.post(f"/checklists/{SLUG}/items/{key}/mark", data={"checked": "1"})
    web.post(f"/checklists/{SLUG}/review")
    web.post("/logout")

    login(web, "demo.mentor")
    queue = text(web.get("/checklists/mentor"))
    assert "Chờ bạn xác nhận (2)" in queue and "Nguyễn Thị Mai" in queue
    review_url = f"/checklists/people/{person_id}/{SLUG}"
    review = text(web.get(review_url))
    assert "Xác nhận đạt" in review and "Trả lại để hoàn thiện" in review
    signed = web.post(
        f"{review_url}/items/s1-1/sign-off",
        data={"comment": "Làm đúng quy trình", "next": f"{review_url}#item-s1-1"},
        follow_redirects=True,
    )
    assert "Đã xác nhận mục s1-1." in text(signed) and "Làm đúng quy trình" in text(signed)
    returned = web.post(
        f"{review_url}/items/s1-2/return", data={"message": "Thiếu biểu so sánh"}, follow_redirects=True
    )
    assert "Đã trả lại mục s1-2" in text(returned)
    empty = web.post(f"{review_url}/items/s1-3/return", data={"message": ""}, follow_redirects=True)
    assert "Hãy ghi rõ nội dung cần hoàn thiện." in text(empty)
    assert "Chờ bạn xác nhận (0)" in text(web.get("/checklists/mentor"))
    web.post("/logout")

    login(web, "demo.official")
    page = text(web.get(f"/checklists/{SLUG}"))
    assert "Thiếu biểu so sánh" in page and "Được trả lại để hoàn thiện" in page


def test_an_unassigned_mentor_gets_403_on_the_pages_and_is_audited(web: Any, app_db: Session) -> None:
    add_account(app_db, web.demo, "GL-00102", "mentor.khac", ("mentor", "GL-X-IAGRAI"))
    app_db.commit()
    person_id = web.demo.people["GL-00001"].id
    login(web, "mentor.khac")
    assert web.get(f"/checklists/people/{person_id}/{SLUG}").status_code == 403
    response = web.post(f"/checklists/people/{person_id}/{SLUG}/items/s1-3/sign-off", data={"comment": "x"})
    assert response.status_code == 403
    assert "Chỉ người hướng dẫn đang được phân công" in text(response)
    app_db.expire_all()
    assert app_db.scalars(select(SignOff)).all() == []
    assert app_db.scalars(select(AuditEntry.action).where(AuditEntry.action == "checklists.sign_off_refused")).all()


def test_hr_assigns_a_mentor_and_revokes_a_sign_off(web: Any, app_db: Session) -> None:
    demo = web.demo
    colleague = demo.people["GL-00102"]
    login(web, "demo.hr")
    found = text(web.get("/checklists/hr", query_string={"q": colleague.full_name}))
    assert f"/checklists/people/{colleague.id}" in found
    person_page = text(web.get(f"/checklists/people/{colleague.id}"))
    assert "Phân công người hướng dẫn" in person_page and "Chưa có người hướng dẫn." in person_page

    bad = web.post(f"/checklists/people/{colleague.id}/assignments", data={"mentor_staff_code": "GL-99999"})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in text(bad) and "Không tìm thấy người hướng dẫn" in text(bad)
    good = web.post(
        f"/checklists/people/{colleague.id}/assignments",
        data={"mentor_staff_code": "GL-00002", "checklist": "", "start_date": "2026-01-15", "end_date": ""},
        follow_redirects=True,
    )
    assert "Đã phân công người hướng dẫn." in text(good) and "Tất cả danh mục" in text(good)
    assignment = app_db.scalars(select(MentorAssignment).where(MentorAssignment.official_id == colleague.id)).one()
    ended = web.post(
        f"/checklists/assignments/{assignment.id}/end", data={"person_id": colleague.id}, follow_redirects=True
    )
    assert "Đã kết thúc phân công người hướng dẫn." in text(ended)
    web.post("/logout")

    # A sign-off to revoke.
    login(web, "demo.official")
    web.post(f"/checklists/{SLUG}/items/s1-3/mark", data={"checked": "1"})
    web.post(f"/checklists/{SLUG}/review")
    web.post("/logout")
    person_id = demo.people["GL-00001"].id
    review_url = f"/checklists/people/{person_id}/{SLUG}"
    login(web, "demo.mentor")
    web.post(f"{review_url}/items/s1-3/sign-off", data={"comment": ""})
    web.post("/logout")
    login(web, "demo.hr")
    review = text(web.get(review_url))
    assert "Thu hồi xác nhận" in review and "Xác nhận đạt" not in review
    no_reason = web.post(f"{review_url}/items/s1-3/revoke", data={"reason": ""}, follow_redirects=True)
    assert "Hãy ghi lý do thu hồi xác nhận." in text(no_reason)
    revoked = web.post(f"{review_url}/items/s1-3/revoke", data={"reason": "Ghi nhầm người."}, follow_redirects=True)
    assert "Đã thu hồi xác nhận mục s1-3." in text(revoked) and "Ghi nhầm người." in text(revoked)
    app_db.expire_all()
    assert app_db.scalars(select(SignOff)).all() == []


def test_form_controls_are_labelled(web: Any) -> None:
    """Each form control on the checklist page has a label."""
    login(web, "demo.official")
    body = text(web.get(f"/checklists/{SLUG}"))
    ids = re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', body)
    assert ids
    for control in ids:
        assert f'for="{control}"' in body, control
    assert services.STATUS_LABELS[services.TODO] in body
