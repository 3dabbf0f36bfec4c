"""The claim protocol: a unit is claimed once; a dead or silent owner's unit is taken over
by exactly one worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from fitwell.experiments.claims import ClaimTable, worker_identity
from fitwell.experiments.optuna_study import open_storage
from fitwell.experiments.storage import sqlite_url


def test_a_unit_is_claimed_once_and_a_dead_owner_is_taken_over(tmp_path):
    url = sqlite_url(tmp_path / "claims.db")
    open_storage(url)
    table = ClaimTable(url, study_id=1)
    alive, other = worker_identity(), worker_identity()
    host, boot, _, _ = alive.split("|")
    parent = f"{host}|{boot}|{os.getppid()}|0123abcd"  # a live process of this machine
    assert table.insert("c0/seed=0", parent)
    assert not table.insert("c0/seed=0", other)
    claim = table.snapshot()["c0/seed=0"]
    assert not table.is_stale(claim, grace_period=60)
    # a worker of this machine whose process is gone: stale at once
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ghost = f"{host}|{boot}|{dead}|feedbeef"
    assert table.insert("c1/seed=0", ghost)
    ghost_claim = table.snapshot()["c1/seed=0"]
    assert table.is_stale(ghost_claim, grace_period=3600)
    # another machine: stale only after the grace period without a heartbeat
    remote = "elsewhere|boot|123|cafe"
    assert table.insert("c2/seed=0", remote)
    remote_claim = table.snapshot()["c2/seed=0"]
    assert not table.is_stale(remote_claim, grace_period=60)
    assert table.is_stale(remote_claim, grace_period=60, now=time.time() + 61)
    # taking over is a compare-and-swap: only the first of two takers wins
    assert table.take_over(ghost_claim, alive)
    assert not table.take_over(ghost_claim, other)
    assert table.finish("c1/seed=0", alive, trial_number=3)
    assert not table.finish("c1/seed=0", other)
    assert table.snapshot()["c1/seed=0"].state == "done"
    table.close()
