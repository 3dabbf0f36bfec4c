"""The claim protocol: each unit (configuration × seed) is run by exactly one worker.

A worker may only run a unit after inserting its row into the claims table, which
lives in the study's database beside Optuna's tables (``INSERT`` against a primary key
is atomic in SQLite and PostgreSQL alike); a row left behind by a dead worker is taken
over with a compare-and-swap ``UPDATE`` on the owner and heartbeat it was seen with.

A unit's row goes ``running`` → ``done``. A worker beats its heartbeat while it runs;
a row is stale when its owner is a process on this machine that no longer exists (or a
worker of this process that has stopped), or when its heartbeat is older than the
grace period (other machines).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from dataclasses import dataclass

from .storage import driver_url, engine_options, retry_when_locked

__all__ = ["Claim", "ClaimTable", "worker_identity", "live_owner"]

_MACHINE = None


def _machine():
    """``hostname|boot id``: processes with the same value share a process table."""
    global _MACHINE
    if _MACHINE is None:
        boot = ""
        with contextlib.suppress(OSError):
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
                boot = handle.read().strip()
        _MACHINE = f"{socket.gethostname()}|{boot}"
    return _MACHINE


def worker_identity() -> str:
    """A unique owner name: ``host|boot|pid|token``."""
    return f"{_machine()}|{os.getpid()}|{uuid.uuid4().hex[:12]}"


#: owners working in this process now (a worker run from a notebook cell and
#: interrupted leaves rows with this pid that no one is working on)
_live_owners: set[str] = set()


@contextlib.contextmanager
def live_owner(owner):
    """Declare ``owner`` (a :func:`worker_identity` of this process) alive while the
    ``with`` block runs; afterwards its leftover rows are stale at once."""
    _live_owners.add(owner)
    try:
        yield owner
    finally:
        _live_owners.discard(owner)


def _owner_is_dead_here(owner) -> bool:
    """True when ``owner`` ran on this machine and its process (or worker) is gone."""
    if not owner:
        return True
    parts = owner.split("|")
    if len(parts) != 4 or f"{parts[0]}|{parts[1]}" != _machine():
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        return owner not in _live_owners
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@dataclass(frozen=True)
class Claim:
    """One row of the claims table, as read."""

    unit: str
    state: str
    owner: str | None
    heartbeat: float | None
    trial_number: int | None
    attempts: int
    params: str | None


class ClaimTable:
    """The claims of one study: who runs which unit, and what is done.

    Parameters
    ----------
    url : str
        The same database URL as the Optuna storage.
    study_id : int
        Optuna's id of the study (unique even if a study of the same name is
        deleted and created again).
    """

    _tables = None

    def __init__(self, url, study_id):
        from sqlalchemy import create_engine

        url = driver_url(url)
        self.url, self.study_id = url, int(study_id)
        self.engine = create_engine(url, **engine_options(url))
        self.table = self._schema()

    @classmethod
    def _schema(cls):
        if cls._tables is None:
            from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

            metadata = MetaData()
            table = Table(
                "fitwell_claims", metadata,
                Column("study_id", Integer, primary_key=True, autoincrement=False),
                Column("unit", String(200), primary_key=True),
                Column("state", String(16), nullable=False),
                Column("owner", String(300)),
                Column("heartbeat", Float),
                Column("trial_number", Integer),
                Column("attempts", Integer, nullable=False),
                Column("params", Text),
            )
            cls._tables = (metadata, table)
        return cls._tables[1]

    @classmethod
    def create_schema(cls, url):
        """Create the claims table if it is missing (and use WAL for SQLite files)."""
        from sqlalchemy import create_engine, text

        cls._schema()
        url = driver_url(url)
        engine = create_engine(url, **engine_options(url))
        try:
            if url.startswith("sqlite"):
                with engine.connect() as connection:
                    connection.execute(text("PRAGMA journal_mode=WAL"))
            retry_when_locked(lambda: cls._tables[0].create_all(engine, checkfirst=True))
        finally:
            engine.dispose()

    def close(self):
        self.engine.dispose()

    # -- reading ------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Claim]:
        """Every row of this study, by unit."""
        from sqlalchemy import select

        t = self.table

        def read():
            with self.engine.connect() as connection:
                rows = connection.execute(select(t).where(t.c.study_id == self.study_id)).all()
            return {r.unit: Claim(r.unit, r.state, r.owner, r.heartbeat, r.trial_number,
                                  r.attempts, r.params) for r in rows}

        return retry_when_locked(read)

    # -- claiming -----------------------------------------------------------------------------
    def insert(self, unit, owner) -> bool:
        """Claim a unit nobody has touched; False when another worker has its row."""
        from sqlalchemy.exc import IntegrityError

        def write():
            try:
                with self.engine.begin() as connection:
                    connection.execute(self.table.insert().values(
                        study_id=self.study_id, unit=unit, state="running", owner=owner,
                        heartbeat=time.time(), attempts=1))
            except IntegrityError:
                return False
            return True

        return retry_when_locked(write)

    def take_over(self, claim: Claim, owner) -> bool:
        """Take a stale unit from its previous owner, unless someone was quicker."""
        t = self.table
        condition = (t.c.study_id == self.study_id) & (t.c.unit == claim.unit) & \
            (t.c.state == "running")
        condition &= (t.c.owner == claim.owner) if claim.owner is not None else t.c.owner.is_(None)
        condition &= (t.c.heartbeat == claim.heartbeat) if claim.heartbeat is not None \
            else t.c.heartbeat.is_(None)
        condition &= t.c.attempts == claim.attempts
        return self._update(condition, owner=owner, heartbeat=time.time(),
                            attempts=claim.attempts + 1) == 1

    def is_stale(self, claim: Claim, grace_period, now=None) -> bool:
        """Whether a running unit's worker is gone (or silent for ``grace_period`` s)."""
        if claim.state != "running":
            return False
        if _owner_is_dead_here(claim.owner):
            return True
        now = time.time() if now is None else now
        return claim.heartbeat is None or now - claim.heartbeat > grace_period

    # -- while running ------------------------------------------------------------------------
    def _mine(self, unit, owner):
        t = self.table
        return (t.c.study_id == self.study_id) & (t.c.unit == unit) & (t.c.owner == owner) & \
            (t.c.state == "running")

    def _update(self, condition, **values) -> int:
        def write():
            with self.engine.begin() as connection:
                return connection.execute(self.table.update().where(condition)
                                          .values(**values)).rowcount

        return retry_when_locked(write)

    def beat(self, unit, owner) -> bool:
        """Refresh the heartbeat; False when the unit is no longer ours."""
        return self._update(self._mine(unit, owner), heartbeat=time.time()) == 1

    def set_trial(self, unit, owner, trial_number, params=None) -> bool:
        values = {"trial_number": int(trial_number), "heartbeat": time.time()}
        if params is not None:
            values["params"] = params
        return self._update(self._mine(unit, owner), **values) == 1

    def set_params(self, unit, owner, params) -> bool:
        return self._update(self._mine(unit, owner), params=params) == 1

    def finish(self, unit, owner, trial_number=None) -> bool:
        """Mark our unit done; False when it had been taken from us."""
        values = {"state": "done", "heartbeat": time.time()}
        if trial_number is not None:
            values["trial_number"] = int(trial_number)
        return self._update(self._mine(unit, owner), **values) == 1

    def release(self, unit, owner) -> bool:
        """Give an interrupted unit back at once: the row stays (with any proposed
        parameters) but has no owner, so the next worker takes it over."""
        return self._update(self._mine(unit, owner), owner=None, heartbeat=None) == 1
