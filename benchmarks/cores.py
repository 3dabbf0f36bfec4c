"""The benchmarks' processes: a clean BLAS environment and the cores each one may use.

Some machines set ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``) to work around
old OpenBLAS builds; with them, NumPy's OpenBLAS may run an older kernel (AVX2
instead of AVX-512) at about half the speed a user gets. :func:`clean_environment`
re-executes the benchmark without them, so every process it starts is clean too
(tests and CI never change them). :func:`kernel_report` says which kernel the BLAS
runs, as ``threadpoolctl`` reports it.

:func:`limit_process` limits one process, for every library in it, to one core or
lets it use all of them:

- NumPy's BLAS (fitwell, scikit-learn, the matrix-product bound): ``threadpoolctl``;
- PyTorch: ``torch.set_num_threads``;
- JAX (XLA): ``XLA_FLAGS`` (no multi-threaded Eigen, one intra-op thread), set before
  JAX starts, plus the process's CPU affinity (``os.sched_setaffinity``), since XLA
  does not honour its flags everywhere.
"""

from __future__ import annotations

import os
import sys

TRAPS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ONE_CORE_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def clean_environment():
    """Re-execute this script without :data:`TRAPS` in its environment, if any is set."""
    if any(name in os.environ for name in TRAPS):
        env = {k: v for k, v in os.environ.items() if k not in TRAPS}
        env["FITWELL_BENCH_UNSET"] = ",".join(name for name in TRAPS if name in os.environ)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def unset_note():
    """What :func:`clean_environment` removed, for the printed header."""
    removed = os.environ.get("FITWELL_BENCH_UNSET")
    return f"unset for this run: {removed}" if removed else "none of " + ", ".join(TRAPS) + " set"


def available_cores():
    return sorted(os.sched_getaffinity(0))


def limit_process(cores):
    """Limit this process to one core (``cores == 1``) or leave it every core it has.

    Call before JAX is imported. Returns a description of the limits.
    """
    import torch
    from threadpoolctl import threadpool_limits

    if cores == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " "
                                   + ONE_CORE_XLA_FLAGS).strip()
        os.sched_setaffinity(0, {available_cores()[-1]})
        threadpool_limits(1)
        torch.set_num_threads(1)
        return (f"one core (CPU {available_cores()[0]}): threadpoolctl 1 thread, "
                f"torch.set_num_threads(1), XLA_FLAGS={ONE_CORE_XLA_FLAGS!r}, "
                "os.sched_setaffinity")
    count = len(available_cores())
    torch.set_num_threads(count)
    return (f"all {count} cores: BLAS at its own thread count (fitwell chooses per problem), "
            f"torch.set_num_threads({count}), XLA's defaults")


def kernel_report():
    """``[{"internal_api", "version", "architecture", "num_threads", "filepath"}]`` of the
    BLAS libraries loaded in this process."""
    from threadpoolctl import threadpool_info

    return [{k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                      "filepath")}
            for info in threadpool_info() if info.get("user_api") == "blas"]
