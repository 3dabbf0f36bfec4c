"""Recipes: TOML files that name every training choice, one key per estimator parameter.

A recipe is a flat TOML mapping whose keys are exactly the parameters of
:class:`~fitwell.FitwellClassifier` (``hidden_layer_sizes``, ``dropout``,
``normalization``, ``solver``, ``learning_rate``, ``warmup_epochs``,
``early_stopping``, ``random_state``, ...), plus the optional metadata keys
``name`` and ``description``. A key left out takes the estimator's default, so
there is no second list of defaults to drift. TOML has no null: write
``"none"`` where the estimator takes ``None`` (``normalization = "none"``).
``augment`` entries are names or inline tables with a ``name``:
``augment = ["shift", {name = "rotation", max_degrees = 10}]``; for texts, one text
augmentation: ``augment = [{name = "eda", n_aug = 16, alpha = 0.1}]`` (see
:data:`fitwell.text.METHODS`), applied to the training texts before the vectorizer.

Validation happens before anything trains: an unknown key gets a "did you mean",
a wrong type or out-of-range value names the key, the value and what is allowed,
and every message points at the line of the file.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field

from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

from ._files import write_text
from .errors import RecipeError
from .estimator import FitwellClassifier, FitwellRegressor
from .text.resample import from_recipe, is_text_augmentation

__all__ = ["Recipe", "RecipeError", "load_recipe", "parse_recipe", "parse_override",
           "validate_params", "dump_recipe", "recipe_path", "with_image_shape",
           "SHIPPED_RECIPES", "CLASSIFIER_ONLY_KEYS"]

META_KEYS = ("name", "description")
_RECIPE_DIR = os.path.join(os.path.dirname(__file__), "recipes")
SHIPPED_RECIPES = ("baseline", "improved", "challenge", "production", "best_digits", "fashion",
                   "fashion_baseline", "text_eda")
#: keys of FitwellClassifier that FitwellRegressor does not take (left out for regression)
CLASSIFIER_ONLY_KEYS = ("class_weight", "label_smoothing")
_TUPLE_KEYS = ("hidden_layer_sizes", "image_shape")


@dataclass
class Recipe:
    """A validated recipe: estimator parameters and where they came from."""

    params: dict
    name: str = "recipe"
    description: str = ""
    source: str = "<recipe>"
    overrides: dict = field(default_factory=dict)


def recipe_path(name_or_path) -> str:
    """Resolve a shipped recipe name (``"improved"``) or a path to a file."""
    text = os.fspath(name_or_path)
    if os.path.exists(text):
        return text
    shipped = os.path.join(_RECIPE_DIR, f"{text}.toml")
    if os.path.exists(shipped):
        return shipped
    raise RecipeError(f"recipe {text!r} not found: give a path to a .toml file or one of the "
                      f"shipped recipes ({', '.join(SHIPPED_RECIPES)})")


def _line_of(text, key):
    if text is None:
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _where(source, text, key):
    line = _line_of(text, key)
    return f"{source}, line {line}" if line else source


def _known_params():
    return FitwellClassifier().get_params(deep=False)


def _normalise(key, value):
    """TOML values to estimator values: lists to tuples, "none" to None, augment tables."""
    if isinstance(value, str) and value.lower() == "none":
        return None
    if key in _TUPLE_KEYS and isinstance(value, list):
        return tuple(value)
    if key == "augment" and isinstance(value, list):
        entries = []
        for entry in value:
            if isinstance(entry, dict):
                entry = dict(entry)
                name = entry.pop("name", None)
                if not isinstance(name, str):
                    raise RecipeError("each augment table needs a name, e.g. "
                                      "{name = \"rotation\", max_degrees = 10}")
                entries.append((name, entry))
            else:
                entries.append(entry)
        return entries
    return value


def validate_params(params, task="classification", source="<recipe>", text=None) -> dict:
    """Check recipe parameters against the estimator and return them normalised.

    Raises
    ------
    RecipeError
        Naming the key, the value, what is allowed and the line.
    """
    known = _known_params()
    cls = FitwellClassifier if task == "classification" else FitwellRegressor
    checked = {}
    for key, raw in params.items():
        if key in META_KEYS:
            continue
        where = _where(source, text, key)
        if key not in known:
            close = difflib.get_close_matches(key, list(known) + list(META_KEYS), n=1)
            hint = f" — did you mean {close[0]!r}?" if close else ""
            raise RecipeError(f"{where}: unknown key {key!r}{hint} (keys are the parameters of "
                              "FitwellClassifier)")
        if key == "callbacks":
            raise RecipeError(f"{where}: callbacks are Python objects and cannot be set in a "
                              "recipe")
        try:
            value = _normalise(key, raw)
        except RecipeError as exc:
            raise RecipeError(f"{where}: {exc}") from None
        if task != "classification" and key in CLASSIFIER_ONLY_KEYS:
            continue
        constraints = cls._parameter_constraints.get(key)
        if constraints is not None:
            try:
                validate_parameter_constraints({key: constraints}, {key: value},
                                               caller_name=cls.__name__)
            except InvalidParameterError as exc:
                raise RecipeError(f"{where}: {key} = {raw!r} is not allowed. {exc}") from None
        checked[key] = value
    try:
        _cross_check(cls(**checked))
    except ValueError as exc:
        raise RecipeError(f"{source}: {exc}") from None
    return checked


def _cross_check(estimator):
    """Checks that involve several parameters, made before any data is seen."""
    if isinstance(estimator.hidden_layer_sizes, tuple | list):
        if not estimator.hidden_layer_sizes or any(
                isinstance(s, bool) or not isinstance(s, int) or s < 1
                for s in estimator.hidden_layer_sizes):
            raise ValueError(f"hidden_layer_sizes must be a list of positive integers, got "
                             f"{list(estimator.hidden_layer_sizes)}")
    dropout = estimator.dropout
    if isinstance(dropout, tuple | list):
        if len(dropout) != len(estimator.hidden_layer_sizes):
            raise ValueError(f"dropout lists {len(dropout)} rates for "
                             f"{len(estimator.hidden_layer_sizes)} hidden layers")
        if any(not 0 <= float(p) < 1 for p in dropout):
            raise ValueError(f"every dropout rate must be in [0, 1), got {list(dropout)}")
    rates = dropout if isinstance(dropout, tuple | list) else [dropout]
    if estimator.solver == "lbfgs" and any(float(p) > 0 for p in rates):
        raise ValueError("dropout needs a stochastic solver, not solver='lbfgs'")
    if estimator.weight_decay and estimator.solver != "adamw":
        raise ValueError(f"weight_decay = {estimator.weight_decay} needs solver = \"adamw\" "
                         f"(got solver = {estimator.solver!r}); use alpha for an L2 penalty")
    if is_text_augmentation(estimator.augment):  # applied to texts, before the network
        from_recipe(estimator.augment)
    elif estimator.augment:
        from .training.augment import make_augmenter

        make_augmenter(estimator.augment, estimator.image_shape)


def with_image_shape(params, image_shape) -> dict:
    """``params`` with the data's ``image_shape`` filled in when augmentation needs it
    and the recipe does not set one (the digits rows are 8×8 images)."""
    if image_shape and params.get("augment") and not params.get("image_shape"):
        return {**params, "image_shape": tuple(image_shape)}
    return params


def parse_override(text) -> tuple[str, object]:
    """``"dropout=0.5"`` → ``("dropout", 0.5)``; the value is read as TOML, and a
    bare word that is not TOML is taken as a string (``solver=adamw``)."""
    if "=" not in text:
        raise RecipeError(f"--set {text!r}: expected KEY=VALUE, e.g. --set dropout=0.5")
    key, value = (part.strip() for part in text.split("=", 1))
    if not key:
        raise RecipeError(f"--set {text!r}: the key is empty")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        if re.fullmatch(r"[A-Za-z_][\w\-]*", value):
            parsed = value
        else:
            raise RecipeError(f"--set {text!r}: {value!r} is not a valid value; use TOML syntax "
                              "such as 0.5, true, \"adamw\" or [256, 128]") from None
    return key, parsed


def parse_recipe(text, source="<recipe>", overrides=(), task="classification") -> Recipe:
    """Parse and validate recipe text plus ``--set`` overrides."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{source}: malformed TOML: {exc}") from None
    name = raw.get("name", os.path.splitext(os.path.basename(source))[0])
    description = raw.get("description", "")
    params = validate_params(raw, task=task, source=source, text=text)
    applied = {}
    for override in overrides:
        key, value = parse_override(override)
        # validated beside the recipe's other values: an augmentation needs its image_shape
        checked = validate_params({**params, **applied, key: value}, task=task,
                                  source=f"--set {override}")
        applied[key] = checked[key]
    if applied:
        params = validate_params({**params, **applied}, task=task, source=f"{source} with --set")
    return Recipe(params, str(name), str(description), source, applied)


def load_recipe(path, overrides=(), task="classification") -> Recipe:
    """Read, parse and validate the recipe at ``path`` (or a shipped recipe name)."""
    path = recipe_path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{path}: cannot read the recipe ({exc})") from None
    return parse_recipe(text, source=path, overrides=overrides, task=task)


def _toml_value(value):
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return [_toml_value(v) for v in value]
    if isinstance(value, list):
        return [_toml_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _toml_value(v) for k, v in value.items()}
    if hasattr(value, "item"):
        return value.item()
    return value


def dump_recipe(params, path=None, name=None, description=None, comment=None) -> str:
    """Write ``params`` as a recipe (TOML) to ``path`` (if given, atomically) and return
    the text."""
    import tomli_w

    document = {}
    if name:
        document["name"] = name
    if description:
        document["description"] = description
    for key, value in params.items():
        if key == "callbacks":
            continue
        if key == "augment" and isinstance(value, list | tuple):
            value = [{"name": v[0], **v[1]} if isinstance(v, tuple | list) and len(v) == 2
                     and isinstance(v[1], dict) else v for v in value]
        document[key] = _toml_value(value)
    text = tomli_w.dumps(document)
    if comment:
        text = "".join(f"# {line}\n" for line in comment.splitlines()) + text
    if path is not None:
        write_text(path, text)
    return text
