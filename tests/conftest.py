"""Test-wide setup: the intake cache goes to a temporary folder, never the user's real cache; the whole days
of tests/day/whole_days.py, each run once a session for every test that asks (the golden test, the end-to-end
checks, the office suites); and the grouping that lets pytest-xdist run the suite on every core (pyproject.toml:
``-n auto --dist loadgroup``) without running a shared fixture twice.

Grouping: a test using a session fixture of tests/ (``whole_day``) goes to that fixture's group, one worker for
all of them; a test using a module fixture of tests/ goes to its module's group, so the module's workbooks are
made once. Every other test is handed to whichever worker is free. A test marked ``xdist_group`` by hand keeps
its own mark. Nothing here is needed by a test: without xdist (``-p no:xdist``, ``-n 0``) the marks do nothing.
"""

import os

import pytest

from .day.whole_days import Day, produce, update_golden


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks
def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is None or any(item.iter_markers("xdist_group")):
            continue
        group = None
        for name, defs in fixtures.name2fixturedefs.items():
            scopes = {d.scope for d in defs if getattr(d.func, "__module__", "").startswith(__package__ + ".")}
            if "session" in scopes:
                group = f"session-{name}"
                break
            if scopes & {"module", "package"} and group is None:
                group = item.module.__name__
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


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
