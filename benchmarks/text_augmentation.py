"""What text augmentation buys a TF-IDF + FitwellClassifier on Pang & Lee's review snippets.

For each seed, the 12,808 Rotten Tomatoes sentences are shuffled; 2,000 are the test set
and the first N of the rest the training set (N = 500, 2,000 and all 10,808). The same
pipeline — raw texts → augmentation (fit only) → TfidfVectorizer (sparse, sublinear tf,
unigrams and bigrams) → FitwellClassifier (one hidden layer, Adam, early stopping on a
validation split made before augmenting) — is fitted without augmentation and with each
method, with the same seed, so each seed gives a paired difference of test accuracy. The
table shows the mean difference in points and its 95 % t interval over the seeds.

    python benchmarks/text_augmentation.py [--sizes 500 2000 all] [--seeds 5]
        [--methods eda backtranslation] [--n-aug N ...] [--max-iter 40] [--patience 4]
        [--out results/text_augmentation.json]

``--n-aug`` gives the EDA copies per sentence for each size, in the order of ``--sizes``
(default, keyed by size: Wei & Zou's recommendation of 16 up to 500, 8 up to 2,000,
4 beyond); ``--max-iter`` and ``--patience`` bound the epochs of every fit (a patient
baseline checks that augmentation is not just more gradient steps).
Rows are written as they finish (``*.partial.json``).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # before NumPy loads OpenBLAS
    os.environ.pop(_name, None)

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from fitwell import FitwellClassifier  # noqa: E402
from fitwell.data.rotten_tomatoes import load_rotten_tomatoes  # noqa: E402
from fitwell.experiments.stats import summarize  # noqa: E402
from fitwell.text import AugmentTexts, text_pipeline  # noqa: E402

TEST_SIZE = 2000
TFIDF = {"sublinear_tf": True, "ngram_range": (1, 2), "min_df": 1}


def classifier(seed, max_iter=40, patience=4):
    return FitwellClassifier(hidden_layer_sizes=(64,), solver="adam", alpha=1e-4,
                             max_iter=max_iter, early_stopping=True, validation_fraction=0.15,
                             n_iter_no_change=patience, batch_size=64, random_state=seed)


def split(texts, labels, seed, size):
    order = np.random.default_rng(seed).permutation(len(texts))
    test, pool = order[:TEST_SIZE], order[TEST_SIZE:]
    train = pool if size == "all" else pool[:int(size)]
    return ([texts[i] for i in train], labels[train], [texts[i] for i in test], labels[test])


def run(texts, labels, seed, size, method, n_aug, max_iter=40, patience=4):
    X_train, y_train, X_test, y_test = split(texts, labels, seed, size)
    augment = None if method == "none" else AugmentTexts(method, n_aug=n_aug, alpha=0.1,
                                                        random_state=seed)
    model = text_pipeline(classifier(seed, max_iter, patience), augment, **TFIDF)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return {"seed": seed, "size": size, "n_train": len(X_train), "method": method,
            "n_aug": n_aug if method != "none" else 0,
            "test": 100.0 * model.score(X_test, y_test),
            "epochs": int(model[-1].n_iter_), "fit_s": time.perf_counter() - started}


def table(rows, methods, sizes):
    lines = [f"{'N':>6} {'method':<20} {'no aug':>8} {'with':>8} {'Δ test (95 % CI)':>24}"]
    for size in sizes:
        base = {r["seed"]: r["test"] for r in rows if r["size"] == size
                and r["method"] == "none"}
        for method in methods:
            with_ = {r["seed"]: r["test"] for r in rows if r["size"] == size
                     and r["method"] == method}
            seeds = sorted(set(base) & set(with_))
            if not seeds:
                continue
            diff = summarize([with_[s] - base[s] for s in seeds])
            lines.append(f"{size:>6} {method:<20} {np.mean([base[s] for s in seeds]):8.1f} "
                         f"{np.mean([with_[s] for s in seeds]):8.1f} "
                         f"{diff.mean:+7.2f} [{diff.ci_low:+.2f}, {diff.ci_high:+.2f}] "
                         f"(n={diff.n})")
    return "\n".join(lines)


def paper_copies(size):
    """Wei & Zou's copies per sentence for a training set of ``size`` ("all" is large)."""
    if size != "all" and int(size) <= 500:
        return 16
    if size != "all" and int(size) <= 2000:
        return 8
    return 4


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["500", "2000", "all"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--methods", nargs="+", default=["eda", "backtranslation"])
    parser.add_argument("--n-aug", nargs="+", type=int, default=None,
                        help="copies per size, in the order of --sizes (default: the paper's "
                             "16 up to 500 sentences, 8 up to 2,000, 4 beyond)")
    parser.add_argument("--max-iter", type=int, default=40, help="epochs at most")
    parser.add_argument("--patience", type=int, default=4,
                        help="n_iter_no_change of early stopping")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" /
                                              "text_augmentation.json"))
    args = parser.parse_args(argv)
    if args.n_aug is None:
        n_aug = {size: paper_copies(size) for size in args.sizes}
    else:
        n_aug = dict(zip(args.sizes, args.n_aug + [args.n_aug[-1]] * len(args.sizes),
                         strict=False))
    table_, labels = load_rotten_tomatoes()
    texts = table_["text"].tolist()
    environment = {"load_average_start": os.getloadavg(), "logical_cpus": os.cpu_count(),
                   "blas": [{k: i.get(k) for k in ("internal_api", "version", "num_threads")}
                            for i in threadpool_info() if i.get("user_api") == "blas"]}
    print(f"kernel: {environment['blas']}; load average {environment['load_average_start']}",
          flush=True)
    rows, partial = [], Path(args.out).with_suffix(".partial.json")
    partial.parent.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        for seed in range(args.seeds):
            for method in ["none", *args.methods]:
                row = run(texts, labels, seed, size, method, n_aug[size], args.max_iter,
                          args.patience)
                rows.append(row)
                print(json.dumps(row), flush=True)
                partial.write_text(json.dumps({"environment": environment, "rows": rows}))
    environment["load_average_end"] = os.getloadavg()
    print(table(rows, args.methods, args.sizes))
    Path(args.out).write_text(json.dumps({"environment": environment, "args": vars(args),
                                          "rows": rows}, indent=1))
    partial.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
