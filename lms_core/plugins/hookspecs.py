"""The whole contract between HocVu and its modules, one docstring per hook.

A module implements hooks in ``modules/<name>/plugin.py`` with ``@hookimpl``. pluggy
checks each implementation's argument names against these specs when the module is
registered, so a misspelt argument stops start-up instead of failing in production.
Implementations may accept fewer arguments than the spec offers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lms_core.content import ContentError
from lms_core.events import Event
from lms_core.plugins import hookspec


@hookspec
def hocvu_event(session: Session, event: Event) -> None:
    """React to a core or module event, after the transaction that recorded it committed.

    Called once per event per module, in module load order. ``session`` is outside any
    transaction: the implementation does its work and the registry commits it (or rolls
    it back and logs the error, without affecting other modules). Events the
    implementation records are published in turn after that commit.
    """


@hookspec
def hocvu_events(session: Session, events: Sequence[Event]) -> None:
    """React to the events of one committed transaction together, in the order recorded:
    e.g. the 50 statements of one batch POSTed to the LRS, so a module can look them up
    in one query instead of fifty.

    A module implements this instead of ``hocvu_event`` (never both); it is called once
    per batch, in module load order, with the same commit and error rules.
    """


@hookspec
def hocvu_demo_seed(session: Session, demo: Any) -> None:
    """Add the module's share of the demo data.

    Called by ``flask --app wsgi demo seed`` after the core demo data (units, positions,
    people, accounts) exists; ``demo`` is the ``lms_core.demo.DemoData`` with lookups by
    code. Must be idempotent: a second run changes nothing. Caller commits.
    """


@hookspec
def hocvu_content_validate(session: Session, root: Path, site_url: str) -> list[ContentError]:
    """Check the module's content files under ``root`` (e.g. ``root / "courses"``) and
    return every problem found; an empty list when all is well. Must not write anything.

    Called by ``flask --app wsgi content import DIR`` for every module before any module
    imports; one error anywhere stops the whole import.
    """


@hookspec
def hocvu_content_apply(session: Session, root: Path, site_url: str) -> list[str]:
    """Import the module's (already validated) content files under ``root`` into the
    catalog and the module's tables; return one summary line per item ("course X v2:
    created"). Must be idempotent: importing unchanged files changes nothing.

    All modules apply in one transaction, which the caller commits.
    """


@hookspec(firstresult=True)
def hocvu_credit_refusal(session: Session, statement: Any, activity: Any) -> str | None:
    """Say why a qualifying statement must not award credit, or return None to allow it.

    ``statement`` is the stored ``lms_core.statements.Statement`` row, ``activity`` its
    ``lms_core.catalog.Activity``. The module owning the activity type answers (e.g. the
    checklists module refuses a checklist statement whose ``context.instructor`` is not
    the official's assigned mentor); the first non-None answer wins and is shown to the
    official as the reason. Called by the credits module, also when rebuilding, so the
    answer must depend only on the database, never on the current time.
    """


@hookspec(firstresult=True)
def hocvu_person_hours(session: Session, person: Any, year: int, translate: Any) -> dict[str, Any] | None:
    """A person's training hours for ``year``, as ``GET /api/v1/people/<id>/hours`` answers
    them: ``{"required", "credited", "explanation", "items": [{"activity", "activity_id",
    "title", "type", "periods", "counted", "date", "statement_id", …}], …}``.

    ``person`` is a ``lms_core.people.Person``; ``translate`` is a gettext callable for the
    texts (identity outside a request). The credits module answers; modules that show or
    certify hours (certificates, reports) call it instead of importing the credits module.
    None when no module keeps credits.
    """


@hookspec(firstresult=True)
def hocvu_people_hours(session: Session, unit: Any, year: int) -> Iterator[dict[str, Any]] | None:
    """Every person of ``unit`` (a ``lms_core.units.Unit``) and the units below it with
    their requirement and credited periods for ``year``: one dict per person, ordered by
    unit path then staff code, produced lazily in chunks so that 100,000 people stream in
    flat memory: ``{"person_id", "staff_code", "name", "category", "is_leader", "active",
    "unit_id", "unit_code", "unit_name", "unit_path", "position_id", "position_code",
    "position_name", "field_code" (the position's field), "start_date", "required",
    "credited" (after the rule's caps), "by_field": {field code or "": periods counted},
    "by_type": {activity type: periods counted}, "activity_ids": [credited activity ids],
    "rule_name" (None for the default)}``. The figures equal what
    ``hocvu_person_hours`` says for each person.

    The credits module answers; the reports and plans modules call it. None when no
    module keeps credits.
    """


@hookspec(firstresult=True)
def hocvu_unit_hours(session: Session, unit: Any, year: int, field: str | None, category: str | None) -> Any:
    """The figures of ``hocvu_people_hours`` for ``unit`` and below in ``year``, already
    summed, for reports over a whole province without a row per person:
    ``{"cells": [...], "periods_by_field": {field code or "": periods}}``.

    Each cell groups the people of one (``"unit_id"`` — their own unit, not rolled up —,
    ``"position_id"``, ``"field_code"`` (the position's field, None without one),
    ``"category"``, ``"bin"``) and holds ``"people"``, ``"required"``, ``"credited"``
    (after the rule's caps), ``"on_track"`` (people with credited >= required) and
    ``"shortfall"`` (the sum of max(0, required - credited)). ``"bin"`` is the index of the
    person's share of the requirement credited among the bands starting at 0, 1, 25, 50,
    75 and 100 percent (whole percent rounded down, at most 100; 100 when nothing is
    required). ``"periods_by_field"`` sums the periods counted per activity field (after
    caps) over the same people, fields with none left out. ``field`` keeps only the people
    whose position is in that field ("" for people without one), ``category`` only those
    of that category; None keeps everyone. Only active people count (someone deactivated
    has left the service). Every figure equals folding the matching active
    ``hocvu_people_hours`` rows; reads only.

    The credits module answers; the reports module calls it. None when no module keeps
    credits.
    """


@hookspec
def hocvu_reminders(session: Session, kind: str, now: datetime) -> list[Any]:
    """The reminders (``lms_core.reminders.Reminder``) of ``kind`` (one of
    ``lms_core.reminders.KINDS``) that the module wants sent at ``now``; an empty list
    for kinds it does not know. Must not write anything: the notifications module
    delivers each key at most once (its message log) and skips muted digests, so a
    module may return the same reminder again on the next run. Answer only for people
    who have not done what they are reminded of.

    Called by the notifications module's scheduled jobs (``flask --app wsgi jobs run
    NAME`` runs one now); every module's answers are concatenated.
    """
