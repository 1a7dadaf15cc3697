"""Where a rerun after one rep's change spends its time: the day run cold, one collection changed, the day run
again under cProfile, all in one process (intake and writer pools off, so the profile sees every stage).

    python benchmarks/profile_rerun.py WORKSPACE [--out rerun.prof] [--top 40]

WORKSPACE is a generated one (``make_workspace.py --scenario M /tmp/M``); its output folder and a private
intake cache beside it are written. Prints each stage's seconds (``timings_seconds``) and the functions
with the most time of their own; the profile is kept in ``--out`` for ``python -m pstats``. The figures of
benchmarks/results.md's "Where a one-rep-changed rerun spends its time" were taken this way.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import run as bench  # noqa: E402


def one_process(workspace: Path, cache: Path):
    settings = bench.settings_for(workspace, cache, workers=0)
    return settings.model_copy(update={"writing": settings.writing.model_copy(update={"workers": 0})})


def day(workspace: Path, cache: Path) -> tuple[float, dict]:
    from neiqin_xl.pipeline import RunOptions, run_day

    start = time.perf_counter()
    result = run_day(one_process(workspace, cache), bench.run_date_of(workspace), RunOptions(no_email=True))
    return time.perf_counter() - start, result.manifest["timings_seconds"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--out", type=Path, default=Path("rerun.prof"))
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    bench.import_everything()
    cache = args.workspace.parent / f".{args.workspace.name}-profile-cache"
    shutil.rmtree(args.workspace / "output", ignore_errors=True)
    seconds, _ = day(args.workspace, cache)
    print(f"cold run {seconds:.2f} s")
    print("changed:", bench.touch_one_rep(args.workspace))
    profile = cProfile.Profile()
    profile.enable()
    seconds, stages = day(args.workspace, cache)
    profile.disable()
    profile.dump_stats(args.out)
    print(f"rerun after one rep's change, under cProfile: {seconds:.2f} s")
    for name, took in sorted(stages.items(), key=lambda kv: -kv[1]):
        if took >= 0.05:
            print(f"  {name:20s} {took:7.2f} s  {took / seconds:5.1%}")
    pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
