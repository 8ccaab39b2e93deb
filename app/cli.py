"""Shell CLI commands: ``demo seed``, ``jobs run NAME``, ``scheduler``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from lms_core import demo as core_demo
from lms_core.db import make_session_factory, utcnow
from lms_core.plugins.registry import resolve
from lms_core.scheduler import run_once, slot_for
from lms_core.uow import UnitOfWork

demo_cli = AppGroup("demo", help="Demo data.")
content_cli = AppGroup("content", help="Course and checklist content.")
jobs_cli = AppGroup("jobs", help="Scheduled jobs.")


@demo_cli.command("seed")
@click.option(
    "--password",
    default=core_demo.DEFAULT_PASSWORD,
    show_default=True,
    help="Password of the demo accounts (only when they are created).",
)
def demo_seed(password: str) -> None:
    """Create demo units, positions, people and the demo.* accounts (idempotent)."""
    registry = current_app.extensions["hocvu_registry"]
    with UnitOfWork(db.session, registry.publish) as uow:
        data = core_demo.seed_core(db.session, password=password)
        registry.hook.hocvu_demo_seed(session=db.session, demo=data)
        uow.commit()
    click.echo(
        f"Demo data ready: {len(data.units)} units, {len(data.people)} people, "
        f"accounts {', '.join(sorted(data.accounts))}."
    )


@content_cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def content_import(directory: Path) -> None:
    """Validate every content file under DIRECTORY, then import them all in one transaction.

    Nothing is imported when any file is wrong; each error names the file and the line.
    """
    registry = current_app.extensions["hocvu_registry"]
    site_url = current_app.config["SITE_URL"]
    errors = [
        e
        for found in registry.hook.hocvu_content_validate(session=db.session, root=directory, site_url=site_url)
        for e in found
    ]
    if errors:
        for error in sorted(errors, key=lambda e: (str(e.path), e.line)):
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(errors)} error(s): nothing was imported")
    with UnitOfWork(db.session, registry.publish) as uow:
        lines = [
            line
            for found in registry.hook.hocvu_content_apply(session=db.session, root=directory, site_url=site_url)
            for line in found
        ]
        uow.commit()
    for line in lines:
        click.echo(line)
    click.echo(f"content import: {len(lines)} item(s) checked")


def _job(name: str):  # type: ignore[no-untyped-def]
    registry = current_app.extensions["hocvu_registry"]
    for job in registry.jobs():
        if job.name == name:
            return job
    raise click.BadParameter(f"no job named {name!r}; known: {', '.join(j.name for j in registry.jobs()) or 'none'}")


@jobs_cli.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run the scheduled job NAME now."""
    job = _job(name)
    registry = current_app.extensions["hocvu_registry"]
    ran = run_once(
        make_session_factory(db.engine), job.name, resolve(job.func), f"manual:{time.time_ns()}", registry.publish
    )
    click.echo(f"{job.name}: {'done' if ran else 'skipped'}")


@jobs_cli.command("list")
def jobs_list() -> None:
    """List the scheduled jobs the enabled modules declare."""
    for job in current_app.extensions["hocvu_registry"].jobs():
        click.echo(f"{job.name}\t{job.trigger}")


def scheduler_command(app: Flask) -> click.Command:
    @click.command("scheduler")
    def scheduler() -> None:
        """Run the scheduler in this process (one per deployment; see README)."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        session_factory = make_session_factory(db.engine)
        registry = app.extensions["hocvu_registry"]
        blocking = BlockingScheduler(timezone=app.config["TIMEZONE"])
        for job in app.extensions["hocvu_registry"].jobs():
            func = resolve(job.func)

            def fire(job_name: str = job.name, job_func=func) -> None:  # type: ignore[no-untyped-def]
                with app.app_context():
                    run_once(session_factory, job_name, job_func, slot_for(utcnow()), registry.publish)

            blocking.add_job(fire, id=job.name, **job.trigger)
        click.echo(f"scheduler: {len(blocking.get_jobs())} jobs")
        blocking.start()

    return scheduler


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_command(app))
