"""The benchmark of the day's run at scale: the full job against the bare floor and a naive pipeline.

    python benchmarks/run.py [--scenario S|M|L ...] [--workspace DIR] [--skip-naive] [--out results.md]

For each scenario (default L; make_workspace.py generates it unless --workspace names one) it measures,
each in a fresh subprocess so that its peak memory is its own (``resource.getrusage(RUSAGE_SELF).ru_maxrss``
read by the child at its end: the peak resident set of that process, interpreter and imports included):
- ``full``: ``pipeline.run_day`` with ``RunOptions(no_email=True)``, intake cache on (a fresh, empty cache
  folder: the cold run); the per-stage times come from ``manifest["timings_seconds"]``;
- ``floor``: the bare costs — every sheet of every input workbook read once with python-calamine, and every
  cell of the outputs the full run wrote (same files, sheets and values, read back beforehand, untimed)
  written once with plain xlsxwriter (no formats, no widths);
- ``naive``: ``pandas.read_excel(engine="openpyxl")`` of every sheet of every input workbook;
- ``intake``: our intake alone (``read_workspace``), cache off — the read the naive one is compared with;
  its workbooks are read in the worker pool (``intake.workers``, read/isolation.py);
- ``in_process``: the same intake with ``intake.workers: 0`` (no worker processes, no limits): what the
  isolation costs is ``intake`` / ``in_process``, on the medians of the runs;
- ``cold`` / ``warm`` / ``changed``: our intake with the cache: an empty cache, then a rerun with nothing
  changed, then a rerun after one rep's workbook was edited (one cell, saved with openpyxl);
- ``rerun`` / ``rerun_changed``: the whole day again after ``full`` (same cache folder, same output folder):
  with nothing changed, then after one rep's workbook was edited (deliver/incremental.py); ``full`` itself
  starts from an empty output folder, so it is the cold run every time.
The full runs also report ``tree_mb``: the peak of the resident memory of the run's process and its
children together (the writer pool's workers counted), sampled every 0.05 s with psutil.
The full runs make no PDFs unless ``--pdfs``: the 对账函's and 报价单's PDFs are LibreOffice's work (a second
program, a minute for 2,000 letters on L), which the floor does not have.
Results go to stdout and, as a Markdown report with the machine described, to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # the measuring children import this checkout's neiqin_xl, not an installed one

from make_workspace import RUN_DATE, SCENARIOS, Scenario, make_workspace  # noqa: E402

TARGETS = {"full_over_floor": 0.75, "naive_over_intake": 8.0, "intake_over_read": 1.5, "warm_over_cold": 0.10,
           "changed_over_warm": 1.2, "rerun_over_full": 0.05, "rerun_changed_over_full": 0.25, "peak_mb": 1024,
           "isolated_over_in_process": 1.10}
AT_LEAST = {"naive_over_intake"}  # the other targets are upper bounds
PDFS = False  # ``--pdfs``: the full runs make the 对账函's and 报价单's PDFs through LibreOffice


# ---------------------------------------------------------------- measurements (run in a child process)

def settings_for(workspace: Path, cache_dir: Path | None, workers: int | None = None):
    from neiqin_xl.core.config import Settings

    settings = Settings().with_workspace(workspace)
    intake = settings.intake.model_copy(update={"cache": cache_dir is not None, "cache_dir": cache_dir,
                                                "workers": settings.intake.workers if workers is None else workers})
    return settings.model_copy(update={"intake": intake})


def run_date_of(workspace: Path) -> date:
    marker = workspace / "DEMO.txt"
    if marker.is_file():
        m = re.search(r"run date: (\d{4}-\d{2}-\d{2})", marker.read_text(encoding="utf-8"))
        if m:
            return date.fromisoformat(m.group(1))
    return RUN_DATE


def input_files(workspace: Path) -> list[Path]:
    from neiqin_xl.read.folders import is_temporary

    return sorted(p for p in workspace.rglob("*.xlsx") if "output" not in p.relative_to(workspace).parts
                  and not is_temporary(p))


def measure_full(workspace: Path, cache_dir: Path) -> dict:
    from neiqin_xl.pipeline import RunOptions, run_day

    result = run_day(settings_for(workspace, cache_dir), run_date_of(workspace), RunOptions(no_email=True))
    return {"timings": result.manifest["timings_seconds"], "failed": result.failed_reports,
            "rows": result.manifest["rows"], "output_dir": str(result.output_dir),
            "files_written": len(result.manifest["outputs"]),
            "files_kept": sum(1 for o in result.manifest["outputs"] if o.get("kept")),
            "unchanged": bool(result.manifest.get("unchanged"))}


def measure_intake(workspace: Path, cache_dir: Path | None, workers: int | None = None) -> dict:
    from neiqin_xl.read.intake import read_workspace

    tables, problems = read_workspace(settings_for(workspace, cache_dir, workers))
    return {"rows": int(sum(len(f) for f in tables.frames.values())), "problems": len(problems)}


def read_every_sheet(files: list[Path]) -> int:
    """The read floor: every sheet of every file as Python values with calamine; returns the cells."""
    import python_calamine as pc

    cells = 0
    for path in files:
        book = pc.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
        book.close()
    return cells


def read_outputs(output_dir: Path) -> list[tuple[Path, list[tuple[str, list[list]]]]]:
    """Every output workbook's sheets and values (untimed preparation of the write floor)."""
    import python_calamine as pc

    books = []
    for path in sorted(output_dir.rglob("*.xlsx")):
        book = pc.CalamineWorkbook.from_path(str(path))
        books.append((path.relative_to(output_dir), [(n, book.get_sheet_by_name(n).to_python()) for n in book.sheet_names]))
        book.close()
    return books


def write_cells(books: list, folder: Path) -> int:
    """The write floor: the same cells into the same number of files, plain xlsxwriter, no formats."""
    import xlsxwriter

    cells = 0
    for rel, sheets in books:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        wb = xlsxwriter.Workbook(str(target), {"strings_to_numbers": False, "strings_to_formulas": False,
                                               "strings_to_urls": False})
        for name, rows in sheets:
            ws = wb.add_worksheet(name)
            for r, values in enumerate(rows):
                for c, v in enumerate(values):
                    if v == "" or v is None:
                        continue
                    ws.write(r, c, v)
                    cells += 1
        wb.close()
    return cells


def measure_floor(workspace: Path, output_dir: Path) -> dict:
    books = read_outputs(output_dir)
    start = time.perf_counter()
    read_cells = read_every_sheet(input_files(workspace))
    read_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        written = write_cells(books, Path(tmp))
        write_seconds = time.perf_counter() - start
    return {"read_seconds": round(read_seconds, 3), "write_seconds": round(write_seconds, 3),
            "cells_read": read_cells, "cells_written": written, "files_written": len(books)}


def measure_naive(workspace: Path) -> dict:
    import pandas as pd

    cells = 0
    for path in input_files(workspace):
        for frame in pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl", dtype=object).values():
            cells += frame.size
    return {"cells": cells}


def import_everything() -> None:
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401
    import xlsxwriter  # noqa: F401

    import neiqin_xl.pipeline  # noqa: F401


class TreeMemory:
    """The peak resident memory of this process and all its children together, sampled in a thread."""

    def __init__(self, every: float = 0.05):
        import threading

        import psutil

        self.peak, self.every, self._stop = 0, every, threading.Event()
        self._me = psutil.Process()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for proc in [self._me, *self._me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return round(self.peak / 1024 / 1024)


@contextlib.contextmanager
def no_pdfs():
    """The day without its PDFs (``--pdfs`` to make them): they are LibreOffice's work, which the floor does not
    have. LibreOffice is taken as not installed for the while, and given back after (an in-process measurement
    shares its process with the tests)."""
    from neiqin_xl.deliver import office

    found = office.soffice
    office.soffice = lambda: None
    try:
        yield
    finally:
        office.soffice = found


def run_measurement(kind: str, workspace: Path, cache_dir: Path | None, output_dir: Path | None) -> dict:
    """One measurement in this process: its result, its seconds and this process's peak memory."""
    import_everything()  # imports are not part of any figure
    tree = TreeMemory() if kind in ("full", "rerun", "rerun_changed") else None
    start = time.perf_counter()
    if kind in ("full", "rerun", "rerun_changed"):
        with contextlib.nullcontext() if PDFS else no_pdfs():
            out = measure_full(workspace, cache_dir)
    elif kind in ("intake", "cold", "warm", "changed"):
        out = measure_intake(workspace, cache_dir if kind != "intake" else None)
    elif kind == "in_process":
        out = measure_intake(workspace, None, workers=0)
    elif kind == "floor":
        out = measure_floor(workspace, output_dir)
    elif kind == "naive":
        out = measure_naive(workspace)
    else:
        raise ValueError(f"unknown measurement {kind!r}")
    seconds = time.perf_counter() - start
    if tree is not None:
        out["tree_mb"] = tree.stop()
    if kind == "floor":
        seconds = out["read_seconds"] + out["write_seconds"]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"kind": kind, "seconds": round(seconds, 3), "peak_mb": round(peak_kb / 1024), **out}


def measure_in_child(kind: str, workspace: Path, cache_dir: Path | None = None, output_dir: Path | None = None,
                     in_process: bool = False) -> dict:
    """Runs one measurement in a fresh Python (or here, for the tests) and returns what it printed."""
    if in_process:
        return run_measurement(kind, workspace, cache_dir, output_dir)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", kind, "--workspace", str(workspace)]
    if PDFS:
        cmd += ["--pdfs"]
    if cache_dir:
        cmd += ["--cache-dir", str(cache_dir)]
    if output_dir:
        cmd += ["--output-dir", str(output_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- one scenario

def touch_one_rep(workspace: Path) -> Path:
    """Edits one cell of the first rep's workbook and saves it, as a rep fixing a figure would: the amount of
    their last collection goes up by ¥1 (so the customer's 对账单, the rep's own files when the collection
    falls in them and the books over everything change); a workbook without one gets a note in its last cell."""
    import openpyxl

    path = sorted((workspace / "reps").glob("*.xlsx"))[0]
    wb = openpyxl.load_workbook(path)
    ws = wb["回款"] if "回款" in wb.sheetnames else None
    header = [c.value for c in ws[1]] if ws is not None else []
    if "回款金额" in header and ws.max_row > 1 and isinstance(ws.cell(ws.max_row, header.index("回款金额") + 1).value,
                                                          (int, float)):
        ws.cell(ws.max_row, header.index("回款金额") + 1).value += 1
    else:
        ws = wb["日报"] if "日报" in wb.sheetnames else wb.worksheets[0]
        ws.cell(row=ws.max_row, column=ws.max_column).value = f"已更正 {datetime.now():%H%M%S}"
    wb.save(path)
    return path


def best_of(runs: list[dict]) -> dict:
    """The fastest of repeated measurements (timeit's rule: noise only ever adds time), with every run's
    seconds kept in ``runs``."""
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "runs": [r["seconds"] for r in runs], "median": statistics.median(r["seconds"] for r in runs)}


def run_scenario(name: str, workspace: Path, skip_naive: bool = False, in_process: bool = False,
                 repeat: int = 1) -> dict:
    """All measurements of one workspace, each the best of ``repeat`` runs; the workspace's outputs and a
    private cache folder are written."""
    cache_root = Path(tempfile.mkdtemp(prefix="neiqin-bench-cache-"))
    os.chmod(cache_root, 0o700)
    try:
        m: dict = {"scenario": name, "workspace": str(workspace)}
        started_load = os.getloadavg()[0]
        # Each measurement and the one it is compared with are taken in turns (full, floor, full, floor …), so a
        # slow spell of the machine falls on both sides of a ratio instead of on one block of runs.
        fulls, floors, reruns, changes = [], [], [], []
        for i in range(repeat):
            shutil.rmtree(workspace / "output", ignore_errors=True)  # the cold run writes every workbook
            fulls.append(measure_in_child("full", workspace, cache_root / f"full{i}", in_process=in_process))
            floors.append(measure_in_child("floor", workspace, output_dir=Path(fulls[-1]["output_dir"]),
                                           in_process=in_process))
            reruns.append(measure_in_child("rerun", workspace, cache_root / f"full{i}", in_process=in_process))
            touch_one_rep(workspace)
            changes.append(measure_in_child("rerun_changed", workspace, cache_root / f"full{i}",
                                            in_process=in_process))
        m["full"], m["floor"] = best_of(fulls), best_of(floors)
        m["rerun"], m["rerun_changed"] = best_of(reruns), best_of(changes)
        intakes, naives, in_processes = [], [], []
        for _ in range(repeat):
            intakes.append(measure_in_child("intake", workspace, in_process=in_process))
            in_processes.append(measure_in_child("in_process", workspace, in_process=in_process))
            if not skip_naive:
                naives.append(measure_in_child("naive", workspace, in_process=in_process))
        m["intake"], m["in_process"] = best_of(intakes), best_of(in_processes)
        if naives:
            m["naive"] = best_of(naives)
        sequences = []
        for i in range(repeat):  # cold, then warm, then after one rep's edit: each time from an empty cache
            cache = cache_root / f"intake{i}"
            cold = measure_in_child("cold", workspace, cache, in_process=in_process)
            warm = measure_in_child("warm", workspace, cache, in_process=in_process)
            touch_one_rep(workspace)
            sequences.append((cold, warm, measure_in_child("changed", workspace, cache, in_process=in_process)))
        for k, kind in enumerate(("cold", "warm", "changed")):
            m[kind] = best_of([seq[k] for seq in sequences])
        m["ratios"] = ratios(m)
        m["load"] = [started_load, os.getloadavg()[0]]
        return m
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)


def ratios(m: dict) -> dict:
    full, floor = m["full"]["seconds"], m["floor"]["seconds"]
    out = {"full_over_floor": full / floor if floor else None,
           "intake_over_read": m["intake"]["seconds"] / m["floor"]["read_seconds"],
           "rerun_over_full": m["rerun"]["seconds"] / full,
           "rerun_changed_over_full": m["rerun_changed"]["seconds"] / full,
           "warm_over_cold": m["warm"]["seconds"] / m["cold"]["seconds"],
           "changed_over_warm": m["changed"]["seconds"] / m["warm"]["seconds"],
           "peak_mb": max(r.get("tree_mb", r["peak_mb"]) for r in (m["full"], m["rerun"], m["rerun_changed"])),
           # the full runs' process and its writer pool together; the floor's includes its untimed preparation
           "isolated_over_in_process": m["intake"]["median"] / m["in_process"]["median"]}
    if "naive" in m:
        out["naive_over_intake"] = m["naive"]["seconds"] / m["intake"]["seconds"]
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()}


# ---------------------------------------------------------------- the report

def machine() -> dict:
    from importlib import metadata

    import pandas as pd
    import xlsxwriter

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        cpu = platform.processor()
    mem = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu or "unknown", "memory": mem, "python": platform.python_version(),
            "pandas": pd.__version__, "xlsxwriter": xlsxwriter.__version__,
            "python-calamine": metadata.version("python-calamine"), "os": platform.platform()}


def verdict(name: str, value: float | None) -> str:
    target = TARGETS[name]
    if value is None:
        return "n/a"
    ok = value >= target if name in AT_LEAST else value <= target
    return "met" if ok else "MISSED"


def report(results: list[dict], mach: dict, repeat: int = 1) -> str:
    lines = ["# Benchmark results (benchmarks/run.py)", "",
             f"Generated {datetime.now():%Y-%m-%d %H:%M} by `python benchmarks/run.py "
             f"{' '.join('--scenario ' + r['scenario'] for r in results)} --repeat {repeat}`; each figure is the "
             f"fastest of {repeat} run(s), every run listed.", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in mach.items()), "",
             "Peak memory: `ru_maxrss` of the child process that ran the measurement (one fresh Python per "
             "measurement, interpreter and imports included); for the full runs, the sampled peak of that process "
             "and its writer pool together (`tree_mb`).", "",
             "PDFs: " + ("made by the full runs (LibreOffice)." if PDFS else
                         "none (the full runs make no PDF: LibreOffice's work, which the floor does not have)."), ""]
    for r in results:
        full, floor, rt = r["full"], r["floor"], r["ratios"]
        rows = sum(full["rows"].values())

        def runs(m: dict) -> str:
            return "" if len(m.get("runs", [])) < 2 else "runs: " + ", ".join(f"{x:.2f}" for x in m["runs"])

        load = r.get("load")
        lines += [f"## Scenario {r['scenario']}: {rows:,} rows read", "",
                  *([f"Load average (1 min) when the scenario started and ended: {load[0]:.1f}, {load[1]:.1f} "
                     f"(the machine's other users; the two sides of each ratio are taken in turns).", ""]
                    if load else []),
                  "| measurement | seconds | peak MB | notes |", "|---|---:|---:|---|",
                  f"| full daily run (mail off, cold cache, empty output folder) | {full['seconds']:.2f} | "
                  f"{full.get('tree_mb', full['peak_mb'])} | {full['files_written']} files written; failed reports: "
                  f"{full['failed'] or 'none'}; {runs(full)} |",
                  f"| the day rerun, nothing changed | {r['rerun']['seconds']:.2f} | "
                  f"{r['rerun'].get('tree_mb', r['rerun']['peak_mb'])} | "
                  f"{'whole day skipped (unchanged)' if r['rerun']['unchanged'] else 'recomputed'}; "
                  f"{r['rerun']['files_kept']} of {r['rerun']['files_written']} files kept; {runs(r['rerun'])} |",
                  f"| the day rerun, one rep's workbook changed | {r['rerun_changed']['seconds']:.2f} | "
                  f"{r['rerun_changed'].get('tree_mb', r['rerun_changed']['peak_mb'])} | "
                  f"{r['rerun_changed']['files_written'] - r['rerun_changed']['files_kept']} files written, "
                  f"{r['rerun_changed']['files_kept']} kept; {runs(r['rerun_changed'])} |",
                  f"| floor: calamine read + plain xlsxwriter write | {floor['seconds']:.2f} | | {runs(floor)} |",
                  f"| — of which the read of every input sheet | {floor['read_seconds']:.2f} | | "
                  f"{floor['cells_read']:,} cells |",
                  f"| — of which the write of every output cell | {floor['write_seconds']:.2f} | | "
                  f"{floor['cells_written']:,} cells in {floor['files_written']} files |",
                  f"| our intake, cache off | {r['intake']['seconds']:.2f} | {r['intake']['peak_mb']} | {runs(r['intake'])} |",
                  f"| — the same in one process (intake.workers: 0) | {r['in_process']['seconds']:.2f} | "
                  f"{r['in_process']['peak_mb']} | {runs(r['in_process'])} |"]
        if "naive" in r:
            lines.append(f"| naive read: pandas.read_excel(openpyxl) | {r['naive']['seconds']:.2f} | "
                         f"{r['naive']['peak_mb']} | {r['naive']['cells']:,} cells; {runs(r['naive'])} |")
        lines += [f"| intake, empty cache (cold) | {r['cold']['seconds']:.2f} | {r['cold']['peak_mb']} | {runs(r['cold'])} |",
                  f"| intake rerun, nothing changed | {r['warm']['seconds']:.2f} | {r['warm']['peak_mb']} | "
                  f"{runs(r['warm'])} |",
                  f"| intake rerun, one rep's workbook changed | {r['changed']['seconds']:.2f} | "
                  f"{r['changed']['peak_mb']} | {runs(r['changed'])} |", "",
                  "| target | value | goal | |", "|---|---:|---:|---|"]
        for key, label in (("full_over_floor", "full (writer pool) / one-process floor"),
                           ("rerun_over_full", "day rerun, nothing changed / full"),
                           ("rerun_changed_over_full", "day rerun, one rep changed / full"),
                           ("intake_over_read", "our intake / bare calamine read"),
                           ("naive_over_intake", "naive read / our intake"),
                           ("warm_over_cold", "unchanged rerun / cold intake"),
                           ("changed_over_warm", "one-changed rerun / unchanged rerun"),
                           ("peak_mb", "peak MB of the full runs, writer pool counted"),
                           ("isolated_over_in_process", "intake in workers / in one process (medians)")):
            value = rt.get(key)
            goal = ("≥ " if key in AT_LEAST else "≤ ") + str(TARGETS[key])
            lines.append(f"| {label} | {value if value is not None else 'skipped'} | {goal} | {verdict(key, value)} |")
        stages = list(dict.fromkeys([*full["timings"], *r["rerun_changed"].get("timings", {})]))
        lines += ["", "Stages of the full run and of the rerun after one rep's change (seconds, `manifest.json` "
                  "timings_seconds):", "", "| run | " + " | ".join(stages) + " |", "|---|" + "---:|" * len(stages)]
        for label, run in (("full", full), ("one rep changed", r["rerun_changed"])):
            times = run.get("timings", {})
            lines.append(f"| {label} | " + " | ".join(f"{times[s]:.2f}" if s in times else "" for s in stages) + " |")
        lines.append("")
    if len(results) > 1:
        lines += linearity(results)
    return "\n".join(lines) + "\n"


def linearity(results: list[dict]) -> list[str]:
    """Seconds per 100,000 rows read, per stage and scenario: flat across S, M, L means linear growth."""
    stages = list(results[0]["full"]["timings"])
    lines = ["## Growth with rows: seconds per 100,000 rows read", "",
             "| stage | " + " | ".join(r["scenario"] for r in results) + " |", "|---|" + "---:|" * len(results)]
    for stage in stages:
        cells = []
        for r in results:
            rows = sum(r["full"]["rows"].values())
            cells.append(f"{r['full']['timings'].get(stage, 0) / rows * 100_000:.2f}")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return lines + [""]


# ---------------------------------------------------------------- command line

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), help="S, M or L (repeatable)")
    parser.add_argument("--reps", type=int, help="a custom scenario with this many reps")
    parser.add_argument("--rows", type=int, default=5000, help="rows per rep of the custom scenario")
    parser.add_argument("--workspace", type=Path, help="an existing workspace (one scenario); else generated")
    parser.add_argument("--keep", type=Path, help="generate the workspaces under this folder and keep them")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow openpyxl read")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest is reported")
    parser.add_argument("--out", type=Path, help="write the Markdown report here (e.g. benchmarks/results.md)")
    parser.add_argument("--in-process", action="store_true", help="measure in this process (no peak memory per step)")
    parser.add_argument("--from-json", type=Path, action="append",
                        help="no measuring: the report of the scenarios saved beside an earlier --out (repeatable)")
    parser.add_argument("--pdfs", action="store_true",
                        help="the full runs make their PDFs (LibreOffice, when installed); by default they make none")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict]:
    global PDFS
    args = parse_args(argv)
    PDFS = args.pdfs
    if args.measure:  # the child process of one measurement
        print(json.dumps(run_measurement(args.measure, args.workspace, args.cache_dir, args.output_dir),
                         ensure_ascii=False))
        return []
    if args.from_json:
        results = [r for path in args.from_json for r in json.loads(path.read_text(encoding="utf-8"))]
        text = report(results, machine(), args.repeat)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        print(text)
        return results
    if args.reps:
        plans = [(f"{args.reps} reps", Scenario(args.reps, max(10, 20 * args.reps), rows=args.rows))]
    else:
        plans = [(s, SCENARIOS[s]) for s in (args.scenario or ["L"])]
    root = args.keep or Path(tempfile.mkdtemp(prefix="neiqin-bench-"))
    results = []
    try:
        for name, scenario in plans:
            workspace = args.workspace
            if workspace is None:
                workspace = root / name.replace(" ", "_")
                if not (workspace / "DEMO.txt").is_file():
                    summary = make_workspace(workspace, scenario)
                    print(f"[{name}] generated {sum(summary['rows'].values()):,} rows in {summary['seconds']} s")
            result = run_scenario(name, workspace, args.skip_naive, args.in_process, args.repeat)
            print(json.dumps({"scenario": name, "seconds": {k: v["seconds"] for k, v in result.items()
                                                            if isinstance(v, dict) and "seconds" in v},
                              "ratios": result["ratios"], "stages": result["full"]["timings"]}, ensure_ascii=False))
            results.append(result)
            if args.out:  # every scenario's raw figures as soon as it is done, for a later report (--from-json)
                args.out.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                                         encoding="utf-8")
        text = report(results, machine(), args.repeat)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        print(text)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
