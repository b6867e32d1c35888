"""``make test``'s pytest: three sessions at once, then their reports.

A single session spends most of its time waiting: for kernels, servers, browsers. Three run
side by side: the harness over every assignment's corpus (``test_assignments.py``), the rest
of the grading tests (instructor workflow, isolation, forked kernels, hostile corpus: these
share a machine-wide state, the grading users and the folders opened to them, so they run one
after another within their session; grading runs of the two sessions keep out of each other's
way as any two instructors' runs do), and everything else (unit, notebook, browser and hub
tests, and the few grading tests that share nothing with other runs). Each session's full report is printed when it ends, its log kept in
``artifacts/pytest/``; the exit status is non-zero when any session fails, including pytest's 5
(nothing collected). Extra arguments go to every session.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Grading tests that touch no state shared between grading runs beyond what any two runs share
# (their courses are private temporary folders; no process counting, no folder modes compared):
# they run in the third session, which has the least to do.
ALONGSIDE = ("test_exchange.py", "test_harness_catches.py", "test_ps5_manual.py", "test_speedups.py")


def sessions() -> dict[str, list[str]]:
    grading = "tests/grading"
    others = sorted(f"tests/{p.name}" for p in (ROOT / "tests").iterdir()
                    if p.is_dir() and p.name not in ("grading", "submissions", "__pycache__"))
    return {
        "grading: corpora": [f"{grading}/test_assignments.py"],
        "grading: workflow": [grading, f"--ignore={grading}/test_assignments.py",
                              *(f"--ignore={grading}/{name}" for name in ALONGSIDE)],
        "everything else": [*others, "notebooks", *(f"{grading}/{name}" for name in ALONGSIDE)],
    }


def main(argv: list[str]) -> int:
    logs = ROOT / "artifacts" / "pytest"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    running = {}
    for name, args in sessions().items():
        path = logs / f"{name.replace(':', '').replace(' ', '-')}.log"
        handle = path.open("w")
        command = [sys.executable, "-m", "pytest", *args, *argv]
        running[name] = (subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT), handle, path)
        print(f"started pytest session '{name}' (log: {path.relative_to(ROOT)})", flush=True)
    codes = {}
    while running:
        for name, (process, handle, path) in list(running.items()):
            if process.poll() is None:
                continue
            handle.close()
            del running[name]
            codes[name] = process.returncode
            minutes = (time.monotonic() - started) / 60
            print(f"\n===== pytest session '{name}': exit {process.returncode} after {minutes:.1f} min =====", flush=True)
            print(path.read_text(errors="replace"), flush=True)
        time.sleep(1)
    failed = {name: code for name, code in codes.items() if code != 0}
    total = (time.monotonic() - started) / 60
    if failed:
        print(f"FAILED sessions after {total:.1f} min: " + ", ".join(f"{n} (exit {c})" for n, c in failed.items()))
        return 1
    print(f"all pytest sessions passed in {total:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
