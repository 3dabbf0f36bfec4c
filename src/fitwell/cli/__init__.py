"""The ``fitwell`` command: one parser, one handler per subcommand.

Each group of subcommands (:mod:`.run`, :mod:`.tools`, :mod:`.experiment`,
:mod:`.export`) registers its parsers and handlers through :func:`build_parser`;
:func:`main` dispatches on the handler and owns the exit codes:

* 0 — success;
* 2 — the user's input is wrong: a usage error, or an error of the
  :class:`fitwell.errors.FitwellError` family (one line on stderr, no traceback);
* 1 — anything else is a bug in fitwell: one line that says so and where to report
  it, and the traceback with ``--verbose``;
* 130 — interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
import traceback

from .._version import __version__
from ..errors import FitwellError
from . import experiment, export, run, tools
from .arguments import Parser, UsageError, add_noise_options
from .console import Console

__all__ = ["main", "build_parser"]

#: the groups of subcommands, in the order ``fitwell --help`` lists them
GROUPS = (run, tools, experiment, export)

#: where an unexpected error should be reported
BUG_REPORTS = "the fitwell issue tracker, with the output of the same command run with --verbose"


def build_parser() -> Parser:
    """The ``fitwell`` parser with every subcommand; each sets ``handler`` in its
    namespace."""
    parser = Parser(prog="fitwell", description="Train neural networks that fit well: "
                    "recipes, the regularisation walkthrough, reports and gradient checks.",
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="run 'fitwell COMMAND --help' for each command's options")
    parser.add_argument("--version", action="version", version=f"fitwell {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name, help_text, epilog, handler):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add_noise_options(p)
        p.set_defaults(handler=handler)
        return p

    for group in GROUPS:
        group.register(add)
    return parser


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    verbose = False
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        verbose = args.verbose
        return args.handler(args, Console(quiet=args.quiet))
    except KeyboardInterrupt:
        Console.error("interrupted")
        return 130
    except (UsageError, FitwellError) as exc:
        Console.error(f"error: {_first_line(exc)}")
        return 2
    except Exception as exc:  # anything else is fitwell's fault, not the user's
        Console.error(f"this is a bug in fitwell, please report it to {BUG_REPORTS}: "
                      f"{type(exc).__name__}: {_first_line(exc)}")
        if verbose:
            traceback.print_exc()
        else:
            Console.error("run again with --verbose for the traceback")
        return 1


if __name__ == "__main__":
    sys.exit(main())
