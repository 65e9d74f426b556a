"""The example notebook executes top to bottom (nbclient, the venv's kernel)."""

import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "tokenmaxx.ipynb"


def test_example_notebook_runs_top_to_bottom():
    if os.environ.get("TOKENMAXX_SKIP_NOTEBOOK"):
        pytest.skip("TOKENMAXX_SKIP_NOTEBOOK is set")
    try:
        import nbclient
        import nbformat
    except ImportError:
        if os.environ.get("TOKENMAXX_REQUIRE_ADAPTERS"):
            raise
        pytest.skip("nbclient is not installed: pip install nbclient nbformat ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    t0 = time.monotonic()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "examples")}}).execute()
    took = time.monotonic() - t0
    print(f"notebook executed in {took:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # Charts inline: PNG images in the outputs.
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3
    # Tables as HTML (polars DataFrames and the results' _repr_html_).
    assert sum("text/html" in o.get("data", {}) for o in outputs) >= 5
