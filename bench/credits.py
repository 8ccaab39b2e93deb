"""Crediting on PostgreSQL (BENCH_DATABASE_URL or the local server):

(a) incremental crediting: p50/p95 of the time from a committed statement to its
    committed ledger update (the registry's publish of ``StatementStored``), on top of
    the big data set, target p95 < 5 ms;
(b) ``credits rebuild`` for 100,000 people and 5,000,000 statements (bulk-generated with
    INSERT … SELECT generate_series, never the ORM), against the floor: one hand-written
    SQL aggregate computing the same credited set from the same statements in the same run;
    then again with the ``hocvu_credit_refusal`` hooks of the modules enabled by default
    (quizzes and checklists answer it), as ``flask --app wsgi credits rebuild`` runs.

Both use a plugin registry with the default modules and credits, as the app does.

BENCH_SCALE (default 1) scales people and statements, e.g. BENCH_SCALE=0.05 for a quick run.
"""

from __future__ import annotations

import importlib
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.config import DEFAULT_MODULES
from lms_core import models  # noqa: F401  (every core table on the metadata)
from lms_core.catalog import CREDITING_VERBS
from lms_core.db import Base, make_engine, make_session_factory
from lms_core.plugins.registry import Registry
from lms_core.statements import account_agent, build_statement, hocvu_authority, store_statement
from lms_core.uow import UnitOfWork
from modules.credits import engine as credits_engine
from modules.credits import plugin as credits_plugin
from modules.credits.models import Credit

LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_bench"
MODULES = list(dict.fromkeys([*DEFAULT_MODULES, "credits"]))
SITE = "https://hocvu.gialai.gov.vn"
PEOPLE = 100_000
STATEMENTS = 5_000_000
ACTIVITIES = 400
INCREMENTAL_RUNS = 500
FIELDS = ["tai-chinh", "xay-dung", "dat-dai-moi-truong", "nong-nghiep", "chuyen-doi-so", "van-phong", "y-te", "noi-vu"]
TYPES = ["course", "course", "course", "quiz", "checklist", "class", "external", "package"]
OTHER_VERBS = [
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/failed",
]
# Statements span three years; their order of arrival (stored) follows the series.
SPAN_START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def generate(engine: Engine, people: int, statements: int) -> None:
    """A province of ``people`` officials in 100 communes, ``ACTIVITIES`` activities (some in
    two versions) and ``statements`` statements over three years: 45 % crediting verbs,
    every tenth a retake of the one before, 1 % voided, 3 % from untrusted sources, 2 % with
    success false, 2 % on IRIs outside the catalog, 70 % naming the activity version."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    started = time.perf_counter()
    verbs = list(CREDITING_VERBS)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO fields (code, name) SELECT f, initcap(f) FROM unnest(CAST(:fields AS text[])) f"),
            {"fields": FIELDS},
        )
        conn.execute(
            text(
                "INSERT INTO units (id, code, name, kind, parent_id, path, active) VALUES "
                "(1, 'P', 'Tỉnh', 'province', NULL, '/1/', true)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO units (id, code, name, kind, parent_id, path, active) "
                "SELECT g, 'X' || g, 'Xã ' || g, 'commune', 1, '/1/' || g || '/', true FROM generate_series(2, 101) g"
            )
        )
        conn.execute(text("SELECT setval(pg_get_serial_sequence('units', 'id'), 101)"))
        conn.execute(
            text(
                "INSERT INTO positions (code, name, field_code, active) "
                "SELECT 'POS' || g, 'Vị trí ' || g, (CAST(:fields AS text[]))[1 + g % 8], true "
                "FROM generate_series(1, 12) g"
            ),
            {"fields": FIELDS},
        )
        conn.execute(
            text(
                "INSERT INTO people (staff_code, full_name, email, category, unit_id, position_id, is_leader, "
                "start_date, active) "
                "SELECT 'B' || lpad(g::text, 7, '0'), 'Cán bộ ' || g, NULL, "
                "(ARRAY['can_bo','cong_chuc','vien_chuc'])[1 + g % 3], 2 + g % 100, 1 + g % 12, g % 20 = 0, "
                "CASE WHEN g % 17 = 0 THEN date '2026-01-01' + (g % 300) ELSE date '2015-03-01' END, true "
                "FROM generate_series(1, :n) g"
            ),
            {"n": people},
        )
        conn.execute(
            text(
                "INSERT INTO activities (iri, type, title, description, field_code, periods, active, version, module) "
                "SELECT :site || '/activities/' || t || '/a' || g, t, 'Hoạt động ' || g, '', "
                "(CAST(:fields AS text[]))[1 + g % 8], CASE WHEN t = 'quiz' THEN 0 ELSE 1 + g % 8 END, true, "
                "CASE WHEN g % 2 = 0 THEN 2 ELSE 1 END, t "
                "FROM generate_series(1, :n) g, LATERAL (SELECT (CAST(:types AS text[]))[1 + g % 8] AS t) x"
            ),
            {"site": SITE, "fields": FIELDS, "types": TYPES, "n": ACTIVITIES},
        )
        conn.execute(
            text(
                "INSERT INTO activity_versions (activity_id, version, title, field_code, periods) "
                "SELECT a.id, v, a.title, a.field_code, CASE WHEN v = a.version THEN a.periods ELSE "
                "greatest(a.periods - 1, 0) END FROM activities a, generate_series(1, a.version) v"
            )
        )
        # Statements: drop the indexes for the bulk load and build them afterwards.
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'statements' AND indexname NOT LIKE 'pk_%'")
        ).scalars()
        index_names = list(indexes)
        for name in index_names:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text("ALTER TABLE statements DROP CONSTRAINT pk_statements"))
    statement_sql = text(
        """
        INSERT INTO statements (id, statement, actor_key, verb_id, activity_iri, registration, timestamp, stored,
                                voided, authority_key, source, credit_trusted)
        SELECT sid, jsonb_build_object(
                 'id', sid,
                 'actor', jsonb_build_object('objectType', 'Agent', 'name', 'Cán bộ ' || person,
                          'account', jsonb_build_object('name', staff, 'homePage', CAST(:site AS text))),
                 'verb', jsonb_build_object('id', verb, 'display', jsonb_build_object('en-US', verb_name)),
                 'object', jsonb_build_object('id', iri, 'objectType', 'Activity',
                          'definition', jsonb_build_object('name', jsonb_build_object('vi', 'Hoạt động ' || act))),
                 'timestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                 'stored', to_char(st AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                 'authority', jsonb_build_object('objectType', 'Agent', 'name', 'HocVu',
                          'account', jsonb_build_object('name', 'hocvu', 'homePage', CAST(:site AS text))),
                 'version', '1.0.3')
               || CASE WHEN h3 % 100 < 2 THEN '{"result": {"success": false}}'::jsonb
                       ELSE '{"result": {"success": true, "completion": true}}'::jsonb END
               || CASE WHEN h3 % 10 < 7 THEN jsonb_build_object('context', jsonb_build_object('extensions',
                       jsonb_build_object(CAST(:ext AS text), 2 - act % 2))) ELSE '{}'::jsonb END,
               'account:' || CAST(:site AS text) || '|' || staff, verb, iri, NULL, ts, st,
               h3 % 100 = 50, 'account:' || CAST(:site AS text) || '|hocvu',
               CASE WHEN h3 % 100 BETWEEN 60 AND 62 THEN 'lrs:untrusted' ELSE 'hocvu:courses' END,
               NOT (h3 % 100 BETWEEN 60 AND 62)
        FROM (
          SELECT g, md5(g::text)::uuid::text AS sid, person, 'B' || lpad(person::text, 7, '0') AS staff, act,
                 CASE WHEN h2 % 100 < 45 THEN (CAST(:crediting AS text[]))[1 + h2 % 3]
                      ELSE (CAST(:others AS text[]))[1 + h2 % 5] END AS verb,
                 CASE WHEN h2 % 100 < 45 THEN split_part((CAST(:crediting AS text[]))[1 + h2 % 3], '/', 6)
                      ELSE split_part((CAST(:others AS text[]))[1 + h2 % 5], '/', 6) END AS verb_name,
                 CASE WHEN h3 % 100 BETWEEN 70 AND 71 THEN CAST(:site AS text) || '/activities/course/unknown-' || act
                      ELSE (SELECT iri FROM activities WHERE id = act) END AS iri,
                 st, st - make_interval(secs => h3 % 172800) AS ts, h3
          FROM (
            SELECT g, k, 1 + abs(hashint8(k)) % CAST(:people AS bigint) AS person,
                   1 + abs(hashint8(k + 7777777)) % CAST(:activities AS bigint) AS act,
                   abs(hashint8(g + 99999999)) AS h2, abs(hashint8(g + 55555555)) AS h3,
                   CAST(:start AS timestamptz)
                     + make_interval(secs => (g::float8 / CAST(:total AS float8)) * CAST(:span_seconds AS float8)) AS st
            FROM (SELECT g, CASE WHEN g % 10 = 1 THEN g - 1 ELSE g END AS k
                  FROM generate_series(CAST(:low AS bigint), CAST(:high AS bigint)) g) series
          ) base
        ) rows
        """
    )
    batch = 500_000
    with engine.begin() as conn:
        for low in range(1, statements + 1, batch):
            conn.execute(
                statement_sql,
                {
                    "site": SITE,
                    "ext": credits_engine.version_extension(SITE),
                    "crediting": verbs,
                    "others": OTHER_VERBS,
                    "people": people,
                    "activities": ACTIVITIES,
                    "start": SPAN_START,
                    "total": statements,
                    "span_seconds": SPAN_DAYS * 86400,
                    "low": low,
                    "high": min(low + batch - 1, statements),
                },
            )
            print(f"  generated {min(low + batch - 1, statements):,} statements", file=sys.stderr)
        conn.execute(text("ALTER TABLE statements ADD CONSTRAINT pk_statements PRIMARY KEY (id)"))
        for table in Base.metadata.tables["statements"].indexes:
            table.create(conn)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(f"  data ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)


# The floor: the credited set (count, periods) in one hand-written query that writes nothing,
# with the same rules (people by actor key, pinned or named or current version, trusted,
# success not false, periods > 0, first by timestamp, stored, id per person, activity, year).
FLOOR_SQL = text(
    """
    WITH people_keys AS (SELECT id, CAST(:prefix AS text) || staff_code AS actor_key FROM people)
    SELECT count(*), coalesce(sum(periods), 0) FROM (
      SELECT DISTINCT ON (k.id, a.id, extract(year FROM s.timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'))
             COALESCE(vx.periods, vc.periods) AS periods
      FROM statements s
      JOIN people_keys k ON k.actor_key = s.actor_key
      JOIN activities a ON a.iri = s.activity_iri
      LEFT JOIN credits_version_pins pin ON pin.statement_id = s.id AND pin.activity_id = a.id
      LEFT JOIN activity_versions vx ON vx.activity_id = a.id AND vx.version = COALESCE(pin.version,
           CASE WHEN s.statement #>> ARRAY['context','extensions',:ext] ~ '^[0-9]{1,9}$'
                THEN (s.statement #>> ARRAY['context','extensions',:ext])::int END)
      LEFT JOIN activity_versions vc ON vc.activity_id = a.id AND vc.version = a.version
      WHERE s.verb_id = ANY(:verbs) AND NOT s.voided AND s.credit_trusted
        AND COALESCE(s.statement #> '{result,success}', 'true'::jsonb) <> 'false'::jsonb
        AND COALESCE(vx.periods, vc.periods) > 0
      ORDER BY k.id, a.id, extract(year FROM s.timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'),
               s.timestamp, s.stored, s.id COLLATE "C"
    ) credited
    """
)


def measure_rebuild(engine: Engine, label: str, refusal: credits_engine.Refusal | None = None) -> float:
    with make_session_factory(engine)() as session:
        started = time.perf_counter()
        summary = credits_engine.rebuild(session, site_url=SITE, refusal=refusal)
        session.commit()
        seconds = time.perf_counter() - started
    print(
        f"  rebuild ({label}): {seconds:.1f} s — {summary.candidates:,} candidates, {summary.credits:,} credits "
        f"(+{summary.added:,} −{summary.removed:,} ~{summary.changed:,}), {summary.not_counted:,} not counted, "
        f"{summary.refused:,} refused by a module, {summary.pinned:,} versions pinned"
    )
    return seconds


def measure_floor(engine: Engine) -> tuple[float, int, int]:
    prefix = f"account:{SITE}|"
    with engine.connect() as conn:
        conn.execute(text("SET work_mem = '256MB'"))
        conn.execute(text("SET jit = off"))
        started = time.perf_counter()
        count, periods = conn.execute(
            FLOOR_SQL,
            {
                "n": len(prefix),
                "prefix": prefix,
                "verbs": list(CREDITING_VERBS),
                "ext": credits_engine.version_extension(SITE),
            },
        ).one()
        return time.perf_counter() - started, count, periods


def registry_with_modules() -> Registry:
    """The default modules and credits, their tables on the metadata, as the app loads them."""
    for name in MODULES:
        try:
            importlib.import_module(f"modules.{name}.models")
        except ModuleNotFoundError:
            pass
    registry = Registry()
    registry.load(MODULES)
    credits_plugin.bind(registry, site_url=SITE)
    return registry


def measure_incremental(engine: Engine, registry: Registry, people: int, runs: int) -> tuple[list[float], list[float]]:
    """Store ``runs`` completions of random people through a unit of work whose publisher is
    the registry with the credits module; time the store+commit and the crediting apart."""
    authority = hocvu_authority(SITE, "courses")
    store_ms: list[float] = []
    credit_ms: list[float] = []
    factory = make_session_factory(engine)
    import random

    rng = random.Random()
    with factory() as session:
        iris = session.scalars(select(models.Activity.iri).where(models.Activity.periods > 0)).all()
        for n in range(runs):
            staff = f"B{rng.randrange(1, people + 1):07d}"
            iri = rng.choice(iris)
            moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(365 * 86400))
            # Like the generated statements, 70 % name the activity version (HocVu's own
            # services should always do so); the others get a version pin.
            context = {"extensions": {credits_engine.version_extension(SITE): 1}} if rng.random() < 0.7 else None
            statement = build_statement(
                actor=account_agent(SITE, staff),
                verb="completed",
                activity_iri=iri,
                activity_name="Bench",
                timestamp=moment,
                context=context,
            )
            statement["id"] = str(uuid.uuid4())
            started = time.perf_counter()
            store_statement(session, statement, authority)
            uow = UnitOfWork(session, _timed(registry, credit_ms))
            uow.commit()
            store_ms.append((time.perf_counter() - started) * 1000 - (credit_ms[-1] if credit_ms else 0))
            if n == 0:
                store_ms.clear()
                credit_ms.clear()
    return store_ms, credit_ms


def _timed(registry: Registry, samples: list[float]) -> Any:
    def publish(session: Session, event: Any) -> list[Any]:
        started = time.perf_counter()
        recorded = registry.publish(session, event)
        samples.append((time.perf_counter() - started) * 1000)
        return recorded

    return publish


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * fraction) - 1)]


def report_incremental(engine: Engine, registry: Registry, people: int, label: str) -> None:
    store_ms, credit_ms = measure_incremental(engine, registry, people, INCREMENTAL_RUNS)
    print(
        f"  incremental crediting per statement, {label} ({len(credit_ms)} runs): "
        f"p50 {statistics.median(credit_ms):.2f} ms p95 {percentile(credit_ms, 0.95):.2f} ms (target < 5 ms); "
        f"storing the statement and committing it, apart: p50 {statistics.median(store_ms):.2f} ms "
        f"p95 {percentile(store_ms, 0.95):.2f} ms"
    )


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    people, statements = int(PEOPLE * scale), int(STATEMENTS * scale)
    url = os.environ.get("BENCH_DATABASE_URL", LOCAL_PG)
    try:
        from tests.conftest import reset_database

        reset_database(url)
    except Exception as exc:
        print(
            f"\ncredits: PostgreSQL not available ({exc.__class__.__name__}); set BENCH_DATABASE_URL", file=sys.stderr
        )
        return
    engine = make_engine(url)
    registry = registry_with_modules()
    hooks = credits_engine.refusal_from_hook(registry.hook)
    print(
        f"\ncredits on postgresql: {people:,} people, {statements:,} statements (BENCH_SCALE={scale}); "
        f"modules {', '.join(MODULES)}"
    )
    generate(engine, people, statements)
    first = measure_rebuild(engine, "first, empty ledger, no refusal hook")
    again = measure_rebuild(engine, "again, nothing changes, no refusal hook")
    floor, count, periods = measure_floor(engine)
    with engine.connect() as conn:
        ledger_count, ledger_periods = conn.execute(
            select(func.count(), func.coalesce(func.sum(Credit.periods), 0))
        ).one()
    assert (ledger_count, ledger_periods) == (count, periods), "rebuild and the floor query disagree"
    print(f"  floor (one SQL aggregate, no writes): {floor:.1f} s — {count:,} credits, {periods:,} periods")
    print(f"  rebuild / floor: first {first / floor:.1f}x, again {again / floor:.1f}x")
    with_hooks = measure_rebuild(engine, "with the default modules' refusal hooks", refusal=hooks)
    again_hooks = measure_rebuild(engine, "again with the hooks, nothing changes", refusal=hooks)
    print(f"  rebuild with the hooks / floor: {with_hooks / floor:.1f}x, again {again_hooks / floor:.1f}x")
    report_incremental(engine, registry, people, "current schema")
    engine.dispose()


if __name__ == "__main__":
    main()
