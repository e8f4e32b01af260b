"""A throwaway PostgreSQL schema for a benchmark: migrated, used, dropped (unless kept)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

from models.db import make_engine


def schema_url(url: str, schema: str) -> str:
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def throwaway_schema(url: str, prefix: str, keep: bool = False) -> Iterator[Engine]:
    """An engine whose connections live in a fresh schema `<prefix>_<random>`."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(schema_url(url, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        if keep:
            print(f"kept schema {schema}")
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def kept_schema(url: str, schema: str) -> Iterator[Engine]:
    """An engine on a schema an earlier run kept (`keep=True`); it is left as it is."""
    engine = make_engine(schema_url(url, schema))
    try:
        yield engine
    finally:
        engine.dispose()


def schema_of(engine: Engine) -> str:
    """The schema a `throwaway_schema` engine works in (for the printed report)."""
    options = engine.url.query.get("options", "")
    return str(options).rpartition("=")[2]
