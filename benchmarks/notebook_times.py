"""How long each lecture notebook takes to run top to bottom, and all of them together.

Each notebook in ``notebooks/`` is executed with nbclient on a fresh kernel (this
environment's Python), as "Restart Kernel and Run All Cells" does, from the notebooks folder
and with ``INTERVIEW_LAB_HOME`` pointed at a new temporary folder, so learner files (the
checklist, the drill's progress) start empty and nothing outside it is written. The
notebook files are not changed. Printed per notebook: the wall time from starting the kernel
to its shutdown, split into kernel start, cells (first cell sent to last reply) and
shutdown, and the slowest cell; then the total against the 60 s target, with the machine's
core count and load average.

Run: ``.venv/bin/python benchmarks/notebook_times.py [NAME.ipynb ...]`` (not part of
``make test`` or ``make bench``; nothing asserts on time). ``--json FILE`` also writes the
figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TARGET_S = 60.0
CELL_TIMEOUT_S = 600


def _cell_seconds(cell: nbformat.NotebookNode) -> float:
    """A cell's execution time from the timestamps nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run_notebook(path: Path) -> dict[str, object]:
    """Execute one notebook on a fresh kernel; its timings (seconds)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",  # this environment's Python, as nbval's --nbval-current-env
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    started = time.perf_counter()
    with client.setup_kernel():
        ready = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        done = time.perf_counter()
    stopped = time.perf_counter()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    seconds = [_cell_seconds(c) for c in code]
    slowest = max(range(len(code)), key=seconds.__getitem__) if code else None
    return {
        "notebook": path.name,
        "wall_s": stopped - started,  # kernel start + every cell + kernel shutdown
        "start_s": ready - started,
        "run_s": done - ready,  # first cell sent to last reply
        "shutdown_s": stopped - done,
        "cells_s": sum(seconds),  # the kernel's own execution times
        "code_cells": len(code),
        "slowest_cell": None if slowest is None else {
            "index": nb.cells.index(code[slowest]),
            "seconds": seconds[slowest],
            "source": code[slowest].source.splitlines()[0][:60] if code[slowest].source else "",
        },
        "errors": len(errors),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / n for n in args.names] if args.names else sorted(
        NOTEBOOKS.glob("*.ipynb"))

    rows = []
    with tempfile.TemporaryDirectory(prefix="interview-lab-nb-times-") as home:
        os.environ["INTERVIEW_LAB_HOME"] = home  # the kernels inherit it
        os.environ.setdefault("MPLBACKEND", "Agg")
        started = time.perf_counter()
        for path in paths:
            row = run_notebook(path)
            rows.append(row)
            slow = row["slowest_cell"]
            note = "" if not slow else (
                f"  slowest cell #{slow['index']} {slow['seconds']:.2f} s: {slow['source']}")
            errors = f"  {row['errors']} ERROR(S)" if row["errors"] else ""
            print(f"{row['notebook']:32s} {row['wall_s']:6.2f} s (kernel start "
                  f"{row['start_s']:4.2f}, cells {row['run_s']:5.2f}, shutdown "
                  f"{row['shutdown_s']:4.2f}){errors}{note}", flush=True)
        total = time.perf_counter() - started
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    verdict = "within" if total < TARGET_S else "OVER"
    print(f"{'all, one after another':32s} {total:6.2f} s "
          f"({verdict} the {TARGET_S:.0f} s target; {os.cpu_count()} cores, load average {load})")
    if args.json:
        args.json.write_text(json.dumps({"total_s": total, "notebooks": rows}, indent=2))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
