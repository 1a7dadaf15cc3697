"""The whole days the golden test keeps, run once each for every test that looks at them (tests/day/conftest.py's
``whole_day`` fixture): the demo on a month end and on a year end, the S benchmark workspace on the month end.

The demo days are run as the clerk's first run: a copy of the shipped config.yaml beside an empty ``workbooks``
folder (the default workspace, which gets the demo on the first run), the console in GBK (Chinese Windows), no
SMTP password (the mail goes to the outbox). The S day is made by benchmarks/make_workspace.py and run with mail
off. ``digest`` is benchmarks/compare_outputs.py's text of the output folder, cut by report (``split``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(ROOT / "benchmarks"))

import compare_outputs  # noqa: E402

DAYS = {  # name: (how the workspace is made, run date, detail of the digest)
    "demo_2026-11-30": ("demo", "2026-11-30", "rows"),
    "demo_2026-12-31": ("demo", "2026-12-31", "rows"),
    "S_2026-11-30": ("S", "2026-11-30", "columns"),
}


@dataclass
class Day:
    workspace: Path
    out_dir: Path
    console: str  # what the run printed
    digest: dict[str, list[str]]  # by part: report, manifest, styles


def run(args: list[str], env: dict, cwd: Path = ROOT, encoding: str = "utf-8") -> str:
    """``python <args>`` in ``cwd``; fails the test with its output unless it exits 0; gives its stdout."""
    proc = subprocess.run([sys.executable, *args], capture_output=True, env=env, cwd=str(cwd), timeout=600)
    assert proc.returncode == 0, proc.stdout.decode(encoding, "replace") + proc.stderr.decode(encoding, "replace")
    return proc.stdout.decode(encoding)


def produce(name: str, tmp: Path) -> Day:
    """A fresh workspace, the day's run, and the digest of its output folder."""
    kind, day, detail = DAYS[name]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "LOCALAPPDATA": str(tmp / "cache")}
    env.pop("NEIQIN_SMTP_PASSWORD", None)
    if kind == "demo":
        workspace = tmp / "workbooks"
        config = tmp / "config.yaml"
        config.write_bytes((ROOT / "config.yaml").read_bytes())
        console = run([str(ROOT / "run_daily.py"), "--config", str(config), "--date", day], {**env, "PYTHONIOENCODING": "gbk"},
                      cwd=Path("/"), encoding="gbk")
    else:
        workspace = tmp / "工作区"
        run([str(ROOT / "benchmarks" / "make_workspace.py"), "--scenario", kind, str(workspace)], env)
        console = run(["run_daily.py", "--workspace", str(workspace), "--date", day, "--no-email", "--quiet"], env)
    out_dir = workspace / "output" / day
    return Day(workspace, out_dir, console, compare_outputs.split(compare_outputs.digest(out_dir, detail)))


def golden_parts(name: str) -> dict[str, list[str]]:
    """The kept digest of a day, by part (report, manifest, styles)."""
    return {p.stem: p.read_text(encoding="utf-8").splitlines() for p in sorted((GOLDEN / name).glob("*.txt"))}


def golden_digest(name: str) -> list[str]:
    """The kept digest of a day, whole, as ``compare_outputs.digest`` gives it."""
    return compare_outputs.join(golden_parts(name))


def update_golden(name: str, day: Day) -> None:
    """Write the day's digest over its golden folder (NEIQIN_UPDATE_GOLDEN=1)."""
    folder = GOLDEN / name
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.txt"):
        stale.unlink()
    for part, lines in day.digest.items():
        (folder / f"{part}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
