"""Recipes: parsing, validation pointing at lines, overrides, round trips."""

from __future__ import annotations

import pytest

from fitwell import FitwellClassifier
from fitwell.recipe import (
    SHIPPED_RECIPES,
    RecipeError,
    dump_recipe,
    load_recipe,
    parse_override,
    parse_recipe,
)


@pytest.mark.parametrize("name", SHIPPED_RECIPES)
def test_shipped_recipes_are_valid_and_build_an_estimator(name):
    recipe = load_recipe(name)
    estimator = FitwellClassifier(**recipe.params)
    assert estimator.get_params()["random_state"] is not None


def test_every_key_is_an_estimator_parameter():
    known = FitwellClassifier().get_params()
    for name in SHIPPED_RECIPES:
        assert set(load_recipe(name).params) <= set(known)


def test_omitted_keys_take_the_estimator_defaults():
    recipe = parse_recipe("max_iter = 7\n")
    assert recipe.params == {"max_iter": 7}
    assert FitwellClassifier(**recipe.params).get_params()["alpha"] == \
        FitwellClassifier().get_params()["alpha"]


def test_lists_become_tuples_and_none_is_spelled_none():
    recipe = parse_recipe('hidden_layer_sizes = [64, 32]\nnormalization = "none"\n'
                          "image_shape = [8, 8]\n")
    assert recipe.params["hidden_layer_sizes"] == (64, 32)
    assert recipe.params["normalization"] is None
    assert recipe.params["image_shape"] == (8, 8)


def test_augment_tables_become_name_param_pairs():
    recipe = parse_recipe('image_shape = [8, 8]\naugment = ["shift", '
                          '{name = "rotation", max_degrees = 5}]\n')
    assert recipe.params["augment"] == ["shift", ("rotation", {"max_degrees": 5})]


@pytest.mark.parametrize(("text", "fragments"), [
    ("max_iter = 5\ndropuot = 0.3\n", ["line 2", "'dropuot'", "did you mean 'dropout'"]),
    ("solver = \"sgdd\"\n", ["line 1", "solver", "'sgdd'", "adam"]),
    ("dropout = 1.5\n", ["line 1", "dropout", "1.5", "[0.0, 1.0)"]),
    ("max_iter = \"ten\"\n", ["max_iter", "'ten'", "int"]),
    ("hidden_layer_sizes = [64, 0]\n", ["hidden_layer_sizes", "positive"]),
    ("weight_decay = 0.01\nsolver = \"adam\"\n", ["weight_decay", "adamw"]),
    ("augment = [\"shift\"]\n", ["image_shape"]),
    ("dropout = 0.3 = 4\n", ["malformed TOML", "line 1"]),
    ("callbacks = []\n", ["callbacks"]),
])
def test_invalid_recipes_name_the_problem(text, fragments):
    with pytest.raises(RecipeError) as info:
        parse_recipe(text, source="r.toml")
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_overrides_are_type_checked_like_the_file():
    recipe = parse_recipe("max_iter = 5\n", overrides=["dropout=0.5",
                                                       "hidden_layer_sizes=[256,128]",
                                                       "solver=adamw"])
    assert recipe.params["dropout"] == 0.5
    assert recipe.params["hidden_layer_sizes"] == (256, 128)
    assert recipe.params["solver"] == "adamw"
    with pytest.raises(RecipeError, match="dropout"):
        parse_recipe("", overrides=["dropout=2"])
    with pytest.raises(RecipeError, match="did you mean 'alpha'"):
        parse_recipe("", overrides=["alpah=0.1"])
    with pytest.raises(RecipeError, match="KEY=VALUE"):
        parse_override("dropout")


def test_regression_task_drops_classifier_only_keys():
    recipe = parse_recipe("label_smoothing = 0.1\nmax_iter = 3\n", task="regression")
    assert recipe.params == {"max_iter": 3}


@pytest.mark.parametrize("name", SHIPPED_RECIPES)
def test_dump_and_parse_round_trip(name, tmp_path):
    recipe = load_recipe(name)
    path = tmp_path / "r.toml"
    dump_recipe(recipe.params, path, name=recipe.name, comment="round trip")
    again = load_recipe(path)
    assert again.params == recipe.params
    assert again.name == recipe.name


def test_missing_recipe_lists_the_shipped_ones():
    with pytest.raises(RecipeError, match="improved"):
        load_recipe("nope")


@pytest.mark.parametrize(("override", "fragment"), [
    ("alpha=-1", "alpha = -1 is not allowed"),
    ("alhpa=1", "did you mean 'alpha'"),
    ("max_iter=0", "max_iter = 0 is not allowed"),
    ("solver=lbfgs", "dropout needs a stochastic solver"),
    ("hidden_layer_sizes=[0]", "positive integers"),
])
def test_every_bad_override_is_a_recipe_error_not_sklearns(override, fragment):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(RecipeError, match=fragment) as info:
        load_recipe("improved", overrides=[override])
    assert type(info.value) is RecipeError
    assert not isinstance(info.value, InvalidParameterError)


def test_with_image_shape_fills_the_data_shape_only_when_augmentation_needs_it():
    from fitwell.recipe import with_image_shape

    assert with_image_shape({"augment": "shift"}, (8, 8)) == {"augment": "shift",
                                                            "image_shape": (8, 8)}
    assert with_image_shape({"augment": None}, (8, 8)) == {"augment": None}
    mine = {"augment": "shift", "image_shape": (4, 16)}
    assert with_image_shape(mine, (8, 8)) == mine
    assert with_image_shape({"augment": "noise"}, None) == {"augment": "noise"}
