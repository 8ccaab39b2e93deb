from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from lms_core.demo import seed_core
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def core(db_session: Session) -> Any:
    """The core demo data (fields, positions, people) on a plain session, no Flask."""
    data = seed_core(db_session, password=TEST_PASSWORD)
    db_session.commit()
    return data
