"""``flask --app wsgi credits rebuild [--year Y]``: recompute the ledger from the statements."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from lms_core.uow import UnitOfWork
from modules.credits import engine
from modules.credits.plugin import settings

credits = AppGroup("credits", help="Credited training periods.")


@credits.command("rebuild")
@click.option("--year", type=int, default=None, help="Only this year (Asia/Ho_Chi_Minh); all years when omitted.")
def rebuild(year: int | None) -> None:
    """Recompute credited periods from the non-voided statements, in one transaction.

    The result equals what the incremental updates produce; the differences found are
    applied and summarised in one audit log entry."""
    current = settings()
    registry = current_app.extensions["hocvu_registry"]
    with UnitOfWork(db.session, registry.publish) as uow:
        with click.progressbar(length=engine.REBUILD_STEPS, label="credits rebuild") as bar:
            summary = engine.rebuild(
                db.session,
                site_url=current.site_url,
                refusal=current.refusal,
                year=year,
                progress=bar.update,
            )
        uow.commit()
    click.echo(
        f"credits rebuild{f' {year}' if year else ''}: {summary.credits} credits "
        f"(+{summary.added} -{summary.removed} ~{summary.changed}), {summary.not_counted} not counted, "
        f"{summary.refused} refused by modules, {summary.pinned} versions pinned, {summary.seconds:.1f} s"
    )
