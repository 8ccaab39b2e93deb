"""The hours report of a whole province on PostgreSQL (BENCH_DATABASE_URL or the local
server): 100,000 people, 5,000,000 statements, the ledger rebuilt from them (the data
set and the rebuild of ``bench.credits``), three requirement rules of the year like a
province's (province-wide with an online cap and pro rata, commune leaders, one
commune's civil servants with a cap).

Timed, 20 runs each, p50 and p95 (target p95 < 1 s):
(a) the report: ``reports.services.summary`` over the ``hocvu_unit_hours`` hook, as the
    report page and the summary API compute it (every person's requirement and credited
    periods after caps, summed in SQL into cells, rolled up per unit, position, field and
    category); checked once against folding the ``hocvu_people_hours`` rows
    (``reports.services.summarise``, the former path) and against the floor;
(b) the hook alone, every row consumed (what the hours API and the exports stream);
(c) the floor: one hand-written SQL aggregate giving the same per-unit figures (people,
    required, credited after the cap, on track, shortfall) for these three rules, with
    no Python per person. The report's figures are checked against it.

BENCH_SCALE (default 1) scales people and statements, e.g. BENCH_SCALE=0.05 for a quick run;
BENCH_REUSE=1 times again on the data a previous run left (no generation, no rebuild).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.credits import PEOPLE, STATEMENTS, generate, measure_rebuild, percentile, registry_with_modules
from lms_core.db import make_engine, make_session_factory
from lms_core.units import Unit
from modules.credits.models import RequirementRule, RuleCap
from modules.reports import services

LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_bench_reports"
YEAR = 2026
RUNS = 20
ONLINE_CAP = 32

# The floor for the rules below: the winning rule per person by hand (leaders of category
# can_bo: 56, no cap; cong_chuc of unit 2: 44, capped; everyone else: 40, capped), pro rata
# for a start in the year; a single online cap counts min(cap, running online total) minus
# the same before the item, which is exactly what "used up by the earliest" gives.
FLOOR_SQL = text(
    """
    WITH ledger AS (
      SELECT person_id, periods, activity_type IN ('course', 'quiz', 'package') AS online,
             sum(CASE WHEN activity_type IN ('course', 'quiz', 'package') THEN periods ELSE 0 END)
               OVER (PARTITION BY person_id ORDER BY earned_at, activity_id) AS run
      FROM credits_ledger WHERE year = :year
    ), sums AS (
      SELECT person_id, sum(periods) AS raw,
             sum(CASE WHEN online THEN least(:cap, run) - least(:cap, run - periods) ELSE periods END) AS capped
      FROM ledger GROUP BY person_id
    ), people_rules AS (
      SELECT p.id, p.unit_id, p.start_date,
             CASE WHEN p.category = 'can_bo' AND p.is_leader THEN 56
                  WHEN p.category = 'cong_chuc' AND p.unit_id = 2 THEN 44 ELSE 40 END AS base,
             NOT (p.category = 'can_bo' AND p.is_leader) AS capped_rule
      FROM people p JOIN units u ON u.id = p.unit_id WHERE u.path >= '/1/' AND u.path < '/10'
    ), figures AS (
      SELECT r.unit_id,
             CASE WHEN r.start_date >= make_date(:year, 1, 1) AND r.start_date < make_date(:year + 1, 1, 1)
                  THEN (r.base * (13 - extract(month FROM r.start_date)::int) + 11) / 12
                  WHEN r.start_date >= make_date(:year + 1, 1, 1) THEN 0
                  ELSE r.base END AS required,
             coalesce(CASE WHEN r.capped_rule THEN s.capped ELSE s.raw END, 0) AS credited
      FROM people_rules r LEFT JOIN sums s ON s.person_id = r.id
    )
    SELECT unit_id, count(*), sum(required), sum(credited), sum(CASE WHEN credited >= required THEN 1 ELSE 0 END),
           sum(greatest(required - credited, 0))
    FROM figures GROUP BY unit_id ORDER BY unit_id
    """
)


def add_rules(engine: Engine) -> None:
    """The year's three rules (the floor above hard-codes the same)."""
    with make_session_factory(engine)() as session:
        province, commune = session.get(Unit, 1), session.get(Unit, 2)
        province_rule = RequirementRule(year=YEAR, name="Toàn tỉnh", periods=40, unit=province, pro_rata=True)
        province_rule.caps = [RuleCap(kind="online", value=None, max_periods=ONLINE_CAP)]
        leaders = RequirementRule(
            year=YEAR, name="Lãnh đạo cấp xã", periods=56, category="can_bo", is_leader=True, pro_rata=True
        )
        commune_rule = RequirementRule(
            year=YEAR, name="Công chức Xã 2", periods=44, category="cong_chuc", unit=commune, pro_rata=True
        )
        commune_rule.caps = [RuleCap(kind="online", value=None, max_periods=ONLINE_CAP)]
        session.add_all([province_rule, leaders, commune_rule])
        session.commit()


def identity(message: str) -> str:
    return message


def figures(summary: services.Summary) -> list[Any]:
    """Everything a summary says, for comparing two of them."""
    groups = (summary.units, summary.positions, summary.fields, summary.categories)
    return [
        summary.total.as_dict(),
        *([t.as_dict() for t in group] for group in groups),
        summary.distribution,
        summary.periods_by_field,
    ]


def timed(runs: int, work: Callable[[], Any]) -> tuple[list[float], Any]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
    return samples, result


def describe(label: str, samples: list[float]) -> str:
    return (
        f"  {label} ({len(samples)} runs): p50 {statistics.median(samples) * 1000:.0f} ms "
        f"p95 {percentile(samples, 0.95) * 1000:.0f} ms"
    )


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    people, statements = int(PEOPLE * scale), int(STATEMENTS * scale)
    url = os.environ.get("BENCH_DATABASE_URL", LOCAL_PG)
    reuse = os.environ.get("BENCH_REUSE") == "1"
    try:
        from tests.conftest import reset_database

        if not reuse:
            reset_database(url)
    except Exception as exc:
        print(
            f"\nreports: PostgreSQL not available ({exc.__class__.__name__}); set BENCH_DATABASE_URL", file=sys.stderr
        )
        return
    engine = make_engine(url)
    registry = registry_with_modules()
    if reuse:
        with engine.connect() as conn:
            people = conn.execute(text("SELECT count(*) FROM people")).scalar_one()
            statements = conn.execute(text("SELECT count(*) FROM statements")).scalar_one()
    print(f"\nreports on postgresql: {people:,} people, {statements:,} statements (BENCH_SCALE={scale}), year {YEAR}")
    if not reuse:
        generate(engine, people, statements)
        measure_rebuild(engine, "the ledger for the report")
        add_rules(engine)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    factory = make_session_factory(engine)

    def hook(session: Session, unit: Unit, year: int) -> Iterator[dict[str, Any]] | None:
        result: Iterator[dict[str, Any]] | None = registry.hook.hocvu_people_hours(
            session=session, unit=unit, year=year
        )
        return result

    def unit_hook(
        session: Session, unit: Unit, year: int, field: str | None, category: str | None
    ) -> dict[str, Any] | None:
        result: dict[str, Any] | None = registry.hook.hocvu_unit_hours(
            session=session, unit=unit, year=year, field=field, category=category
        )
        return result

    def report() -> services.Summary:
        with factory() as session:
            province = session.scalar(select(Unit).where(Unit.path == "/1/"))
            return services.summary(session, services.Filters(YEAR, province), unit_hook, identity)

    def folded() -> services.Summary:
        with factory() as session:
            province = session.scalar(select(Unit).where(Unit.path == "/1/"))
            filters = services.Filters(YEAR, province)
            return services.summarise(session, filters, services.people(session, filters, hook), identity)

    def rows_only() -> int:
        with factory() as session:
            province = session.scalar(select(Unit).where(Unit.path == "/1/"))
            rows = hook(session, province, YEAR)
            assert rows is not None
            return sum(1 for _ in rows)

    def floor() -> list[tuple[int, ...]]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(FLOOR_SQL, {"year": YEAR, "cap": ONLINE_CAP})]

    report()  # warm the caches once, as a running server would be
    fold_samples, by_people = timed(1, folded)
    report_samples, summary = timed(RUNS, report)
    rows_samples, count = timed(RUNS, rows_only)
    floor_samples, floor_rows = timed(RUNS, floor)
    got = sorted(
        (u.key, u.people, u.required, u.credited, u.on_track, u.shortfall) for u in summary.units if u.depth == 3
    )
    assert got == sorted(floor_rows), "the report and the floor query disagree"
    assert figures(summary) == figures(by_people), "the report and folding the people disagree"
    total = summary.total
    print(
        f"  province: {total.people:,} people, {total.required:,} periods required, {total.credited:,} credited, "
        f"{total.on_track:,} on track; per unit equal to the floor's figures"
    )
    print(
        describe("hours report, whole province (hocvu_unit_hours + rollups)", report_samples)
        + " (target p95 < 1000 ms)"
    )
    print(describe("former path: folding hocvu_people_hours (summarise), equal figures", fold_samples))
    print(describe(f"hocvu_people_hours alone, {count:,} rows consumed", rows_samples))
    print(describe("floor: one hand-written SQL aggregate, same per-unit figures", floor_samples))
    ratio = percentile(report_samples, 0.95) / percentile(floor_samples, 0.95)
    print(f"  report / floor (p95): {ratio:.1f}x")
    engine.dispose()


if __name__ == "__main__":
    main()
