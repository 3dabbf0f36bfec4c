"""A fitted ``TfidfVectorizer`` as plain arrays plus JSON, and back.

What is stored: the vectorizer's parameters that shape ``transform`` (plain values only:
a callable tokenizer, preprocessor or analyzer is refused), its vocabulary as a text
array in column order and its ``idf_`` weights. No pickle: the vectorizer is rebuilt from
its parameters, fitted on its own terms with that vocabulary fixed, and given the weights
through scikit-learn's public fitted attributes, so ``transform`` gives the same matrix as
before saving.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..errors import ModelFileError

__all__ = ["to_plain", "from_plain", "SPEC_VERSION"]

SPEC_VERSION = 1
#: the parameters that are stored (the others must keep their defaults)
_PLAIN = ("input", "encoding", "decode_error", "strip_accents", "lowercase", "token_pattern",
          "stop_words", "ngram_range", "analyzer", "max_df", "min_df", "max_features",
          "binary", "norm", "use_idf", "smooth_idf", "sublinear_tf")
_DEFAULT_ONLY = ("preprocessor", "tokenizer", "vocabulary")


def to_plain(vectorizer: TfidfVectorizer) -> tuple[dict, dict]:
    """``(spec, arrays)`` of a fitted vectorizer: JSON-ready and ``numpy`` arrays."""
    params = vectorizer.get_params(deep=False)
    for key in _DEFAULT_ONLY:
        if params[key] is not None:
            raise ModelFileError(f"cannot save a TfidfVectorizer with {key}={params[key]!r}: "
                                 "only plain parameters are stored; leave it unset")
    if callable(params["analyzer"]):
        raise ModelFileError("cannot save a TfidfVectorizer with a callable analyzer; use "
                             "'word', 'char' or 'char_wb'")
    plain = {key: params[key] for key in _PLAIN}
    plain["ngram_range"] = list(plain["ngram_range"])
    if isinstance(plain["stop_words"], list | tuple | frozenset | set):
        plain["stop_words"] = sorted(plain["stop_words"])
    plain["dtype"] = np.dtype(params["dtype"]).name
    spec = {"version": SPEC_VERSION, "params": plain}
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    arrays = {"vocabulary": np.asarray(terms, dtype=str)}
    if vectorizer.use_idf:
        arrays["idf"] = np.asarray(vectorizer.idf_, dtype=np.float64)
    return spec, arrays


def _check(condition, message):
    if not condition:
        raise ModelFileError(f"the stored text vectorizer is corrupt: {message}")


def from_plain(spec, arrays) -> TfidfVectorizer:
    """The fitted vectorizer :func:`to_plain` described.

    Raises
    ------
    ModelFileError
        When the description is incomplete or inconsistent.
    """
    _check(isinstance(spec, dict) and spec.get("version") == SPEC_VERSION,
           f"unknown version {spec.get('version') if isinstance(spec, dict) else spec!r}")
    params = spec.get("params")
    _check(isinstance(params, dict) and set(params) == {*_PLAIN, "dtype"},
           "the parameters are incomplete")
    vocabulary = arrays.get("vocabulary")
    _check(vocabulary is not None and vocabulary.ndim == 1 and vocabulary.dtype.kind == "U"
           and vocabulary.size >= 1, "the vocabulary must be a list of terms")
    terms = vocabulary.tolist()
    _check(len(set(terms)) == len(terms), "the vocabulary's terms must be distinct")
    expected = {"vocabulary", "idf"} if params["use_idf"] else {"vocabulary"}
    _check(set(arrays) == expected, f"expected the arrays {sorted(expected)}, found "
                                    f"{sorted(arrays)}")
    if params["use_idf"]:
        _check(arrays["idf"].shape == (len(terms),) and arrays["idf"].dtype.kind == "f"
               and np.isfinite(arrays["idf"]).all(), "idf must hold one weight per term")
    params = dict(params, ngram_range=tuple(params["ngram_range"]),
                  dtype=np.dtype(params["dtype"]).type)
    try:  # fitted on its own terms with the vocabulary fixed, then made a plain one again
        vectorizer = TfidfVectorizer(**dict(params, vocabulary=terms)).fit(terms)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"the stored text vectorizer's parameters are invalid ({exc})") \
            from None
    vectorizer.set_params(vocabulary=None)
    vectorizer.fixed_vocabulary_ = False
    if params["use_idf"]:
        vectorizer.idf_ = arrays["idf"].astype(np.float64)
    return vectorizer
