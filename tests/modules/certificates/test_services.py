"""The headless services, with a plain session and hours dicts like the ones the
``hocvu_person_hours`` hook answers (no Flask, no credits module)."""

from __future__ import annotations

import io
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core import audit, people, units
from lms_core.catalog import Activity, activity_iri, upsert_activity
from lms_core.errors import NotFound
from lms_core.people import Person
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
from modules.certificates import pdf, services
from modules.certificates.models import IssuedCertificate
from tests.modules.certificates.conftest import NAME, SITE, TITLE, hours_item, hours_of, pdf_links, pdf_text


class Setup:
    def __init__(self, session: Session) -> None:
        self.session = session
        province = units.create_unit(session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
        commune = units.create_unit(session, code="X1", name="Xã Ia Grai", kind="commune", parent=province)
        self.person: Person = people.create_person(
            session,
            {"staff_code": "GL-00001", "full_name": NAME, "category": "cong_chuc", "unit_id": commune.id},
        )
        self.course = self.activity("course", "dat-dai", TITLE, 4)
        self.checklist = self.activity("checklist", "mot-cua", "Tiếp nhận hồ sơ một cửa", 6)
        self.quiz = self.activity("quiz", "kiem-tra", "Bài kiểm tra đất đai", 2)
        session.commit()

    def activity(self, type: str, slug: str, title: str, periods: int) -> Activity:
        return upsert_activity(
            self.session,
            iri=activity_iri(SITE, type, slug),
            type=type,
            title=title,
            periods=periods,
            field_code=None,
            module="courses",
        )

    def statement(self, activity: Activity) -> str:
        statement = build_statement(
            actor=account_agent(SITE, "GL-00001"),
            verb="completed",
            activity_iri=activity.iri,
            activity_name=activity.title,
            timestamp=datetime(2026, 3, 10, 2, tzinfo=UTC),
        )
        row = store_statement(self.session, statement, hocvu_authority(SITE, "courses"))
        self.session.commit()
        return row.id


@pytest.fixture
def setup(db_session: Session) -> Setup:
    return Setup(db_session)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IssuedCertificate)) or 0


def test_codes_are_random_base32_grouped_and_forgiving_when_typed() -> None:
    codes = {services.new_code() for _ in range(200)}
    assert len(codes) == 200
    code = codes.pop()
    assert len(code) == 16 and services.normalise_code(code) == code
    grouped = services.group_code(code)
    assert len(grouped) == 19 and grouped.count("-") == 3
    assert services.normalise_code(grouped.lower()) == code
    assert services.normalise_code(" abcd efgh-jklm-npq0 ") == "ABCDEFGHJKLMNPQO"
    for bad in ("", "ABCD", "ABCD-EFGH-JKLM-NPQR-STUV", "ABCD-EFGH-JKLM-NPQ!", "../../etc"):
        assert services.normalise_code(bad) is None
    assert services.verify_url("https://hocvu.test/", code) == f"https://hocvu.test/verify/{grouped}"


def test_filenames_are_ascii() -> None:
    name = services.ascii_filename("giay-chung-nhan", "Nguyễn Thị Mai", "Đất đai / 2026")
    assert name == "giay-chung-nhan-nguyen-thi-mai-dat-dai-2026.pdf"
    assert services.ascii_filename("漢字") == "hocvu.pdf"


def test_an_activity_certificate_is_issued_once_per_statement(setup: Setup) -> None:
    session = setup.session
    sid = setup.statement(setup.course)
    hours = hours_of(hours_item(setup.course, sid))
    first = services.issue_activity(session, setup.person, setup.course.id, 2026, hours, issued_by=None)
    session.commit()
    again = services.issue_activity(session, setup.person, setup.course.id, 2026, hours, issued_by=None)
    session.commit()
    assert again.id == first.id and again.code == first.code and count(session) == 1
    assert (first.person_name, first.staff_code, first.unit_name) == (NAME, "GL-00001", "Xã Ia Grai")
    assert (first.activity_title, first.periods, first.earned_on.isoformat()) == (TITLE, 4, "2026-03-10")
    assert first.statement_id == sid and first.statement_ids == [sid]
    assert [e.action for e in audit.entries_for(session, "certificate", first.code)] == ["certificates.issued_activity"]

    # A later credit of the same activity (another statement, e.g. the next year) is another certificate.
    other = setup.statement(setup.course)
    later = services.issue_activity(
        session,
        setup.person,
        setup.course.id,
        2027,
        hours_of(hours_item(setup.course, other, date="2027-01-05")),
        issued_by=None,
    )
    session.commit()
    assert later.code != first.code and count(session) == 2


def test_a_simultaneous_first_download_returns_the_winners_row(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    session = setup.session
    sid = setup.statement(setup.course)
    hours = hours_of(hours_item(setup.course, sid))
    winner = services.issue_activity(session, setup.person, setup.course.id, 2026, hours, issued_by=None)
    session.commit()
    # The loser read the items before the winner committed: it saw no certificate.
    stale = services.certifiable_items(session, setup.person, 2026, hours)
    for item in stale:
        item.certificate = None
    monkeypatch.setattr(services, "certifiable_items", lambda *_args: stale)
    loser = services.issue_activity(session, setup.person, setup.course.id, 2026, hours, issued_by=None)
    session.commit()
    assert loser.id == winner.id and count(session) == 1


def test_nothing_is_issued_for_an_activity_not_credited_or_not_certified(setup: Setup) -> None:
    session = setup.session
    quiz_sid = setup.statement(setup.quiz)
    hours = hours_of(hours_item(setup.quiz, quiz_sid))
    for activity_id in (setup.course.id, setup.quiz.id):
        with pytest.raises(NotFound):
            services.issue_activity(session, setup.person, activity_id, 2026, hours, issued_by=None)
    with pytest.raises(NotFound):
        services.issue_activity(session, setup.person, setup.course.id, 2026, None, issued_by=None)
    session.rollback()
    assert count(session) == 0


def test_a_transcript_is_issued_again_only_when_its_content_changed(setup: Setup) -> None:
    session = setup.session
    items = [
        hours_item(setup.course, setup.statement(setup.course)),
        hours_item(setup.quiz, setup.statement(setup.quiz)),
    ]
    first = services.issue_transcript(session, setup.person, 2026, hours_of(*items[:1]), issued_by=None)
    again = services.issue_transcript(session, setup.person, 2026, hours_of(*items[:1]), issued_by=None)
    assert again.id == first.id and count(session) == 1
    second = services.issue_transcript(session, setup.person, 2026, hours_of(*items), issued_by=None)
    session.commit()
    assert first.code != second.code and count(session) == 2
    assert (second.periods, second.required, second.explanation) == (6, 40, "40 tiết: mặc định")
    assert second.statement_ids == [items[0]["statement_id"], items[1]["statement_id"]]
    assert [d["title"] for d in second.details] == [TITLE, "Bài kiểm tra đất đai"]
    assert [t.id for t in services.transcripts_of(session, setup.person, 2026)] == [second.id, first.id]


def test_voiding_revokes_the_activity_certificate_and_outdates_the_transcript(setup: Setup) -> None:
    session = setup.session
    sid = setup.statement(setup.course)
    keep = setup.statement(setup.checklist)
    items = [hours_item(setup.course, sid), hours_item(setup.checklist, keep)]
    certificate = services.issue_activity(
        session, setup.person, setup.course.id, 2026, hours_of(*items), issued_by=None
    )
    transcript = services.issue_transcript(session, setup.person, 2026, hours_of(*items), issued_by=None)
    session.commit()
    assert services.verify(session, certificate.code).status == services.STATUS_VALID  # type: ignore[union-attr]
    assert services.verify(session, transcript.code).status == services.STATUS_VALID  # type: ignore[union-attr]

    # The store marks the statement voided; the verification sees it before any handler ran.
    voiding = build_statement(
        actor=account_agent(SITE, "hocvu"), verb="voided", activity_iri="urn:x", activity_name="x"
    ) | {"object": {"objectType": "StatementRef", "id": sid}}
    store_statement(session, voiding, hocvu_authority(SITE, "courses"))
    session.commit()
    live = services.verify(session, services.group_code(certificate.code).lower())
    assert live is not None and live.status == services.STATUS_REVOKED and live.revoked_at is None
    outdated = services.verify(session, transcript.code)
    assert outdated is not None and outdated.status == services.STATUS_OUTDATED
    assert [item["statement_id"] for item in outdated.withdrawn] == [sid]

    revoked = services.revoke_for_voided(session, sid, voiding["id"])
    session.commit()
    assert [c.id for c in revoked] == [certificate.id]
    assert certificate.revoked_at is not None and sid in certificate.revoke_reason
    assert certificate.revoke_reason.startswith("Kết quả bồi dưỡng đã bị hủy")
    [entry] = [e for e in audit.entries_for(session, "certificate", certificate.code) if e.action.endswith("revoked")]
    assert entry.reason == certificate.revoke_reason and entry.data["voiding_statement_id"] == voiding["id"]
    assert services.revoke_for_voided(session, sid, voiding["id"]) == []  # already revoked
    assert services.verify(session, "AAAA-BBBB-CCCC-DDDD") is None


def test_a_credit_withdrawn_without_a_void_revokes_the_certificate_when_verified(setup: Setup) -> None:
    session = setup.session
    sid = setup.statement(setup.course)
    certificate = services.issue_activity(
        session, setup.person, setup.course.id, 2026, hours_of(hours_item(setup.course, sid)), issued_by=None
    )
    session.commit()
    asked: list[tuple[int, int]] = []

    def credited(*activity_ids: int) -> Any:
        def answer(person_id: int, year: int) -> set[int]:
            asked.append((person_id, year))
            return set(activity_ids)

        return answer

    still = services.verify(session, certificate.code, credited(setup.course.id))
    assert still is not None and still.status == services.STATUS_VALID
    gone = services.verify(session, certificate.code, credited(setup.checklist.id))
    assert gone is not None and gone.status == services.STATUS_REVOKED
    assert gone.reason == services.NO_LONGER_CREDITED
    assert asked == [(setup.person.id, 2026)] * 2
    unknown = services.verify(session, certificate.code, lambda _p, _y: None)  # no credits module: no claim
    assert unknown is not None and unknown.status == services.STATUS_VALID


def test_the_checklist_pdf_has_its_own_wording_and_decomposed_input_is_drawn_composed(setup: Setup) -> None:
    session = setup.session
    sid = setup.statement(setup.checklist)
    setup.checklist.title = unicodedata.normalize("NFD", "Tiếp nhận hồ sơ một cửa")
    certificate = services.issue_activity(
        session, setup.person, setup.checklist.id, 2026, hours_of(hours_item(setup.checklist, sid)), issued_by=None
    )
    url = services.verify_url(SITE, certificate.code)
    data = pdf.activity_pdf(certificate, url=url, issuer="Sở Nội vụ tỉnh Gia Lai")
    text = pdf_text(data)
    assert "ĐÃ HOÀN THÀNH NỘI DUNG THỰC HÀNH, KÈM CẶP TẠI CHỖ" in text
    assert "Tiếp nhận hồ sơ một cửa" in text and "6 tiết" in text and "Sở Nội vụ tỉnh Gia Lai" in text
    assert pdf_links(data) == [url]


def test_the_qr_code_encodes_the_verification_url() -> None:
    url = services.verify_url(SITE, "ABCDEFGHJKLMNPQR")
    widget = pdf.qr_widget(url)
    assert widget.value == url == "https://hocvu.test/verify/ABCD-EFGH-JKLM-NPQR"
    drawing = pdf.qr_drawing(url, 80)
    assert drawing.contents[0].value == url and (drawing.width, drawing.height) == (80, 80)


def test_a_long_transcript_runs_over_pages_with_its_total(setup: Setup) -> None:
    session = setup.session
    items: list[dict[str, Any]] = [
        hours_item(setup.course, f"00000000-0000-4000-8000-{n:012d}", title=f"{TITLE} {n}") for n in range(60)
    ]
    transcript = services.issue_transcript(session, setup.person, 2026, hours_of(*items), issued_by=None)
    data = pdf.transcript_pdf(transcript, url=services.verify_url(SITE, transcript.code), issuer="HocVu")
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    text = pdf_text(data)
    assert f"{TITLE} 59" in text and "Tổng số tiết được tính 240" in text
    assert "đã đủ số tiết yêu cầu" in text
