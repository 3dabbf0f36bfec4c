"""Raw texts → augmentation (fit only) → TF-IDF (sparse) → an estimator.

:class:`AugmentingPipeline` is scikit-learn's ``Pipeline`` with one difference, in
``fit``: a step that has ``fit_resample`` (:class:`~.resample.AugmentTexts`) replaces the
training texts *and labels* by the resampled ones. Everywhere else — ``predict``,
``predict_proba``, ``score``, and so every scorer of ``cross_val_score`` and
``GridSearchCV`` — the step's ``transform`` (the identity) is used, so texts that are
scored are never augmented.

When the final estimator holds out a validation set itself (``early_stopping=True``), the
pipeline makes that split *before* augmenting — ``validation_fraction`` of the texts,
stratified, seeded by the estimator's ``random_state`` — and passes the validation texts,
vectorised but never augmented, as ``validation_data``; otherwise copies of one sentence
would sit on both sides of the split and flatter the validation score.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from ..errors import ParameterError
from .resample import AugmentTexts, as_texts

__all__ = ["AugmentingPipeline", "text_pipeline"]


def _skipped(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def _takes_validation(model):
    return "validation_data" in inspect.signature(model.fit).parameters


class AugmentingPipeline(Pipeline):
    """A ``Pipeline`` whose resampling steps act at fit only (see the module's notes)."""

    def _holds_out(self, model):
        params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
        return bool(params.get("early_stopping")) and _takes_validation(model)

    def _fit_steps(self, X, y):
        for _, step in self.steps[:-1]:  # fitted in place, as Pipeline does
            if _skipped(step):
                continue
            if hasattr(step, "fit_resample"):
                X, y = step.fit_resample(X, y)
            else:
                X = step.fit_transform(X, y)
        return X, y

    def _transform_steps(self, X):
        for _, step in self.steps[:-1]:
            if not _skipped(step):
                X = step.transform(X)
        return X

    def fit(self, X, y=None, validation_data=None, **params):
        """Fit every step on ``X`` (texts) and ``y``, resampling at the samplers.

        ``validation_data=(texts, labels)`` are vectorised by the fitted steps (never
        augmented) and handed to the final estimator's ``fit``. Other fit parameters are
        not routed; the validation set, when the estimator stops early and none is
        given, is split off here (see the module's notes).
        """
        if params:
            raise ParameterError(f"AugmentingPipeline.fit takes no fit parameters but "
                                 f"validation_data, got {sorted(params)}; set them on the "
                                 "steps instead")
        self._validate_steps()
        model = self._final_estimator
        texts, y = as_texts(X), np.asarray(y)
        if _skipped(model):
            self._fit_steps(texts, y)
            return self
        if validation_data is None and self._holds_out(model):
            seed = model.random_state if isinstance(model.random_state, numbers.Integral) \
                else None
            texts, val_texts, y, val_y = train_test_split(
                texts, y, test_size=model.validation_fraction, stratify=y, random_state=seed)
            validation_data = (val_texts, val_y)
        Xt, yt = self._fit_steps(texts, y)
        if validation_data is None:
            model.fit(Xt, yt)
        else:
            val_texts, val_y = validation_data
            model.fit(Xt, yt, validation_data=(
                self._transform_steps(as_texts(val_texts, "validation X")), np.asarray(val_y)))
        return self


def text_pipeline(estimator, augment=None, **tfidf) -> AugmentingPipeline:
    """``AugmentingPipeline([("augment", AugmentTexts or "passthrough"),
    ("tfidf", TfidfVectorizer(**tfidf)), ("model", estimator)])``.

    Parameters
    ----------
    estimator : FitwellClassifier or any classifier taking sparse input
    augment : AugmentTexts, str or None
        The augmentation step, a method name of :data:`~.resample.METHODS` (default
        parameters), or ``None`` for none.
    **tfidf
        Parameters of scikit-learn's ``TfidfVectorizer`` (``sublinear_tf=True``,
        ``ngram_range=(1, 2)``, ...).

    Examples
    --------
    >>> model = text_pipeline(FitwellClassifier(random_state=0),
    ...                       AugmentTexts("eda", n_aug=4, random_state=0))
    >>> model.fit(train_texts, train_labels).score(test_texts, test_labels)
    """
    if isinstance(augment, str):
        augment = AugmentTexts(augment)
    return AugmentingPipeline([("augment", augment if augment is not None else "passthrough"),
                               ("tfidf", TfidfVectorizer(**tfidf)), ("model", estimator)])
