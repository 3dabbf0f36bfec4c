"""``python -m fitwell.experiments.worker_process``: one worker process of a sweep or an
ablation.

Started by :func:`fitwell.experiments.workers.run_experiment` with ``jobs > 1``; the job
(experiment, storage URL, study name, options) arrives pickled on standard input.
"""

from __future__ import annotations

import sys

from .workers import worker_process_main

if __name__ == "__main__":
    sys.exit(worker_process_main(sys.stdin.buffer))
