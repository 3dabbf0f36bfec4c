"""Peak memory of training on a large sparse matrix: it is never densified.

A TF-IDF-like CSR matrix of ``rows x columns`` with ``density`` non-zeros (float32,
each row normalised) and 5 classes trains ``FitwellClassifier(hidden_layer_sizes=
(width,))`` for ``epochs`` epochs. tracemalloc (which sees NumPy's and SciPy's
arrays) reports the peak of what ``fit`` allocates beyond the data; the dense
matrix's size is printed beside it.

    python benchmarks/sparse_memory.py [--rows 100000] [--columns 50000]
        [--density 0.001] [--width 100] [--epochs 1]
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # the machine's own kernel
    os.environ.pop(_name, None)

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from fitwell import FitwellClassifier  # noqa: E402

MIB = 2**20


def tfidf_like(rows, columns, density, seed=0):
    """A CSR float32 matrix with ``density`` non-zeros, rows of unit length, and labels."""
    rng = np.random.default_rng(seed)
    X = scipy.sparse.random(rows, columns, density=density, format="csr", dtype=np.float32,
                            random_state=rng)
    norms = np.sqrt(X.multiply(X).sum(axis=1)).A1
    X = scipy.sparse.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ X
    y = (X[:, :5] @ np.arange(1, 6, dtype=np.float32) > 0).astype(int) + rng.integers(0, 4,
                                                                                      rows)
    return X.tocsr(), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=50_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    kernels = [f"{i['internal_api']} {i['version']} ({i['architecture']})"
               for i in threadpool_info() if i.get("user_api") == "blas"]
    print("BLAS:", ", ".join(kernels), "| load average:", os.getloadavg())
    X, y = tfidf_like(args.rows, args.columns, args.density)
    data = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    dense = args.rows * args.columns * 4
    model = FitwellClassifier(hidden_layer_sizes=(args.width,), max_iter=args.epochs,
                              random_state=0)
    weights = (args.columns + 1) * args.width * 4
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    with threadpool_limits(1):
        model.fit(X, y)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"X: {args.rows:,} x {args.columns:,}, {X.nnz:,} non-zeros ({args.density:.2%}); "
          f"CSR data {data / MIB:.1f} MiB, dense float32 would be {dense / MIB:,.0f} MiB")
    print(f"fit ({args.epochs} epoch(s), width {args.width}, adam, batch 200): peak allocated "
          f"during fit {peak / MIB:.1f} MiB (first weight matrix alone: {weights / MIB:.1f} "
          f"MiB); {seconds:.1f} s")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
          f"MiB; training accuracy {model.score(X, y):.3f}")


if __name__ == "__main__":
    main()
