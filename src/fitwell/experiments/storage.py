"""Where experiments live: the database URL of a study and how to connect to it.

A study is an Optuna RDB storage (:mod:`fitwell.experiments.optuna_study`) with the
claims table of :mod:`fitwell.experiments.claims` beside it, in one SQLite file or one
PostgreSQL database shared by every worker and machine. This module knows URLs and
SQLAlchemy engines, nothing of Optuna.
"""

from __future__ import annotations

import os
import random
import time

__all__ = ["sqlite_url", "safe_url", "driver_url", "engine_options", "describe_error",
           "is_creation_race", "retry_when_locked"]

_SQLITE_TIMEOUT_S = 60
_CONNECT_TIMEOUT_S = 10


def sqlite_url(path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return "sqlite:///" + os.path.abspath(os.fspath(path))


def safe_url(url) -> str:
    """``url`` with any password masked, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<storage URL>"


def driver_url(url) -> str:
    """``postgresql://…`` → ``postgresql+psycopg://…``: name the driver fitwell installs
    (psycopg 3), whatever SQLAlchemy's default for the bare scheme is."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def engine_options(url) -> dict:
    """Keyword arguments of ``sqlalchemy.create_engine`` for ``url``: a lock timeout for
    SQLite, a connect timeout and liveness check for servers."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": _SQLITE_TIMEOUT_S}}
    if url.startswith(("postgresql", "postgres")):
        return {"connect_args": {"connect_timeout": _CONNECT_TIMEOUT_S}, "pool_pre_ping": True}
    return {"pool_pre_ping": True}


def describe_error(exc) -> str:
    """The first line of a database error (the driver's message, not SQLAlchemy's)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def is_creation_race(exc) -> bool:
    """Whether ``exc`` is another process creating the same tables at the same moment."""
    from sqlalchemy.exc import IntegrityError

    text = str(exc)
    return isinstance(exc, IntegrityError) or any(
        marker in text for marker in ("already exists", "UNIQUE constraint", "UniqueViolation",
                                      "duplicate key", "database is locked"))


def retry_when_locked(fn, attempts=8):
    """Run ``fn`` again when SQLite reports a lock that its timeout did not absorb."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1) + random.random() * 0.1)
