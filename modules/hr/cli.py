"""``flask --app wsgi people import FILE --as USERNAME [--dry-run] [--deactivate-missing]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from app.errors import translate
from app.extensions import db
from lms_core import access
from lms_core.accounts import Account, Role
from lms_core.errors import DomainError
from lms_core.uow import UnitOfWork
from modules.hr import importer
from modules.hr.jobs import counting_publisher

people = AppGroup("people", help="People (officials).")

_PHASES = {"validating": "validating rows", "writing": "writing rows", "publishing": "notifying modules"}


class _Bars:
    """One click progress bar per phase (validating, writing, publishing), each over its items."""

    def __init__(self) -> None:
        self.phase = ""
        self.bar: Any = None
        self.shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in _PHASES or total == 0:
            return
        if phase != self.phase:
            self.close()
            self.phase, self.shown = phase, 0
            self.bar = click.progressbar(length=total, label=_PHASES[phase], file=click.get_text_stream("stderr"))
            self.bar.__enter__()
        done = min(done, total)  # events recorded in turn are delivered past the count
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _row_label(error: importer.RowError) -> str:
    where = f"row {error.row}" if error.row else "file"
    if error.column:
        where += f", column '{translate(importer.HEADERS[error.column])}'"
    return f"{where}: {translate(error.message, error.params)}"


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The HR account whose unit scope applies.")
@click.option("--dry-run", is_flag=True, help="Validate and show what would change; write nothing.")
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate active people of the units the file names whose staff code is not in the file.",
)
def import_command(file: Path, username: str, dry_run: bool, deactivate_missing: bool) -> None:
    """Import people from FILE (.xlsx or .csv, headers as in the template), in one transaction.

    Every row is validated first; on any error nothing is written, each error is printed
    with its row and column, and the exit code is 1."""
    account = db.session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if account is None or not account.active or not access.has_role(account, Role.HR):
        raise click.ClickException(f"{username}: no active HR account with that name")
    data = file.read_bytes()
    registry = current_app.extensions["hocvu_registry"]
    bars = _Bars()
    try:
        summary = importer.import_people(
            db.session,
            account,
            data,
            filename=file.name,
            dry_run=dry_run,
            deactivate_missing=deactivate_missing,
            progress=bars,
        )
        if dry_run:
            db.session.rollback()
        else:
            publish = counting_publisher(registry.publish, lambda n: bars("publishing", n, summary.events))
            with UnitOfWork(db.session, publish) as uow:
                importer.release(db.session)  # see its docstring: publishing would be quadratic
                uow.commit()
    except importer.ImportRefused as exc:
        db.session.rollback()
        bars.close()
        with force_locale("vi"):  # no request to choose a language from
            for error in exc.rows:
                click.echo(_row_label(error), err=True)
        click.echo(f"{len(exc.rows)} error(s): nothing was imported", err=True)
        raise SystemExit(1) from None
    except DomainError as exc:
        db.session.rollback()
        bars.close()
        with force_locale("vi"):
            raise click.ClickException(translate(exc.message, exc.params)) from None
    bars.close()
    for item in summary.items:
        changes = ", ".join(f"{key}: {old} -> {new}" for key, (old, new) in item.changes.items())
        click.echo("\t".join(filter(None, (item.action, item.staff_code, item.full_name, item.unit, changes))))
    if len(summary.items) < summary.created + summary.updated + summary.deactivated:
        click.echo(f"… {summary.created + summary.updated + summary.deactivated - len(summary.items)} more")
    click.echo(
        f"people import{' (dry run, nothing written)' if dry_run else ''}: {summary.rows} rows, "
        f"{summary.created} created, {summary.updated} updated, {summary.deactivated} deactivated, "
        f"{summary.unchanged} unchanged"
        + (f"; columns ignored: {', '.join(summary.ignored_columns)}" if summary.ignored_columns else "")
    )
