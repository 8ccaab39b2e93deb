"""Course pages: the catalog, a course, a lesson. Each view checks the account, calls one
service and renders; the two POSTs commit and redirect."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.catalog import catalog_items
from app.errors import translate
from app.extensions import db
from app.security import account_or_401, requires, unit_of_work
from lms_core.errors import N_
from modules.courses import services

bp = Blueprint(
    "courses",
    __name__,
    url_prefix="/courses",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.get("")
@requires()
def catalog() -> str:
    person = account_or_401().person
    sections = services.catalog_sections(db.session, catalog_items(person))
    return render_template(
        "courses/catalog.html", sections=sections, status_labels=services.STATUS_LABELS, has_person=person is not None
    )


@bp.get("/<slug>")
@requires()
def course(slug: str) -> str:
    view = services.course_view(db.session, services.learner(account_or_401()), slug)
    return render_template("courses/course.html", view=view, status_labels=services.STATUS_LABELS)


@bp.post("/<slug>/start")
@requires()
def start(slug: str) -> Response:
    view = services.open_enrolment(db.session, services.learner(account_or_401()), slug)
    unit_of_work().commit()
    return redirect(url_for("courses.lesson", slug=slug, position=view.next_position or 1))


@bp.get("/<slug>/lessons/<int:position>")
@requires()
def lesson(slug: str, position: int) -> str:
    lesson_view = services.lesson_view(db.session, services.learner(account_or_401()), slug, position)
    return render_template("courses/lesson.html", lv=lesson_view, view=lesson_view.view)


@bp.post("/<slug>/lessons/<int:position>/complete")
@requires()
def complete_lesson(slug: str, position: int) -> Response:
    view = services.complete_lesson(db.session, services.learner(account_or_401()), slug, position)
    unit_of_work().commit()
    if view.status == services.COMPLETED:
        flash(translate(N_("Chúc mừng! Bạn đã hoàn thành khóa học.")), "success")
        return redirect(url_for("courses.course", slug=slug))
    if position < view.total:
        return redirect(url_for("courses.lesson", slug=slug, position=position + 1))
    if view.lessons_done:
        flash(translate(N_("Bạn đã học xong các bài học. Hãy làm bài kiểm tra để hoàn thành khóa học.")), "success")
    return redirect(url_for("courses.course", slug=slug, _anchor="quiz" if view.lessons_done else "lessons"))
