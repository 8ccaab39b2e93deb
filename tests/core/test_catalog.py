from sqlalchemy.orm import Session

from lms_core import catalog, people
from lms_core.catalog import activity_iri, activity_version, catalog_for, upsert_activity
from lms_core.statements import account_agent, account_key, build_statement, hocvu_authority, store_statement

SITE = "https://hocvu.test"


def add_course(session: Session, slug: str, title: str, periods: int = 4, version: int = 1) -> catalog.Activity:
    return upsert_activity(
        session,
        iri=activity_iri(SITE, "course", slug),
        type="course",
        title=title,
        periods=periods,
        field_code="tai-chinh",
        version=version,
        module="courses",
    )


def test_catalog_orders_required_then_electives_then_the_rest_with_status(db_session: Session) -> None:
    people.upsert_field(db_session, "tai-chinh", "Tài chính")
    position = people.save_position(db_session, code="KT-TAICHINH", name="Kế toán", field_code="tai-chinh")
    other = add_course(db_session, "a-khac", "A — khóa khác")
    elective = add_course(db_session, "b-tu-chon", "B — tự chọn")
    required = add_course(db_session, "c-bat-buoc", "C — bắt buộc")
    upsert_activity(
        db_session,
        iri=activity_iri(SITE, "quiz", "c-bat-buoc"),
        type="quiz",
        title="Bài kiểm tra",
        periods=0,
        field_code=None,
        module="quizzes",
    )
    catalog.set_curriculum_item(db_session, position, required, required=True)
    catalog.set_curriculum_item(db_session, position, elective, required=False)
    statement = build_statement(
        actor=account_agent(SITE, "GL-1"), verb="completed", activity_iri=required.iri, activity_name=required.title
    )
    store_statement(db_session, statement, hocvu_authority(SITE, "courses"))
    store_statement(
        db_session,
        build_statement(
            actor=account_agent(SITE, "GL-1"), verb="launched", activity_iri=elective.iri, activity_name=elective.title
        ),
        hocvu_authority(SITE, "courses"),
    )
    db_session.commit()
    items = catalog_for(db_session, position_id=position.id, actor_key=account_key(SITE, "GL-1"))
    assert [(i.activity.title, i.required, i.status) for i in items] == [
        ("C — bắt buộc", True, "completed"),
        ("B — tự chọn", False, "in_progress"),
        ("A — khóa khác", False, "not_started"),
    ]
    assert other.iri == f"{SITE}/activities/course/a-khac"


def test_each_version_keeps_its_own_periods(db_session: Session) -> None:
    people.upsert_field(db_session, "tai-chinh", "Tài chính")
    course = add_course(db_session, "dau-thau", "Đấu thầu", periods=4, version=1)
    add_course(db_session, "dau-thau", "Đấu thầu (sửa đổi)", periods=6, version=2)
    db_session.commit()
    assert (course.version, course.periods) == (2, 6)
    assert activity_version(db_session, course, 1).periods == 4
    assert activity_version(db_session, course, None).title == "Đấu thầu (sửa đổi)"


def test_vietnamese_alphabetical_order() -> None:
    from lms_core.text import vietnamese_sort_key

    titles = [
        "Y tế cơ sở",
        "Đấu thầu",
        "Dự án đầu tư",
        "Ăn uống",
        "An toàn",
        "Bảo vệ môi trường",
        "Ứng dụng AI",
        "Uỷ ban",
    ]
    assert sorted(titles, key=vietnamese_sort_key) == [
        "An toàn",
        "Ăn uống",
        "Bảo vệ môi trường",
        "Dự án đầu tư",
        "Đấu thầu",
        "Uỷ ban",
        "Ứng dụng AI",
        "Y tế cơ sở",
    ]
