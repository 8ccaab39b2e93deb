import pytest
from sqlalchemy.orm import Session

from lms_core.events import UnitChanged, record
from lms_core.plugins.registry import ModuleLoadError, Registry
from lms_core.scheduler import run_once
from lms_core.uow import UnitOfWork
from tests.core.fake_modules.alpha import plugin as alpha
from tests.core.fake_modules.beta import plugin as beta

PACKAGE = "tests.core.fake_modules"


def load(*names: str) -> Registry:
    registry = Registry()
    registry.load(names, package=PACKAGE)
    return registry


def test_modules_load_in_dependency_order() -> None:
    registry = load("alpha", "beta")
    assert [m.manifest.name for m in registry.modules] == ["beta", "alpha"]
    assert [job.name for job in registry.jobs()] == ["beta.nightly"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("needs_missing",), "requires module 'nowhere', which is not enabled"),
        (("alpha",), "requires module 'beta'"),
        (("cycle_a", "cycle_b"), "cycle"),
        (("bad_argument",), "bad_argument"),
        (("unknown_hook",), "unknown hook"),
        (("misnamed",), "declares the name 'something_else'"),
        (("broken_ref",), "cannot load"),
        (("not_there",), "failed to import"),
        (("Bad-Name",), "not a valid identifier"),
    ],
)
def test_a_wrong_module_stops_loading_with_a_clear_message(names: tuple[str, ...], message: str) -> None:
    with pytest.raises(ModuleLoadError, match=message):
        load(*names)


def test_events_reach_modules_after_commit_in_load_order_despite_a_failing_one(db_session: Session) -> None:
    alpha.SEEN.clear()
    beta.SEEN.clear()
    registry = load("failing", "alpha", "beta")
    uow = UnitOfWork(db_session, registry.publish)
    record(db_session, UnitChanged(7))
    assert beta.SEEN == []
    uow.commit()
    assert beta.SEEN + alpha.SEEN == [("beta", UnitChanged(7)), ("alpha", UnitChanged(7))]


def test_a_job_runs_once_per_slot(db_session: Session, engine) -> None:  # type: ignore[no-untyped-def]
    from lms_core.db import make_session_factory

    beta.SEEN.clear()
    factory = make_session_factory(engine)
    assert run_once(factory, "beta.nightly", beta.nightly, "2026-11-23T02:00")
    assert not run_once(factory, "beta.nightly", beta.nightly, "2026-11-23T02:00")
    assert run_once(factory, "beta.nightly", beta.nightly, "2026-11-24T02:00")
    assert beta.SEEN == ["nightly", "nightly"]


def test_a_batch_is_delivered_once_and_one_bad_event_costs_only_itself(db_session: Session) -> None:
    from tests.core.fake_modules.batched import plugin as batched

    alpha.SEEN.clear()
    beta.SEEN.clear()
    batched.CALLS.clear()
    registry = load("batched", "alpha", "beta")
    uow = UnitOfWork(db_session, publish_batch=registry.publish_batch)
    for unit_id in (1, 2):
        record(db_session, UnitChanged(unit_id))
    uow.commit()
    assert batched.CALLS == [[1, 2]]  # the whole batch in one call
    assert [e for _, e in alpha.SEEN] == [UnitChanged(1), UnitChanged(2)]  # per-event modules: one call each

    batched.CALLS.clear()
    for unit_id in (1, batched.BAD_UNIT, 2):
        record(db_session, UnitChanged(unit_id))
    uow.commit()
    # The batch failed, so each event went again on its own: only the bad one failed.
    assert batched.CALLS == [[1, batched.BAD_UNIT, 2], [1], [batched.BAD_UNIT], [2]]
