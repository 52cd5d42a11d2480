"""Re-execute the notebooks in place, each in a fresh kernel.

``make notebooks`` runs this script::

    python tools/execute_notebooks.py [notebooks/NN_name.ipynb ...]

No argument: every ``notebooks/*.ipynb`` in name order. Each notebook is
run top to bottom by ``nbclient`` in a new kernel of the current Python
(the same interpreter nbval's ``--nbval-current-env`` uses), with the
notebook's folder as the working directory, then written back with its
outputs. Execution counts therefore run 1..N. Widget state and per-cell
timing metadata are not stored (STYLE.md c.5, e.6), nor widget views
(their model ids change on every run and have no state to show).
``make notebooks`` sets ``JEPA_OFFLINE=1`` and ``TQDM_DISABLE=1``, which
reach the kernel.

A cell that raises stops the run with the notebook's name and the cell,
unless the cell is tagged ``raises-exception``; the file is then left as
it was (nothing half-written).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT = 600  # seconds per cell; nbval's own limit is stricter
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


CURRENT_ENV = "current-env"


class CurrentEnvSpecs(KernelSpecManager):
    """Kernel specs plus ``current-env``: ipykernel in *this* Python.

    Whatever ``python3`` kernel spec the user has installed, the notebooks
    run with the interpreter (and so the packages) of this process.
    """

    def get_kernel_spec(self, kernel_name):
        if kernel_name == CURRENT_ENV:
            return self.kernel_spec_class(
                resource_dir=ipykernel.kernelspec.RESOURCES,
                **ipykernel.kernelspec.get_kernel_dict(),
            )
        return super().get_kernel_spec(kernel_name)


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same stream into one.

    How the kernel splits a cell's printing into messages depends on
    timing; stored outputs should not.
    """
    merged: list = []
    for out in outputs:
        if (
            out.output_type == "stream"
            and merged
            and merged[-1].output_type == "stream"
            and merged[-1].name == out.name
        ):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop metadata that changes on every run or leaks state."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
            for out in cell.outputs:
                # a random model id, and no state is stored to render it
                out.get("data", {}).pop(WIDGET_VIEW, None)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)


def execute(path: Path) -> None:
    """Run ``path`` in a fresh kernel and write it back with its outputs."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(
        kernel_name=CURRENT_ENV, kernel_spec_manager=CurrentEnvSpecs()
    )
    client = NotebookClient(
        nb,
        km=km,
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
        # True only because nbclient's Output-widget hook needs the state
        # while running; clean() drops it before the file is written.
        store_widget_state=True,
        record_timing=False,
    )
    client.execute()
    clean(nb)
    nbformat.validate(nb)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ipynb.tmp")
    os.close(fd)
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print("no notebook to execute", file=sys.stderr)
        return 1
    for path in paths:
        print(f"executing {path.name}", flush=True)
        try:
            execute(path)
        except CellExecutionError as err:
            print(f"{path.name}: a cell failed\n{err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
