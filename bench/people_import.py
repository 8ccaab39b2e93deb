"""People import: 10,000 generated rows through the import (read, validate, write in one
transaction, then every PersonCreated event published to the enabled modules, the
credits ledger included), then the same file again (all unchanged), on SQLite and on
PostgreSQL (BENCH_DATABASE_URL, default the local server) when it answers.

Prints the seconds of each phase and rows/s. The target is 10,000 rows in under 30 s.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from lms_core.db import Base
from lms_core.uow import UnitOfWork

LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_bench_import"
ROWS = 10_000
HEADER = ["mã cán bộ", "họ và tên", "email", "ngạch/loại", "đơn vị", "vị trí việc làm", "lãnh đạo", "ngày bắt đầu"]
UNITS = ["GL-P-QUYNHON", "GL-P-PLEIKU", "GL-X-IAGRAI", "GL-X-PHUCAT"]
POSITIONS = ["VP-TONGHOP", "VP-VANTHU", "KT-TAICHINH", "KT-XAYDUNG", "KT-DATDAI", "VHXH-CDS", "TTHCC-MOTCUA"]
CATEGORIES = ["công chức", "viên chức", "cán bộ"]


def generated_xlsx(rows: int = ROWS) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(
            [
                f"BENCH-{n:05d}",
                f"Nguyễn Văn Thử {n}",
                f"thu{n}@gialai.gov.vn",
                CATEGORIES[n % 3],
                UNITS[n % len(UNITS)],
                POSITIONS[n % len(POSITIONS)],
                "có" if n % 17 == 0 else "không",
                f"{1 + n % 28:02d}/{1 + n % 12:02d}/20{10 + n % 15}",
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _database_answers(url: str) -> bool:
    from tests.conftest import reset_database

    try:
        reset_database(url)
    except Exception as exc:  # no server, no rights: say so and go on with SQLite alone
        print(f"  PostgreSQL skipped ({url.split('@')[-1]}): {exc.__class__.__name__}")
        return False
    return True


def run(url: str, data: bytes) -> None:
    from app import create_app
    from app.extensions import db
    from lms_core.accounts import Account
    from lms_core.demo import seed_core
    from modules.hr import importer
    from modules.hr.jobs import counting_publisher
    from tests.conftest import FAST_HASH

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": FAST_HASH})
    with app.app_context():
        for loaded in app.extensions["hocvu_registry"].modules:  # every enabled module's tables
            if loaded.manifest.models:
                importlib.import_module(loaded.manifest.models)
        Base.metadata.create_all(db.engine)
        seed_core(db.session, password="bench-password")
        db.session.commit()
        registry = app.extensions["hocvu_registry"]
        for label in ("first import", "same file again"):
            account = db.session.scalar(select(Account).where(Account.username == "demo.hr"))
            assert account is not None
            phases: dict[str, float] = defaultdict(float)
            clock = [time.perf_counter(), ""]

            def progress(phase: str, _done: int, _total: int, clock: list[Any] = clock, phases: dict = phases) -> None:
                now = time.perf_counter()
                if clock[1]:
                    phases[str(clock[1])] += now - float(clock[0])
                clock[0], clock[1] = now, phase

            start = time.perf_counter()
            progress("reading", 0, 1)
            table = importer.read_table(data)
            planned = importer.plan(db.session, account, table, progress=progress)
            events = planned.event_count()

            def published(n: int, events: int = events) -> None:
                progress("publishing", n, events)

            publish = counting_publisher(registry.publish, published)
            with UnitOfWork(db.session, publish) as uow:
                summary = importer.apply(
                    db.session,
                    account,
                    planned,
                    digest=importer.file_digest(data),
                    filename="bench.xlsx",
                    progress=progress,
                )
                importer.release(db.session)
                progress("commit", 0, 1)
                uow.commit()
            progress("end", 0, 0)
            seconds = time.perf_counter() - start
            detail = ", ".join(f"{phase} {secs:.1f} s" for phase, secs in phases.items())
            print(
                f"  {label}: {summary.rows} rows ({summary.created} created, {summary.unchanged} unchanged, "
                f"{events} events) in {seconds:.1f} s = {summary.rows / seconds:,.0f} rows/s  [{detail}]"
            )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    print(f"people import: {ROWS:,} generated rows (.xlsx), target under 30 s")
    data = generated_xlsx()
    print(f"  file: {len(data) / 1024 / 1024:.1f} MB")
    with tempfile.TemporaryDirectory() as folder:
        print(" SQLite:")
        run(f"sqlite:///{Path(folder) / 'bench_import.db'}", data)
    url = os.environ.get("BENCH_DATABASE_URL", LOCAL_PG)
    if _database_answers(url):
        print(" PostgreSQL:")
        run(url, data)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
