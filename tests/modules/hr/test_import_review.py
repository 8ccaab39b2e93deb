"""Review fixes of the people import: wide rows, double confirmation, DONE with the
writes, the deferred file, inactive units and positions, refusals, progress."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import inspect, update
from sqlalchemy.orm import Session

from lms_core.accounts import Account
from lms_core.db import make_session_factory, utcnow
from lms_core.errors import Conflict
from lms_core.events import Event
from modules.hr import controllers, importer, jobs
from modules.hr.models import DONE, FAILED, RUNNING, ImportJob
from tests.conftest import bearer, login
from tests.modules.hr.test_import import HEADER, NEW_ROWS, person, post_import, upload, wait_for, xlsx


def job_id_of(job_url: str) -> int:
    return int(job_url.rstrip("/").rsplit("/", 1)[-1])


def load_job(db: Session, job_id: int) -> ImportJob:
    db.rollback()  # a fresh snapshot
    job = db.get(ImportJob, job_id, populate_existing=True)
    assert job is not None
    return job


def checked_job(client: Any, rows: list[list[Any]] = NEW_ROWS) -> str:
    login(client, "demo.hr")
    job_url = upload(client, xlsx(rows))
    assert wait_for(client, job_url)["status"] == "checked"
    return job_url


# --- 1. one wide row ------------------------------------------------------------------------


def test_a_cell_far_to_the_right_does_not_widen_every_row() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for number, row in enumerate(NEW_ROWS * 50, start=2):
        sheet.append([f"GL-7{number:04d}", *row[1:]])
        sheet.cell(row=number, column=16384, value="x")  # column XFD
    out = io.BytesIO()
    workbook.save(out)
    table = importer.read_table(out.getvalue())
    assert len(table.rows) == 100
    assert max(len(cells) for _number, cells in table.rows) == len(HEADER)
    assert table.columns["start_date"] == len(HEADER) - 1


def test_blank_rows_between_rows_are_skipped() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.cell(row=5, column=1, value=NEW_ROWS[0][0])
    sheet.cell(row=5, column=2, value=NEW_ROWS[0][1])
    out = io.BytesIO()
    workbook.save(out)
    assert [number for number, _cells in importer.read_table(out.getvalue()).rows] == [5]


# --- 3. confirming twice ----------------------------------------------------------------------


def test_a_second_confirmation_is_refused_while_the_first_is_queued(
    client: Any, demo: Any, app: Any, app_db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_url = checked_job(client)
    monkeypatch.setattr(controllers, "_start_runner", lambda _job_id: None)
    assert client.post(f"{job_url}/confirm").status_code == 303
    assert client.post(f"{job_url}/confirm").status_code == 409
    factory = make_session_factory(app_db.get_bind())
    assert jobs.run(factory, app.extensions["hocvu_registry"].publish, job_id_of(job_url)) == DONE
    assert jobs.run(factory, app.extensions["hocvu_registry"].publish, job_id_of(job_url)) == ""  # claimed once
    assert client.post(f"{job_url}/confirm").status_code == 409


def test_a_request_that_loaded_the_job_before_it_ran_cannot_queue_it_again(
    client: Any, demo: Any, app_db: Session
) -> None:
    job_url = checked_job(client)
    job_id = job_id_of(job_url)
    # The second click's request loaded the job while it was still checked…
    other = make_session_factory(app_db.get_bind())()
    account = other.get(Account, demo.accounts["demo.hr"].id)
    assert account is not None
    stale = jobs.job_for(other, account, job_id)
    other.commit()  # expire_on_commit=False: it still says "checked"
    # …then the first click's import ran to the end.
    assert client.post(f"{job_url}/confirm").status_code == 303
    assert wait_for(client, job_url)["status"] == DONE
    with pytest.raises(Conflict):
        jobs.confirm(other, account, stale)
    other.commit()
    other.close()
    assert load_job(app_db, job_id).status == DONE


# --- 4. DONE is written with the people ---------------------------------------------------------


class WorkerDied(BaseException):
    """The process ends mid-publishing (a restart): nothing catches it."""


def test_a_runner_dying_while_publishing_leaves_a_done_job(
    client: Any, demo: Any, app: Any, app_db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_url = checked_job(client)
    job_id = job_id_of(job_url)
    monkeypatch.setattr(controllers, "_start_runner", lambda _job_id: None)
    assert client.post(f"{job_url}/confirm").status_code == 303

    def dying(_session: Session, _event: Event) -> list[Event]:
        raise WorkerDied

    with pytest.raises(WorkerDied):
        jobs.run(make_session_factory(app_db.get_bind()), dying, job_id)
    assert person(app_db, "GL-70001").full_name == "Huỳnh Thị Kim Oanh"
    job = load_job(app_db, job_id)
    assert (job.status, job.phase, job.summary["created"]) == (DONE, "publishing", 2)
    status = jobs.status_of(job)
    assert status["finished"] is False and status["phase_label"] == jobs.PUBLISHING_LABEL
    assert client.get(f"{job_url}/status").get_json()["counts"]["created"] == 2

    app_db.execute(update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow() - timedelta(hours=1)))
    app_db.commit()
    status = jobs.status_of(load_job(app_db, job_id))
    assert (status["status"], status["finished"], status["message"]) == (DONE, True, jobs.PUBLISHING_LOST)
    assert "Đã nhập xong" in client.get(job_url).get_data(as_text=True)


def test_a_publisher_failing_leaves_a_done_job_that_says_so(
    client: Any, demo: Any, app_db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_url = checked_job(client)
    job_id = job_id_of(job_url)
    monkeypatch.setattr(controllers, "_start_runner", lambda _job_id: None)
    client.post(f"{job_url}/confirm")

    def failing(_session: Session, _event: Event) -> list[Event]:
        raise RuntimeError("a module's handler crashed")

    assert jobs.run(make_session_factory(app_db.get_bind()), failing, job_id) == DONE
    status = jobs.status_of(load_job(app_db, job_id))
    assert (status["status"], status["finished"], status["message"]) == (DONE, True, jobs.PUBLISHING_FAILED)


def test_finish_never_raises_and_never_overwrites_a_finished_job(app_db: Session, demo: Any) -> None:
    account = app_db.get(Account, demo.accounts["demo.hr"].id)
    assert account is not None
    job = jobs.create_job(app_db, account, importer.template_csv(str), filename="a.csv", deactivate_missing=False)
    job.status = DONE
    app_db.commit()
    reporter = jobs.Reporter(make_session_factory(app_db.get_bind()), job.id)
    assert reporter.finish(FAILED, message="x") is False  # not running: left alone
    assert load_job(app_db, job.id).status == DONE

    def broken() -> Session:
        raise_on = make_session_factory(app_db.get_bind())()
        raise_on.execute = _raise  # type: ignore[method-assign]
        return raise_on

    assert jobs.Reporter(broken, job.id).finish(FAILED) is False  # type: ignore[arg-type]


def _raise(*_args: Any, **_kwargs: Any) -> Any:
    from sqlalchemy.exc import OperationalError

    raise OperationalError("UPDATE", {}, Exception("the database went away"))


# --- 5. the file is deferred ------------------------------------------------------------------


def test_polling_does_not_load_the_uploaded_file(client: Any, demo: Any, app_db: Session) -> None:
    job_url = checked_job(client)
    account = app_db.get(Account, demo.accounts["demo.hr"].id)
    assert account is not None
    app_db.expunge_all()
    job = jobs.job_for(app_db, app_db.get(Account, account.id), job_id_of(job_url))  # type: ignore[arg-type]
    jobs.status_of(job)
    assert "content" in inspect(job).unloaded


# --- 6. the API releases the session before committing ---------------------------------------


def test_the_api_import_releases_the_session_before_committing(
    client: Any, demo: Any, app_db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    released: list[int] = []
    original = importer.release

    def spy(session: Session) -> None:
        released.append(len(session.identity_map))
        original(session)

    monkeypatch.setattr(importer, "release", spy)
    response = post_import(client, bearer(client, "demo.hr"), xlsx(NEW_ROWS), dry_run=False)
    assert response.status_code == 200, response.get_json()
    assert len(released) == 1
    assert person(app_db, "GL-70002").full_name == "Rơ Châm Hyun"


# --- 7. inactive units and positions ----------------------------------------------------------


def test_an_inactive_unit_or_position_is_refused_by_name(client: Any, demo: Any, app_db: Session) -> None:
    demo.units["GL-X-IAGRAI"].active = False
    demo.positions["VHXH-YTE"].active = False
    app_db.commit()
    response = post_import(client, bearer(client, "demo.hr"), xlsx(NEW_ROWS), dry_run=True)
    assert response.status_code == 400, response.get_json()
    found = {(e["row"], e["column"]): e["message"] for e in response.get_json()["error"]["rows"]}
    assert found[(2, "đơn vị")] == "Đơn vị GL-X-IAGRAI đã ngừng hoạt động."
    assert found[(3, "vị trí việc làm")] == "Vị trí việc làm VHXH-YTE đã ngừng sử dụng."


# --- 8. an expected refusal in the runner -----------------------------------------------------


def test_a_refusal_in_the_runner_shows_its_own_message(client: Any, demo: Any, app: Any, app_db: Session) -> None:
    account = app_db.get(Account, demo.accounts["demo.hr"].id)
    assert account is not None
    job = jobs.create_job(app_db, account, xlsx(NEW_ROWS), filename="a.xlsx", deactivate_missing=False)
    account.active = False
    app_db.commit()
    assert jobs.run(make_session_factory(app_db.get_bind()), app.extensions["hocvu_registry"].publish, job.id) == FAILED
    assert load_job(app_db, job.id).message == "Tài khoản không còn hoạt động."


# --- 9. progress stays within 100% ------------------------------------------------------------


def test_progress_never_passes_100_percent() -> None:
    job = ImportJob(id=1, status=RUNNING, phase="publishing", done=15, total=10, summary={}, errors=[])
    job.updated_at = utcnow()
    status = jobs.status_of(job)
    assert (status["percent"], status["done"], status["finished"]) == (100, 10, False)
