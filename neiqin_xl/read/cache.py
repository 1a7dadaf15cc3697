"""The intake cache: a workbook that has not changed since the last run is not parsed again.

Part of the first step of the day (``read workbooks``, ``intake.read_workspace``). After a workbook is
parsed, what the intake learnt from it — its frames (one per schema sheet), its file-level problems and
its ``Tables.inputs`` entry — is stored; the next run, when the file's bytes and everything that shapes
the parse are the same, takes them from the cache instead of opening the file. A rerun after fixing one
rep's cell then parses that one workbook only.

The key of an entry (all must match, else the workbook is parsed again and the entry replaced):
- the sha256 of the file's bytes, and its file name (the rep is the file's, ``folders.rep_of``; problems name the file);
- how it is read: the sheet definitions (schema), the rep, the month (finance/attendance), the fallback
  to the first visible sheet;
- the ``intake`` section of config.yaml (header_scan_rows, column and sheet aliases, ...);
- the program: ``neiqin_xl.__version__``, ``CACHE_FORMAT`` and a hash of the source of the modules that
  parse (intake, reader, parse, folders, schema, names, model, cache), so an edited parser never reuses old
  results.
Parsing does not depend on the run date (dates are parsed as typed; checks against the run date are made
later, in ``validate``), so the run date is not part of the key.

Where and in what form — a decision about safety as much as speed:
- The cache lives outside the shared workspace, in a per-user folder: ``%LOCALAPPDATA%\\neiqin_xl\\cache``
  on Windows, ``$XDG_CACHE_HOME/neiqin_xl`` (default ``~/.cache/neiqin_xl``) elsewhere;
  ``intake.cache_dir`` in config.yaml overrides it, ``intake.cache: false`` turns it off.
- Entries are data, never pickle (one ``.entry`` file per input workbook, named by a hash of its absolute
  path): a line of JSON (names, dtypes, the distinct texts of each text column, where each array lies)
  followed by the arrays' raw little-endian bytes, read back with ``np.frombuffer``. A cache entry
  cannot execute code when loaded, whoever wrote it. Values are exact: money is integer fen, dates are
  their integer ticks (NaT included), text is distinct values and codes, and dtypes are restored by name.
- Still, a cache entry is trusted data: whoever can write it can change the figures. So the cache is used
  only from a folder the clerk alone can write: on POSIX the folder and each entry must be owned by the
  current user and not writable by group or others (os.stat); on Windows, only a folder inside the
  user's own %LOCALAPPDATA%. Any other folder is refused with a warning in the log, and every workbook is
  parsed as if there were no cache. Entries are written atomically with mode 0600 in a 0700 folder.
- One entry per input file path, replaced when the file changes; entries unused for
  ``PRUNE_AFTER_DAYS`` days are deleted when the cache is opened.
A cache problem (unreadable entry, full disk) never stops the run: the workbook is simply parsed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..core.config import Settings
from ..core.files import write_atomic
from ..core.model import Problem

log = logging.getLogger("neiqin_xl")

CACHE_FORMAT = 3
ENTRY_SUFFIX = ".entry"
PRUNE_AFTER_DAYS = 30
_PARSING_MODULES = ("read.intake", "read.reader", "read.parse", "read.folders", "core.schema", "core.names", "core.model",
                    "read.cache")
_PLAIN_DTYPES = ("int64", "float64", "bool")
_NOT_PARSING = {"cache", "cache_dir", "workers", "max_seconds", "max_memory_mb"}  # intake settings that change no result


@dataclass(frozen=True)
class WorkbookCache:
    """An opened, trusted cache folder and the fingerprint of the program and settings that parse."""

    folder: Path
    fingerprint: str

    def entry_path(self, path: Path) -> Path:
        return self.folder / (hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:32] + ENTRY_SUFFIX)

    def key(self, path: Path, digest: str, how: dict) -> str:
        text = json.dumps({"fingerprint": self.fingerprint, "file": Path(path).name, "sha256": digest, **how},
                          ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load(self, path: Path, digest: str, how: dict) -> tuple[dict[str, pd.DataFrame], list[Problem], dict] | None:
        """What the intake learnt from this file, when the entry's key matches; None otherwise."""
        entry = self.entry_path(path)
        try:
            if not entry.is_file() or untrusted_reason(entry, expect_dir=False):
                return None
            data, blob = read_entry(entry.read_bytes())
            if data.get("key") != self.key(path, digest, how):
                return None
            frames = {name: decode_frame(f, blob) for name, f in data["frames"].items()}
            problems = [Problem(**p) for p in data["problems"]]
            os.utime(entry)  # recently used: not pruned
            return frames, problems, data["info"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("缓存条目 %s 不可用, 重新读取: %s", entry.name, exc)
            return None

    def store(self, path: Path, digest: str, how: dict, frames: dict[str, pd.DataFrame], problems: list[Problem],
              info: dict) -> bool:
        """Stores one file's result; False (and nothing stored) when a frame cannot be kept exactly."""
        try:
            blob = bytearray()
            encoded = {name: encode_frame(frame, blob) for name, frame in frames.items()}
            header = {"key": self.key(path, digest, how), "file": Path(path).name, "frames": encoded,
                      "problems": [dataclasses.asdict(p) for p in problems], "info": info}
            write_atomic(self.entry_path(path), entry_bytes(header, blob))  # owner-only, like its folder
            return True
        except (TypeError, ValueError, OSError) as exc:
            log.debug("未缓存 %s: %s", Path(path).name, exc)
            return False


# ---------------------------------------------------------------- opening the folder

def default_cache_dir() -> Path:
    """The per-user cache folder: %LOCALAPPDATA%\\neiqin_xl\\cache on Windows, ~/.cache/neiqin_xl elsewhere."""
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "neiqin_xl" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "neiqin_xl"


def open_cache(settings: Settings) -> WorkbookCache | None:
    """The cache for this run (``settings.intake``), or None when it is off or its folder is not trusted."""
    intake = settings.intake
    if not intake.cache:
        return None
    folder = default_cache_dir() if intake.cache_dir is None else Path(intake.cache_dir)
    if not folder.is_absolute():
        folder = settings.base_dir / folder  # relative to config.yaml's folder
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("无法创建缓存文件夹 %s (%s), 本次不使用缓存", folder, exc)
        return None
    reason = untrusted_reason(folder, expect_dir=True)
    if reason:
        log.warning("不使用缓存文件夹 %s: %s; 所有工作簿重新读取 (请在 config.yaml 的 intake.cache_dir 指定只有本人"
                    "可写的文件夹)", folder, reason)
        return None
    prune(folder, PRUNE_AFTER_DAYS)
    return WorkbookCache(folder, program_fingerprint(intake))


def untrusted_reason(path: Path, expect_dir: bool) -> str:
    """Why ``path`` must not feed the cache ("" when it may): owner, permissions, or (Windows) place."""
    if os.name == "nt":
        home = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local").resolve()
        resolved = Path(path).resolve()
        return "" if resolved == home or home in resolved.parents else f"不在本人的 LOCALAPPDATA ({home}) 之内"
    st = os.stat(path, follow_symlinks=False)
    if expect_dir and not os.path.isdir(path):
        return "不是文件夹"
    if st.st_uid != os.getuid():
        return f"属于其他用户 (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"组或其他用户可写 (权限 {st.st_mode & 0o777:o})"
    return ""


def prune(folder: Path, days: int) -> None:
    """Deletes entries not used for ``days`` days (files of gone workspaces, tests' temporary folders)."""
    limit = time.time() - days * 86400
    try:
        for entry in [*folder.glob("*" + ENTRY_SUFFIX), *folder.glob("*.json")]:  # .json: format 1 and 2
            if entry.stat().st_mtime < limit:
                entry.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("清理缓存失败: %s", exc)


def program_fingerprint(intake_settings) -> str:
    """Version, cache format, the parsing modules' source and the intake settings, as one hash."""
    h = hashlib.sha256(f"{__version__}|{CACHE_FORMAT}|".encode())
    package = sys.modules[__package__.rpartition(".")[0]]
    for name in _PARSING_MODULES:
        module = sys.modules.get(f"{package.__name__}.{name}")
        source = getattr(module, "__file__", None)
        h.update(name.encode())
        if source and os.path.isfile(source):
            h.update(Path(source).read_bytes())
    h.update(json.dumps(intake_settings.model_dump(mode="json", exclude=_NOT_PARSING),
                        ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return h.hexdigest()


# ---------------------------------------------------------------- frames, exactly: a JSON header and raw arrays

def entry_bytes(header: dict, blob: bytes | bytearray) -> bytes:
    """An entry: one line of JSON (names, dtypes, distinct texts, where each array lies), then the arrays'
    little-endian bytes. Nothing in it is code; numbers are read back with ``np.frombuffer``."""
    return json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n" + bytes(blob)


def read_entry(data: bytes) -> tuple[dict, memoryview]:
    line = data.index(b"\n")  # JSON without indent has no raw newline
    return json.loads(data[:line]), memoryview(data)[line + 1:]


def encode_frame(frame: pd.DataFrame, blob: bytearray) -> dict:
    """A frame as columns [name, dtype, values], its arrays appended to ``blob``; raises ValueError for what
    it cannot keep exactly."""
    if not (isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1):
        raise ValueError("index is not a plain RangeIndex")
    columns = []
    for name in frame.columns:
        series = frame[name]
        dtype = str(series.dtype)
        if dtype.startswith("datetime64[") and series.dt.tz is None:
            values = {"array": packed(series.to_numpy().view("i8"), blob)}  # NaT is the smallest int64
        elif dtype in _PLAIN_DTYPES:
            values = {"array": packed(series.to_numpy(), blob)}
        elif dtype in ("str", "string") or (dtype == "object" and all_text(series)):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)  # text as distinct values + codes
            small = "i2" if len(uniques) < 2 ** 15 else "i4"
            distinct = np.asarray(uniques, dtype=object).tolist()  # not iterated cell by cell through pandas
            values = {"uniques": [u if isinstance(u, str) else str(u) for u in distinct],
                      "codes": packed(codes.astype(small), blob)}
        elif dtype in ("Int64", "boolean"):
            values = series.astype(object).where(series.notna(), None).tolist()
        else:
            raise ValueError(f"column {name!r} of dtype {dtype} is not cached")
        columns.append([str(name), dtype, values])
    return {"rows": len(frame), "columns": columns}


def decode_frame(data: dict, blob: bytes | memoryview) -> pd.DataFrame:
    columns = {}
    for name, dtype, values in data["columns"]:
        if dtype.startswith("datetime64["):
            columns[name] = unpacked(values["array"], blob).view(dtype)
        elif dtype in _PLAIN_DTYPES:
            columns[name] = unpacked(values["array"], blob)
        elif isinstance(values, dict):  # text: distinct values and codes, -1 = missing
            uniques = np.array([*values["uniques"], None], dtype=object)
            columns[name] = pd.array(uniques.take(unpacked(values["codes"], blob)), dtype=pandas_dtype(dtype))
        else:
            columns[name] = pd.array(np.array(values, dtype=object), dtype=pandas_dtype(dtype))
    return pd.DataFrame(columns, index=pd.RangeIndex(data["rows"]), copy=False)


@functools.cache
def pandas_dtype(name: str):
    """A dtype by name, resolved once (pandas' registry lookup is slow beside the column itself)."""
    return pd.api.types.pandas_dtype(name)


def packed(array: np.ndarray, blob: bytearray) -> dict:
    """Appends ``array``'s little-endian bytes to ``blob``; returns where they lie and how to read them."""
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    where = {"dtype": little.dtype.str, "offset": len(blob), "count": len(little)}
    blob += little.tobytes()
    return where


def unpacked(where: dict, blob: bytes | memoryview) -> np.ndarray:
    """The array ``packed`` stored, as a writable array in the machine's byte order."""
    dtype = np.dtype(where["dtype"])
    stored = np.frombuffer(blob, dtype=dtype, count=where["count"], offset=where["offset"])
    return stored.astype(dtype.newbyteorder("="))


def all_text(series: pd.Series) -> bool:
    return all(v is None or isinstance(v, str) for v in series)
