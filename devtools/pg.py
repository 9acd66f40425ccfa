"""PostgreSQL helpers shared by the benchmark and seed commands: the vendor check,
autocommit psycopg2 connections and URLs built from this project's credentials, the
per-size benchmark databases, and waiting for a database to go quiet."""

from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection


def require_postgresql(message: str) -> None:
    """Refuse (CommandError with `message`) unless the default database is PostgreSQL."""
    if connection.vendor != "postgresql":
        raise CommandError(message)


def connect(dbname: str):
    """An autocommit psycopg2 connection to `dbname` with this project's credentials."""
    import psycopg2

    params = connection.get_connection_params()
    params["dbname"] = dbname
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def database_url(name: str) -> str:
    """A ``postgres://`` URL for database `name` on this project's server and credentials."""
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres", safe="")
    password = db.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def bench_database(size: int) -> str:
    """The benchmark's database for one data size: ``<your database>_bench_<size>``."""
    return f"{settings.DATABASES['default']['NAME']}_bench_{size}"


def create_database(name: str) -> bool:
    """Create database `name` unless it exists; True when it was created."""
    conn = connect("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def wait_idle(dbname: str, deadline: float) -> None:
    """Wait (until `deadline`, a ``time.monotonic()`` value) for no other query to be
    running on `dbname`."""
    conn = connect(dbname)
    try:
        with conn.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND state = 'active' AND pid <> pg_backend_pid()",
                    [dbname],
                )
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.2)
    finally:
        conn.close()


def database_bytes(name: str) -> int:
    """The size of database `name` on disk (pg_database_size)."""
    conn = connect("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(%s)", [name])
            return int(cursor.fetchone()[0])
    finally:
        conn.close()
