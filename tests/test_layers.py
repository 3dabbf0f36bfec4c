"""The house is one-way: every fitwell module imports only the layers below its own.

The allowed arrows are written once, here (``DEPENDS_ON``); a layer may import what its
direct dependencies may import (the closure). Every ``import`` in every module counts,
including those inside functions, so a function-local import cannot hide an upward arrow
or a cycle. Third-party imports are not this test's business.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "fitwell"

#: the modules that import no other fitwell layer
FOUNDATION = {"_version", "errors", "_validation", "_threads", "_jit", "_files"}

#: layer -> the layers it may import directly (the arrows of DESIGN.md's picture)
DEPENDS_ON = {
    "foundation": set(),
    "nn": {"foundation"},
    "optim": {"foundation"},
    "training": {"nn", "optim"},
    # tables are read and encoded (pandas, scikit-learn) with nothing of fitwell but the
    # foundation, so that data (reading), io (storing) and export all build on them
    "tabular": {"foundation"},
    # texts are tokenised, augmented (WordNet, Apertium) and vectorised with nothing of
    # fitwell but the foundation, like tables
    "text": {"foundation"},
    "data": {"nn", "optim", "tabular"},
    "verdict": {"nn", "optim"},
    "testing": {"nn", "optim"},
    "estimator": {"training", "data"},
    # model files also store a text model's vectorizer (fitwell.text.store)
    "io": {"estimator", "text"},
    "recipe": {"estimator", "io"},
    "report": {"recipe", "verdict"},
    "experiments": {"recipe", "verdict"},
    # export reads fitted models (and their table preprocessing) as io does
    "export": {"io"},
    "cli": {"experiments", "report", "testing", "export"},
    "api": {"cli", "estimator", "io", "export"},
}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside the package (``fitwell.nn.linear`` -> nn)."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in ("__init__", "__main__"):
        return "api"
    top = parts[1]
    return "foundation" if top in FOUNDATION else top


def allowed_layers(layer: str) -> set[str]:
    """Everything ``layer`` may import: itself and the closure of its arrows."""
    seen, todo = {layer}, [layer]
    while todo:
        for below in DEPENDS_ON.get(todo.pop(), ()):
            if below not in seen:
                seen.add(below)
                todo.append(below)
    return seen


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file of every module under ``root`` (a package's name is its own)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # ``from pkg import sub`` imports the submodule when there is one
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known
                       else source for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path, package: str = "fitwell") -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    names = module_names(root, package)
    known = set(names)
    return {name: imported_modules(name, path, known) for name, path in names.items()}


def upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Each import whose target's layer is not below (or equal to) its source's layer."""
    wrong = []
    for source, targets in sorted(graph.items()):
        allowed = allowed_layers(layer_of(source))
        for target in sorted(targets):
            if layer_of(target) not in allowed:
                wrong.append(f"{source} ({layer_of(source)}) imports {target} "
                             f"({layer_of(target)})")
    return wrong


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def is_package_init_edge(source: str, target: str) -> bool:
    """A package's ``__init__`` importing its own submodules is how packages work."""
    return target.startswith(source + ".")


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE_ROOT)


def test_every_top_level_module_has_a_layer(graph):
    layers = {layer_of(name) for name in graph}
    assert layers <= set(DEPENDS_ON), f"modules in no layer: {layers - set(DEPENDS_ON)}"


def test_every_import_runs_downward(graph):
    wrong = upward_arrows(graph)
    assert not wrong, "upward imports:\n  " + "\n  ".join(wrong)


def test_no_import_cycles(graph):
    without_inits = {source: {t for t in targets if not is_package_init_edge(source, t)}
                     for source, targets in graph.items()}
    found = cycles(without_inits)
    assert not found, "import cycles:\n  " + "\n  ".join(" <-> ".join(g) for g in found)


def test_report_and_experiments_do_not_know_each_other(graph):
    crossing = [f"{s} imports {t}" for s, targets in graph.items() for t in targets
                if {layer_of(s), layer_of(t)} == {"report", "experiments"}]
    assert not crossing, crossing


# -- the checker itself catches what it is meant to catch ---------------------------------
def _fake_package(tmp_path, files):
    root = tmp_path / "fitwell"
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_checker_flags_an_upward_import_even_inside_a_function(tmp_path):
    root = _fake_package(tmp_path, {
        "__init__.py": "",
        "nn/__init__.py": "from .linear import Linear\n",
        "nn/linear.py": "def f():\n    from ..training import trainer\n",
        "training/__init__.py": "",
        "training/trainer.py": "from ..nn.linear import f\n",
    })
    wrong = upward_arrows(import_graph(root))
    assert wrong == ["fitwell.nn.linear (nn) imports fitwell.training.trainer (training)"]


def test_checker_flags_a_cycle(tmp_path):
    root = _fake_package(tmp_path, {
        "__init__.py": "",
        "report/__init__.py": "",
        "report/a.py": "from . import b\n",
        "report/b.py": "from .a import x\n",
    })
    assert cycles(import_graph(root)) == [["fitwell.report.a", "fitwell.report.b"]]


def test_checker_resolves_relative_and_absolute_imports(tmp_path):
    root = _fake_package(tmp_path, {
        "__init__.py": "from . import nn\n",
        "nn/__init__.py": "",
        "nn/module.py": "",
        "optim/__init__.py": "",
        "optim/sgd.py": "import fitwell.nn.module\nfrom fitwell.nn import module\n",
    })
    graph = import_graph(root)
    assert graph["fitwell"] == {"fitwell.nn"}
    assert graph["fitwell.optim.sgd"] == {"fitwell.nn.module"}
    assert upward_arrows(graph) == ["fitwell.optim.sgd (optim) imports fitwell.nn.module (nn)"]
