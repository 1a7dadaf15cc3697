"""How big the input history (input_history.py) grows: a year of daily runs of a workspace, measured and estimated.

    python benchmarks/bench_history.py [--scenario L] [--days 250] [WORKSPACE]

Generates the scenario's workspace (benchmarks/make_workspace.py; or takes WORKSPACE when given), stores
every input in a fresh history exactly as a run does (``input_history.put``, gzip level 6) and measures: the
compressed size of each file, the time of that first store, the size of one run's index, and the time of a
second store with one rep's workbook changed (the daily case: only that workbook is compressed again).

The year is then computed, not run: the first day stores every file; each later working day adds one rep
workbook (the changed one: the mean compressed size of a rep workbook) and one index. Printed as a markdown
table for benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from neiqin_xl import input_history

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def inputs_of(workspace: Path) -> list[tuple[str, Path]]:
    return [(folder, p) for folder in input_history.INPUT_FOLDERS for p in sorted((workspace / folder).glob("*"))
            if p.is_file()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="L")
    parser.add_argument("--days", type=int, default=250, help="working days in the year (default 250)")
    parser.add_argument("workspace", nargs="?", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace
        if workspace is None:
            workspace = Path(tmp) / "ws"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_workspace.py"), "--scenario",
                            args.scenario, str(workspace)], check=True, capture_output=True)
        root = Path(tmp) / "history"
        files = inputs_of(workspace)
        start = time.perf_counter()
        stored = {path: input_history.put(root, path.read_bytes()) for _, path in files}
        first_seconds = time.perf_counter() - start
        raw = {path: path.stat().st_size for _, path in files}
        packed = {path: input_history.object_path(root, digest).stat().st_size for path, digest in stored.items()}
        reps = [path for folder, path in files if folder == "reps"]
        record = {"format": input_history.INDEX_FORMAT, "id": "2026-11-30_official_20261130T163000",
                  "run_date": "2026-11-30", "kind": "official", "started": "2026-11-30T16:30:00", "version": "0.1.0",
                  "settings": "0" * 64, "demo": False, "folders": dict.fromkeys(input_history.INPUT_FOLDERS, True),
                  "options": {"force": False, "month": None, "only": None}, "last_run_date": "2026-11-27",
                  "closed": [], "baseline": "2026-11-27_official_20261127T163000"}
        record["inputs"] = [{"folder": f, "name": p.name, "sha256": stored[p]} for f, p in files]
        index_bytes = len(json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))

        changed = reps[0].read_bytes() + b"\0"  # one rep's workbook changed: only it is compressed again
        start = time.perf_counter()
        for path in reps[1:]:
            input_history.object_path(root, stored[path]).is_file()
        input_history.put(root, changed)
        daily_seconds = time.perf_counter() - start

        rep_packed = statistics.mean(packed[p] for p in reps)
        first_day = sum(packed.values()) + index_bytes
        year = first_day + (args.days - 1) * (rep_packed + index_bytes)
        print(f"## Input history: growth over a year (scenario {args.scenario}, issue 17)\n")
        print(f"Measured by `python benchmarks/bench_history.py --scenario {args.scenario}`: {len(files)} input "
              f"files, {len(reps)} rep workbooks.\n")
        print("| measurement | value |\n|---|---:|")
        print(f"| inputs on disk | {sum(raw.values()) / MB:.1f} MB |")
        print(f"| inputs stored, gzip level 6 (the first run) | {sum(packed.values()) / MB:.1f} MB |")
        print(f"| one rep workbook: on disk / stored (mean) | {statistics.mean(raw[p] for p in reps) / 1024:.0f} KB / "
              f"{rep_packed / 1024:.0f} KB |")
        print(f"| one run's index (runs/*.json) | {index_bytes / 1024:.1f} KB |")
        print(f"| first store (every file compressed) | {first_seconds:.2f} s |")
        print(f"| a later day's store (one rep workbook changed) | {daily_seconds:.2f} s |")
        print(f"| **a year: first day + {args.days - 1} days × (one rep workbook + one index)** | "
              f"**{year / MB:.0f} MB** |")
        print(f"\nxlsx files are zip archives already compressed, so gzip gains little on them "
              f"({sum(packed.values()) / sum(raw.values()):.0%} of their size); CSV inputs shrink much more.")


if __name__ == "__main__":
    main()
