"""The lesson notebook executes end to end (nbclient), against this fitwell, with its
figures inline: it cannot rot."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import fitwell

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "improving_neural_networks.ipynb"


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_the_notebook_runs_end_to_end(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = str(Path(fitwell.__file__).resolve().parents[1])  # the fitwell under test
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [source, os.environ.get("PYTHONPATH")])), "OMP_NUM_THREADS": "1"}
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 10  # every section draws inline
    text = "".join(o.get("text", "") for o in outputs)
    assert "overfitting" in text and "ONNX inputs: ['X']" in text
    assert (tmp_path / "challenge.npz").exists()
