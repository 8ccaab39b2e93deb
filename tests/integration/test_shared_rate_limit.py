"""With REDIS_URL set, sign-in limits are shared by every app process."""

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"

# One app process: three failed sign-ins from the same address; prints the statuses.
PROCESS = """
import sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "TESTING": True,
                  "REDIS_URL": sys.argv[2], "RATELIMIT_STORAGE_URI": sys.argv[2],
                  "LOGIN_RATE_LIMIT": sys.argv[3], "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
client = app.test_client()
print(" ".join(str(client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code)
               for _ in range(3)))
"""


def test_two_processes_share_one_login_limit(database_url: str, engine) -> None:  # type: ignore[no-untyped-def]
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    # A limit string unique to this run, so earlier runs' counters do not interfere.
    limit = f"5 per {60 + uuid.uuid4().int % 1000} seconds"

    def run() -> list[int]:
        result = subprocess.run(
            [sys.executable, "-c", PROCESS, database_url, REDIS_URL, limit],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return [int(code) for code in result.stdout.split()]

    assert run() + run() == [401, 401, 401, 401, 401, 429]
