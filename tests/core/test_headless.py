"""The core imports and works with Flask made unimportable."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import sys, pkgutil, importlib
sys.modules["flask"] = None  # any "import flask" now raises ImportError
import lms_core
names = [m.name for m in pkgutil.walk_packages(lms_core.__path__, "lms_core.")]
for name in names:
    importlib.import_module(name)
from sqlalchemy import create_engine
from lms_core.db import Base, make_session_factory
from lms_core import units
engine = create_engine("sqlite://")
Base.metadata.create_all(engine)
with make_session_factory(engine)() as session:
    root = units.create_unit(session, code="GL", name="Tỉnh Gia Lai", kind="province", parent=None)
    session.commit()
    print(len(names), root.path, "flask" in sys.modules and sys.modules["flask"] is not None)
"""


def test_core_imports_and_runs_without_flask() -> None:
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    count, path, flask_loaded = result.stdout.split()
    assert int(count) >= 10  # every core module was imported
    assert path == "/1/"
    assert flask_loaded == "False"
