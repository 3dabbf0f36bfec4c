"""Data augmentation for training batches, composable and driven by an injected generator.

An augmenter is called as ``augmenter(X, y, rng) -> (X, y)`` on one training batch
(never on validation or test data). ``X`` holds flat rows; image augmenters are
told the ``image_shape`` of a row — ``(height, width)`` or
``(height, width, channels)``. Every augmenter works on the whole batch at once, each
image with its own random draw, and draws from ``rng`` a fixed number of times per
batch, whatever its size.
"""

from __future__ import annotations

import inspect

from ...errors import ParameterError
from .base import Augmenter, Compose
from .geometric import RandomHorizontalFlip, RandomRotation, RandomShift
from .mixing import Mixup
from .photometric import BrightnessContrast, GaussianNoise, RandomErasing

__all__ = [
    "Augmenter", "Compose", "RandomShift", "RandomRotation", "RandomHorizontalFlip",
    "RandomErasing", "GaussianNoise", "BrightnessContrast", "Mixup", "make_augmenter",
    "AUGMENTERS",
]

#: name (in recipes and ``augment=``) -> augmenter class
AUGMENTERS = {
    "shift": RandomShift, "rotation": RandomRotation, "flip": RandomHorizontalFlip,
    "erasing": RandomErasing, "noise": GaussianNoise, "jitter": BrightnessContrast,
    "mixup": Mixup,
}
_IMAGE_AUGMENTERS = {"shift", "rotation", "flip", "erasing"}


def make_augmenter(spec, image_shape=None):
    """Build one augmenter from a name, a ``(name, {params})`` pair, a
    ``{"name": name, **params}`` mapping (a TOML inline table), or an object.

    Names: ``"shift"``, ``"rotation"``, ``"flip"``, ``"erasing"`` (need
    ``image_shape``), ``"noise"``, ``"jitter"`` (brightness and contrast), ``"mixup"``.
    A list builds a :class:`Compose`.
    """
    if spec is None:
        return None
    if isinstance(spec, dict):
        params = dict(spec)
        name = params.pop("name", None)
        if not isinstance(name, str):
            raise ParameterError(f"an augmentation given as a mapping needs a 'name' key, e.g. "
                                 f"{{'name': 'rotation', 'max_degrees': 10}}; got {spec!r}")
        return make_augmenter((name, params), image_shape)
    if isinstance(spec, list | tuple) and not (
            len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], dict)):
        parts = [make_augmenter(s, image_shape) for s in spec]
        return Compose(parts) if len(parts) != 1 else parts[0]
    if callable(spec) and not isinstance(spec, str):
        return spec
    name, params = (spec, {}) if isinstance(spec, str) else spec
    if name not in AUGMENTERS:
        raise ParameterError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTERS)} "
                             "or pass an augmenter object")
    params = dict(params)
    if name in _IMAGE_AUGMENTERS:
        if image_shape is None:
            raise ParameterError(f"augmentation {name!r} works on images: give image_shape, e.g. "
                                 "image_shape=(8, 8) for the digits data")
        params["image_shape"] = image_shape
    allowed = [p for p in inspect.signature(AUGMENTERS[name]).parameters if p != "image_shape"]
    unknown = sorted(set(params) - set(allowed) - {"image_shape"})
    if unknown:
        raise ParameterError(f"augmentation {name!r} has no parameter(s) {unknown}; it takes "
                             f"{allowed}")
    return AUGMENTERS[name](**params)
