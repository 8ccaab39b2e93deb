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
