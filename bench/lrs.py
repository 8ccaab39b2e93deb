"""The LRS on PostgreSQL (BENCH_DATABASE_URL or the local server), served like production:
gunicorn with 2 workers.

(a) Ingestion: CLIENTS processes POST batches of 50 valid statements (an account agent,
    a verb with display, an activity with a definition, a context with a registration and
    a parent, a result; a quarter of them completed or passed) over HTTP with keep-alive,
    from a client that does not award credit; statements/s stored. The actors are not in
    the people table, so crediting costs its one lookup per batch and no recomputation.
    Baseline in the same run: the same rows (statement JSON and the indexed columns,
    with the related agents and activities) written by a raw multi-row INSERT per batch
    of 50, one commit each, by as many connections: the database's own cost.
(b) Query: a store of 1,000,000 statements (STORE; 10,000 officials, 8 verbs, a year of
    stored times), then GET /xapi/statements?agent=…&verb=…&since=… for random officials
    over HTTP, QUERIES times; p50 and p95 in ms. Reference: the same query's SQL alone.

Targets: at least 3,000 statements/s; p95 under 50 ms. BENCH_SCALE scales the numbers
(e.g. 0.05 for a quick run); BENCH_REUSE=1 keeps the 1,000,000-statement store of a
previous run instead of generating it again.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

from lms_core.db import Base, make_engine, make_session_factory
from lms_core.statements import account_agent, activities_named, agent_key, agents_named
from tests.modules.lrs.conftest import gunicorn

ROOT = Path(__file__).resolve().parent.parent
LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hocvu_bench_lrs"
SITE = "https://hocvu.bench"
SECRET = "bench-secret"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
BATCH = 50
CLIENTS = 4
INGEST = int(40_000 * SCALE)
STORE = int(1_000_000 * SCALE)
PEOPLE = max(100, int(10_000 * SCALE))
QUERIES = 300
VERBS = ["experienced", "attempted", "answered", "passed", "failed", "completed", "launched", "progressed"]
ACTIVITIES = [f"https://content.gialai.gov.vn/xapi/khoa-hoc/{n}" for n in range(200)]


def statement(n: int, rng: random.Random) -> dict[str, Any]:
    verb = VERBS[n % len(VERBS)]
    return {
        "id": str(uuid.uuid4()),
        "actor": account_agent(SITE, f"GL-{rng.randrange(PEOPLE):05d}", "Nguyễn Thị Mai"),
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"{ACTIVITIES[n % len(ACTIVITIES)]}/bai-{n % 7}",
            "definition": {
                "name": {"vi": f"Bài {n % 7} — Kỹ năng chuyển đổi số"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
        "result": {"score": {"scaled": (n % 100) / 100}, "completion": True, "duration": "PT12M30S"},
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {"parent": [{"id": ACTIVITIES[n % len(ACTIVITIES)]}]},
            "platform": "HocVu",
            "language": "vi-VN",
        },
        "timestamp": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
    }


def prepare(url: str, reuse: bool) -> tuple[str, str]:
    """Tables, an LRS client, and (unless reused) an empty store. Returns key and secret."""
    from modules.lrs import clients
    from tests.conftest import _import_module_models, reset_database

    if not reuse:
        reset_database(url)
    _import_module_models()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        issued = clients.create_client(session, server_key=SECRET, name="bench")
        session.commit()
    engine.dispose()
    return issued.key, issued.secret


def post_batches(port: int, auth: str, bodies: list[bytes]) -> int:
    """One client process: POST each body on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    for body in bodies:
        connection.request("POST", "/xapi/statements", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST answered {response.status}")
    connection.close()
    return len(bodies)


def rows_of(batch: list[dict[str, Any]], now: datetime) -> tuple[list[dict[str, Any]], list[dict], list[dict]]:
    """What the store writes for a batch: the rows and the related agents and activities."""
    authority = account_agent(f"{SITE}/xapi/clients", "raw", "raw")
    rows, agents, activities = [], [], []
    for s in batch:
        stored = {**s, "stored": now.isoformat(), "authority": authority, "version": "1.0.0"}
        rows.append(
            {
                "id": s["id"],
                "statement": json.dumps(stored),
                "actor_key": agent_key(s["actor"]),
                "verb_id": s["verb"]["id"],
                "activity_iri": s["object"]["id"],
                "registration": s["context"]["registration"],
                "timestamp": s["timestamp"],
                "stored": now,
                "authority_key": agent_key(authority),
                "source": "bench",
                "voided": False,
                "credit_trusted": False,
            }
        )
        agents += [{"statement_id": s["id"], "agent_key": k} for k in agents_named(stored)]
        activities += [{"statement_id": s["id"], "activity_iri": i} for i in activities_named(stored)]
    return rows, agents, activities


STATEMENT_COLUMNS = (
    "id",
    "statement",
    "actor_key",
    "verb_id",
    "activity_iri",
    "registration",
    "timestamp",
    "stored",
    "voided",
    "authority_key",
    "source",
    "credit_trusted",
)


def multi_row(table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """One ``INSERT … VALUES (…), (…), …`` for every row, and its flat parameters."""
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", [r[c] for r in rows for c in columns]


def raw_insert(url: str, batches: list[list[dict[str, Any]]]) -> int:
    """One baseline connection: each batch as one multi-row INSERT per table and a commit."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        for batch in batches:
            rows, agents, activities = rows_of(batch, datetime.now(UTC))
            with connection.cursor() as cursor:
                cursor.execute(*multi_row("statements", STATEMENT_COLUMNS, rows))
                cursor.execute(*multi_row("statement_agents", ("statement_id", "agent_key"), agents))
                cursor.execute(*multi_row("statement_activities", ("statement_id", "activity_iri"), activities))
            connection.commit()
    return len(batches)


def ingest(url: str, base: str, key: str, secret: str) -> tuple[float, float]:
    rng = random.Random(7)
    batches = [[statement(b * BATCH + i, rng) for i in range(BATCH)] for b in range(INGEST // BATCH)]
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    port = int(base.rsplit(":", 1)[1])
    shares = [batches[c::CLIENTS] for c in range(CLIENTS)]
    bodies = [[json.dumps(b).encode() for b in share] for share in shares]
    warm_up = [[json.dumps([statement(-1 - c, rng) for _ in range(BATCH)]).encode()] for c in range(CLIENTS)]
    with ProcessPoolExecutor(CLIENTS) as pool:
        list(pool.map(post_batches, [port] * CLIENTS, [auth] * CLIENTS, warm_up))
        start = time.perf_counter()
        list(pool.map(post_batches, [port] * CLIENTS, [auth] * CLIENTS, bodies))
        http_rate = len(batches) * BATCH / (time.perf_counter() - start)

    fresh = [[{**s, "id": str(uuid.uuid4())} for s in b] for b in batches]
    shares = [fresh[c::CLIENTS] for c in range(CLIENTS)]
    with ProcessPoolExecutor(CLIENTS) as pool:
        start = time.perf_counter()
        list(pool.map(raw_insert, [url] * CLIENTS, shares))
        raw_rate = len(fresh) * BATCH / (time.perf_counter() - start)
    return http_rate, raw_rate


def fill_store(url: str) -> None:
    """STORE statements through COPY (the generation, not what is measured)."""
    engine = make_engine(url)
    rng = random.Random(11)
    start = datetime.now(UTC) - timedelta(days=365)
    with engine.connect() as connection:
        existing = connection.scalar(text("SELECT count(*) FROM statements"))
        cursor = connection.connection.cursor()
        chunk = 50_000
        for first in range(existing, STORE, chunk):
            statements, agents, activities = io.StringIO(), io.StringIO(), io.StringIO()
            for n in range(first, min(first + chunk, STORE)):
                s = statement(n, rng)
                stored_at = start + timedelta(seconds=n * 365 * 86400 // STORE)
                rows, named_agents, named_activities = rows_of([s], stored_at)
                row = rows[0]
                statements.write(
                    "\t".join(
                        [
                            row["id"],
                            row["statement"].replace("\\", "\\\\"),
                            row["actor_key"],
                            row["verb_id"],
                            row["activity_iri"],
                            row["registration"],
                            row["timestamp"],
                            stored_at.isoformat(),
                            "f",
                            row["authority_key"],
                            "bench",
                            "f",
                        ]
                    )
                    + "\n"
                )
                agents.writelines(f"{a['statement_id']}\t{a['agent_key']}\n" for a in named_agents)
                activities.writelines(f"{a['statement_id']}\t{a['activity_iri']}\n" for a in named_activities)
            for table, columns, data in (
                (
                    "statements",
                    "id, statement, actor_key, verb_id, activity_iri, registration, timestamp, stored,"
                    " voided, authority_key, source, credit_trusted",
                    statements,
                ),
                ("statement_agents", "statement_id, agent_key", agents),
                ("statement_activities", "statement_id, activity_iri", activities),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data.getvalue())
            connection.commit()
            print(f"    generated {min(first + chunk, STORE):,} / {STORE:,}", flush=True)
        connection.execute(text("ANALYZE statements"))
        connection.commit()
    engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def query(url: str, base: str, key: str, secret: str) -> None:
    rng = random.Random(3)
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=60)
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
    since = (datetime.now(UTC) - timedelta(days=180)).isoformat()
    timings, sql_timings, found = [], [], 0
    engine = make_engine(url)
    sql = text(
        "SELECT id, statement FROM statements WHERE (actor_key = :a OR object_agent_key = :a) AND verb_id = :v"
        " AND stored > :s AND NOT voided ORDER BY stored DESC, id DESC LIMIT 501"
    )
    with engine.connect() as db:
        for n in range(QUERIES):
            person = account_agent(SITE, f"GL-{rng.randrange(PEOPLE):05d}")
            verb = f"http://adlnet.gov/expapi/verbs/{VERBS[n % 3]}"
            params = {"agent": json.dumps(person), "verb": verb, "since": since}
            start = time.perf_counter()
            connection.request("GET", "/xapi/statements?" + urlencode(params), headers=headers)
            response = connection.getresponse()
            body = json.loads(response.read())
            timings.append((time.perf_counter() - start) * 1000)
            found += len(body["statements"])
            start = time.perf_counter()
            db.execute(sql, {"a": agent_key(person), "v": verb, "s": since}).all()
            sql_timings.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    connection.close()
    print(
        f"  (b) agent+verb+since over HTTP on {STORE:,} statements, {QUERIES} queries "
        f"({found / QUERIES:.1f} statements each): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms (target < 50 ms); the SQL alone p50 "
        f"{statistics.median(sql_timings):.1f} ms, p95 {percentile(sql_timings, 0.95):.1f} ms"
    )


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", LOCAL_PG)
    reuse = os.environ.get("BENCH_REUSE") == "1"
    print(f"LRS: gunicorn 2 workers on PostgreSQL, {CLIENTS} client processes, batches of {BATCH}")
    try:
        key, secret = prepare(url, reuse)
    except Exception as exc:  # no server: say so
        print(f"  skipped: PostgreSQL does not answer ({exc.__class__.__name__})")
        return
    with gunicorn(url, secret_key=SECRET, site_url=SITE, environment="production") as base:
        if not reuse:
            http_rate, raw_rate = ingest(url, base, key, secret)
            print(
                f"  (a) ingestion of {INGEST:,} statements: {http_rate:,.0f} statements/s over HTTP "
                f"(target 3,000); raw multi-row INSERT {raw_rate:,.0f}/s; ratio {http_rate / raw_rate:.2f}"
            )
            fill_store(url)
        query(url, base, key, secret)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
