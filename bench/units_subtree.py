"""Subtree queries on a 10,000-unit tree: the materialised path (what HocVu uses)
against a recursive CTE over parent ids (the baseline), on SQLite and on PostgreSQL
when BENCH_DATABASE_URL or the local server is there.

Prints p50/p95 per query and the ratio baseline / path.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from lms_core import models  # noqa: F401
from lms_core.db import Base, make_engine, make_session_factory
from lms_core.units import Unit, subtree_filter

LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_bench"
RUNS = 200


def build_tree(engine: Engine, size: int = 10_000) -> list[Unit]:
    """A province, 150 departments/communes, and units below them until ``size``."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        province = Unit(code="P", name="Tỉnh", kind="province", path="")
        session.add(province)
        session.flush()
        province.path = f"/{province.id}/"
        level2 = []
        for n in range(150):
            unit = Unit(code=f"C{n}", name=f"Xã {n}", kind="commune", parent_id=province.id, path="")
            session.add(unit)
            level2.append(unit)
        session.flush()
        for unit in level2:
            unit.path = f"{province.path}{unit.id}/"
        created = 1 + len(level2)
        n = 0
        while created < size:
            parent = level2[n % len(level2)]
            unit = Unit(code=f"U{n}", name=f"Đơn vị {n}", kind="department", parent_id=parent.id, path="")
            session.add(unit)
            n += 1
            created += 1
        session.flush()
        for unit in session.scalars(select(Unit).where(Unit.path == "")):
            unit.path = f"{unit.parent.path}{unit.id}/"  # type: ignore[union-attr]
        session.commit()
        return [province, level2[0], level2[77]]


def timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    samples = []
    result = 0
    for _ in range(RUNS):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], result


CTE = text(
    """
    WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE id = :root
      UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id)
    SELECT count(*) FROM sub
    """
)


def run(url: str) -> None:
    engine = make_engine(url)
    roots = build_tree(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE units"))
            conn.commit()
        print(f"\n{engine.dialect.name}: {conn.scalar(select(func.count()).select_from(Unit))} units, {RUNS} runs each")
        for root in roots:
            path_stats = timed(
                lambda r=root: conn.scalar(select(func.count()).select_from(Unit).where(subtree_filter(r.path)))
            )
            cte_stats = timed(lambda r=root: conn.scalar(CTE, {"root": r.id}))
            assert path_stats[2] == cte_stats[2], "path and CTE disagree"
            print(
                f"  subtree of {root.code:>4} ({path_stats[2]:>5} units): path p50 {path_stats[0]:.2f} ms "
                f"p95 {path_stats[1]:.2f} ms | recursive CTE p50 {cte_stats[0]:.2f} ms p95 {cte_stats[1]:.2f} ms "
                f"| CTE/path p95 ratio {cte_stats[1] / path_stats[1]:.1f}x"
            )
    Base.metadata.drop_all(engine)
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db")
    url = os.environ.get("BENCH_DATABASE_URL", LOCAL_PG)
    try:
        from tests.conftest import reset_database

        reset_database(url)
    except Exception as exc:  # no server: say so instead of failing
        print(f"\nPostgreSQL not measured ({exc.__class__.__name__}); set BENCH_DATABASE_URL", file=sys.stderr)
        return
    run(url)


if __name__ == "__main__":
    main()
