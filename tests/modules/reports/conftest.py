from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def reports_app(app: Any) -> Any:
    """The app, which must have the reports module enabled (HOCVU_MODULES=…,credits,reports)."""
    if "reports" not in app.config["MODULES"]:
        pytest.skip("the reports module is not enabled: add reports to HOCVU_MODULES")
    return app
