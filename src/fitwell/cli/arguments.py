"""The command's shared options and argument types, defined once for every subcommand."""

from __future__ import annotations

import argparse
import os

from ..recipe import SHIPPED_RECIPES

__all__ = ["UsageError", "Parser", "fraction", "positive_int", "positive_float",
           "add_recipe_arguments", "add_data_arguments", "add_split_arguments", "add_out",
           "add_no_report", "add_noise_options"]


class UsageError(Exception):
    """Bad command-line usage; reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises :class:`UsageError` instead of exiting, so that
    ``main`` reports every usage error the same way."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _number(text, convert, what, accept):
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def fraction(text) -> float:
    """A number in (0, 1)."""
    return _number(text, float, "a number in (0, 1)", lambda v: 0 < v < 1)


def positive_int(text) -> int:
    """An integer ≥ 1."""
    return _number(text, int, "a positive integer", lambda v: v >= 1)


def positive_float(text) -> float:
    """A number > 0."""
    return _number(text, float, "a positive number", lambda v: v > 0)


def add_noise_options(parser):
    """``-q/--quiet`` and ``-v/--verbose``, which exclude each other."""
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    noise.add_argument("-v", "--verbose", action="store_true",
                       help="more detail; the traceback of an unexpected error")


def add_recipe_arguments(parser, set_help="override a recipe key, e.g. --set dropout=0.5 "
                                          "(repeatable)"):
    """The recipe (positional) and ``--set KEY=VALUE``."""
    parser.add_argument("recipe", help="a recipe .toml file or a shipped recipe name "
                                       f"({', '.join(SHIPPED_RECIPES)})")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)


def add_data_arguments(parser):
    """``--data``, ``--target``, ``--text-column`` and ``--task``."""
    parser.add_argument("--data", required=True,
                        help="digits, breast_cancer, wine, iris, diabetes, fashion-mnist "
                             "(or a folder of its IDX files), rotten-tomatoes (review "
                             "sentences), a .csv file (with --target) or an .npz file with "
                             "arrays X and y")
    parser.add_argument("--target", help="the target column of a CSV file")
    parser.add_argument("--text-column", help="a CSV file's column of texts: the features "
                                              "are its TF-IDF (other columns ignored)")
    parser.add_argument("--task", choices=("classification", "regression"),
                        help="override the task inferred from the target")


def add_split_arguments(parser, seed_note=""):
    """``--no-scale``, ``--test-size``, ``--split-seed`` and ``--train-rows``."""
    parser.add_argument("--no-scale", action="store_true",
                        help="do not standardise the features")
    parser.add_argument("--test-size", type=fraction, default=0.2,
                        help="fraction of rows held out for testing (default 0.2)")
    parser.add_argument("--split-seed", type=int, default=42,
                        help=f"random_state of the train/validation/test split{seed_note} "
                             "(default 42)")
    parser.add_argument("--train-rows", type=positive_int, metavar="N",
                        help="train on N of the training rows (stratified, drawn with the "
                             "split seed); validation and test rows stay whole")


def add_out(parser, default_name):
    """``--out FOLDER``, defaulting to ``fitwell-output/<default_name>``."""
    parser.add_argument("--out", help=f"output folder (default: "
                                      f"{os.path.join('fitwell-output', default_name)})")


def add_no_report(parser):
    """``--no-report``."""
    parser.add_argument("--no-report", action="store_true",
                        help="skip the HTML report and plots")
