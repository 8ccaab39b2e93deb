"""Nothing half-written: a failing module rolls back the crediting work, a failing rebuild
leaves the ledger as it was; the demo seed is idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_core.audit import AuditEntry
from lms_core.plugins import hookimpl
from modules.credits import engine, plugin
from modules.credits.models import RequirementRule
from tests.modules.credits.helpers import SITE, World, headless_registry, snapshot


class Broken(Exception):
    pass


class BrokenModule:
    armed = False

    @hookimpl
    def hocvu_credit_refusal(self, session: Session, statement: Any, activity: Any) -> str | None:
        if BrokenModule.armed:
            raise Broken("the mentor service is down")
        return None


@pytest.fixture
def broken_world(db_session: Session) -> World:
    registry = headless_registry()
    registry.pm.register(BrokenModule(), name="broken")
    BrokenModule.armed = False
    return World(db_session, registry)


def test_a_failing_module_leaves_the_ledger_as_it_was_and_a_rebuild_repairs_it(broken_world: World) -> None:
    world = broken_world
    mai = world.person("GL-1")
    course = world.activity("dau-thau", periods=4)
    world.statement("GL-1", course, "2026-03-10T09:00:00+07:00")
    before = snapshot(world.session)
    other = world.activity("xay-dung", periods=3)
    BrokenModule.armed = True
    world.statement("GL-1", other, "2026-04-10T09:00:00+07:00")  # stored; its crediting fails and rolls back
    assert snapshot(world.session) == before
    assert world.credited(mai, 2026) == 4
    with pytest.raises(Broken):
        engine.rebuild(world.session, site_url=SITE, refusal=engine.refusal_from_hook(world.registry.hook))
    world.session.rollback()
    assert snapshot(world.session) == before
    assert (
        world.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "credits.rebuilt"))
        == 0
    )
    BrokenModule.armed = False
    summary = engine.rebuild(world.session, site_url=SITE, refusal=engine.refusal_from_hook(world.registry.hook))
    world.session.commit()
    assert (summary.added, summary.credits) == (1, 2)
    assert world.credited(mai, 2026) == 7


def test_events_outside_an_app_need_a_bound_registry(world: World) -> None:
    plugin._bound.clear()
    with pytest.raises(RuntimeError, match="bind"):
        plugin.settings()
    plugin.bind(world.registry, site_url=SITE)
    assert plugin.settings().site_url == SITE


def test_the_demo_seed_adds_the_2026_rules_once(db_session: Session) -> None:
    from lms_core.demo import seed_core

    demo = seed_core(db_session)
    db_session.commit()
    for _ in range(2):
        plugin.hocvu_demo_seed(session=db_session, demo=demo)
        db_session.commit()
    names = db_session.scalars(select(RequirementRule.name).order_by(RequirementRule.id)).all()
    assert len(names) == 4 and names[1] == "Công chức Xã Ia Grai 2026"
