"""examples/monitor_your_lstm.ipynb runs top to bottom in a fresh python3 kernel (ipykernel, requirements-dev.txt),
from its own folder as Jupyter would start it, and its model learns the long-range task it is about once the
gradient reaches the first step."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_the_monitor_notebook_runs_and_learns():
    nb = nbformat.read(EXAMPLES / "monitor_your_lstm.ipynb", as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    default, forget_bias = (float(part.split("%")[0]) for part in text.split("test accuracy ")[1:3])
    assert forget_bias > 90, text  # chance is 25%
    rows = [ln.split() for ln in text.splitlines() if ln.strip() and ln.split()[0].isdigit()]
    assert [int(r[0]) for r in rows] == 2 * list(range(0, 400, 25))
    # the story the notebook tells: with the forget bias, the gradient reaches the label at t = 1
    assert min(float(r[2]) for r in rows[16:]) > 1e3 * max(float(r[2]) for r in rows[1:16]), text
    figure = nb.cells[-1].outputs[0]["data"]
    assert "application/vnd.plotly.v1+json" in figure
