"""Test-wide setup: the intake cache goes to a temporary folder, never the user's real cache; and the whole days
of tests/day/whole_days.py, each run once a session for every test that asks (the golden test, the end-to-end
checks, the office suites)."""

import os

import pytest

from .day.whole_days import Day, produce, update_golden


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path_factory.getbasetemp() / "localappdata"))


@pytest.fixture(scope="session")
def whole_day(tmp_path_factory):
    """``whole_day(name)``: the Day of ``whole_days.DAYS[name]``, run on first use (and, with NEIQIN_UPDATE_GOLDEN
    set, written over its golden folder). Read it, never change it: other tests read the same folder."""
    days: dict[str, Day] = {}

    def of(name: str) -> Day:
        if name not in days:
            days[name] = produce(name, tmp_path_factory.mktemp(name))
            if os.environ.get("NEIQIN_UPDATE_GOLDEN"):
                update_golden(name, days[name])
        return days[name]

    return of
