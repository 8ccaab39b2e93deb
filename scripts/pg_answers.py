"""Exit 0 when the PostgreSQL server of the URL given answers (used by `make test`)."""

import sys

import psycopg
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1])
try:
    psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except psycopg.OperationalError:
    sys.exit(1)
