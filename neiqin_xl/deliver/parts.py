"""A big sheet's rows written in parts, each part compressed on its own and kept for the next run (issue 34).

The big books (合同履行一览表, 应收账款明细账) are one sheet of every row; one rep's fix changes a few of
their rows. Their rows are rendered ``writer.CHUNK_ROWS`` at a time (``writer._stream_rows``); here each
part's XML is compressed alone as a raw deflate stream ending on a byte boundary (a full flush, as pigz
does), and the sheet's zip member is the parts' streams one after another with one final empty block: a
valid deflate stream, whose CRC-32 is combined from the parts' (``crc32_combine``, zlib's arithmetic) and
whose sizes are the parts' summed. Nothing of the XML changes: the member unpacks to the very bytes a whole
write gives.

Each part is kept in the output folder's ``.parts`` (beside manifest.json) under the hash of what makes its
XML (its rows' cells, their place and styles, the shared-string index of each text: ``Parts.part``); a
rerun renders and compresses only the parts whose hash it has not kept, and copies the others' bytes. The
shared string table of a book is kept too (``seed``): the next write of the book starts from it, so a text
keeps its index and the parts that hold it their bytes; a text no longer used stays in the table (harmless:
no cell points at it) until the table has grown by half since the book last started afresh, when it
starts afresh again (every part rendered anew). On a cold run the parts
compress in a pool of threads, one per core, while the next part renders (zlib lets go of the GIL).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

log = logging.getLogger("neiqin_xl")

PARTS_DIR = ".parts"  # in the output folder, beside manifest.json
MARKER = "\x00"  # around a part's number in the worksheet XML xlsxwriter writes: never in XML (escaped _x0000_)
FINAL_BLOCK = b"\x03\x00"  # an empty final block of fixed codes: what ends the deflate stream
LEVEL = 6  # zlib's default, what xlsxwriter's zipfile uses
CODE = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("[wp]*.py")))
                       + zlib.ZLIB_VERSION.encode() + xlsxwriter.__version__.encode()).hexdigest()  # writer.py, parts.py (and pool.py, publish.py)


# ---------------------------------------------------------------- CRC-32 of a concatenation

def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from crc1 = crc32(A), crc2 = crc32(B) and len2 = len(B): zlib's crc32_combine,
    the GF(2) matrix method: crc1 is run through len2 zero bytes by squaring the one-zero-bit operator
    (a 32×32 bit matrix, one int per column) and applying the powers of two len2 is made of, then xored
    with crc2.

    >>> a, b = "合同履行".encode(), "一览表".encode()
    >>> crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    True
    """
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << i for i in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:  # the first square below gives one zero byte
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


# ---------------------------------------------------------------- one part

@dataclass(frozen=True)
class Part:
    """A part's XML compressed alone: ``data`` a raw deflate stream ending on a byte boundary, not final;
    ``crc`` and ``size`` those of the XML (UTF-8); ``texts`` how many text cells it holds (the shared string
    table's ``count``)."""
    data: bytes
    crc: int
    size: int
    texts: int = 0


def compress(xml: bytes, texts: int = 0) -> Part:
    """``xml`` as a part: deflated with a fresh compressor, then a full flush (an empty stored block: the
    stream ends on a byte boundary, and the next part needs nothing of this one's window)."""
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return Part(c.compress(xml) + c.flush(zlib.Z_FULL_FLUSH), zlib.crc32(xml), len(xml), texts)


def joined(parts: list[Part]) -> tuple[list[bytes], int, int, int]:
    """The parts as one deflate stream: its pieces (the final empty block last), its CRC-32, its unpacked and
    packed sizes."""
    crc, size = 0, 0
    for p in parts:
        crc = crc32_combine(crc, p.crc, p.size)
        size += p.size
    pieces = [p.data for p in parts] + [FINAL_BLOCK]
    return pieces, crc, size, sum(len(p) for p in pieces)


# ---------------------------------------------------------------- the parts of a book

class Parts:
    """The parts of one workbook's big sheets: kept ones read from ``folder`` (None: a write that keeps
    nothing, as a test's whole-vs-parts comparison wants), new ones compressed in a thread pool."""

    def __init__(self, folder: Path | None, book: str):
        self.folder = Path(folder) if folder else None
        self.name = book
        self.book = hashlib.sha256(book.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        self.parts: list[Future | Part] = []
        self.keys: list[str] = []
        self.compressed = 0  # parts rendered and compressed by this write (the rest were kept)
        self.converted = 0  # parts whose rows were converted, measured and hashed (the rest: ``source``)
        self.sources: dict[str, dict] = {}  # the last write's parts by the hash of their source rows
        self.recorded: dict[str, dict] = {}  # this write's, for the next
        self.texts: list[str] = []  # the book's last shared string table, when this write starts from it
        self._pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))

    # the book's shared string table and the parts it used, from its last write
    def _book_file(self) -> Path | None:
        return self.folder / f"{self.book}.json" if self.folder else None

    def seed(self) -> list[str]:
        """The texts of the book's last shared string table, in index order ([] for none or a stale one)."""
        path = self._book_file()
        try:
            last = json.loads(path.read_text(encoding="utf-8")) if path else {}
        except (OSError, ValueError):
            return []
        texts = last.get("texts", [])
        if last.get("code") != CODE or len(texts) * 2 > last.get("fresh", 0) * 3:  # grown by half: afresh
            return []
        if len(set(texts)) != len(texts):  # not a table xlsxwriter wrote (a text twice): afresh
            return []
        self.sources, self.texts = last.get("sources", {}), texts
        return texts

    # a part known by its source rows: what the write needs of it without converting them
    def source(self, key: str) -> tuple[dict, Part] | None:
        """What the last write recorded (``remember``) of the part whose source rows and layout hash to ``key``,
        and the part, when it is still kept; else None (the rows are converted and the part rendered)."""
        record = self.sources.get(key)
        part = self._kept(record["part"]) if record else None
        return (record, part) if part is not None else None

    def remember(self, key: str, record: dict) -> None:
        """What a write needs of a part besides its XML, under the hash of its source rows (``key``): the key of
        its XML (``part``), the shared-string index of each of its texts in the order they enter the table and
        how many cells hold each, its rows' heights, the widths its columns ask for, its columns' sums."""
        self.recorded[key] = record

    def again(self, key: str, record: dict, part: Part) -> int:
        """The kept ``part`` of ``record`` (``source``) as the next part; returns its number, for the marker."""
        self.keys.append(record["part"])
        self.parts.append(part)
        self.recorded[key] = record
        return len(self.parts) - 1

    def part(self, key_material: bytes, texts: int, render) -> int:
        """The part whose XML is ``render()`` (a ``str``), kept under the hash of ``key_material`` (all its
        XML is a function of); returns its number, for the marker in the sheet."""
        key = hashlib.sha256(CODE.encode() + key_material).hexdigest()
        self.keys.append(key)
        kept = self._kept(key)
        if kept is not None:
            self.parts.append(kept)
        else:
            pending = [p for p in self.parts if isinstance(p, Future) and not p.done()]
            if len(pending) > 2 * self._pool._max_workers:  # the XML waiting to be compressed stays bounded
                pending[0].result()
            xml = render().encode("utf-8")
            self.compressed += 1
            self.parts.append(self._pool.submit(compress, xml, texts))
        return len(self.parts) - 1

    def _kept(self, key: str) -> Part | None:
        if not self.folder:
            return None
        try:
            raw = (self.folder / f"{key}.part").read_bytes()
        except OSError:
            return None
        if len(raw) < 24:
            return None
        crc, size, texts, length = struct.unpack("<IQIQ", raw[:24])
        return Part(raw[24:], crc, size, texts) if length == len(raw) - 24 else None

    def done(self) -> list[Part]:
        """Every part, compressed."""
        parts = [p.result() if isinstance(p, Future) else p for p in self.parts]
        self._pool.shutdown()
        return parts

    def keep(self, parts: list[Part], texts: list[str], seeded: bool) -> None:
        """The new parts kept; the book's record written (its table ``texts``, the size the table had when it
        last started afresh, the parts it uses); the parts it used before and no longer does, deleted."""
        log.info("%s: 大表分 %d 块写出, 其中 %d 块重新生成, %d 块沿用上次 (%d 块的行重新转换)", self.name, len(parts),
                 self.compressed, len(parts) - self.compressed, self.converted)
        if not self.folder:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for key, p in zip(self.keys, parts):
            path = self.folder / f"{key}.part"
            if not path.exists():
                _replace(path, struct.pack("<IQIQ", p.crc, p.size, p.texts, len(p.data)) + p.data)
        book = self._book_file()
        try:
            last = json.loads(book.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            last = {}
        before = set(last.get("keys", []))
        fresh = last.get("fresh", len(texts)) if seeded else len(texts)
        record = {"code": CODE, "texts": texts, "fresh": fresh, "keys": self.keys, "sources": self.recorded}
        tmp = book.with_name(f".~{book.name}.{os.getpid()}")
        with open(tmp, "w", encoding="ascii") as fh:
            _write_json(fh, record)
        os.replace(tmp, book)
        for key in before - set(self.keys):
            try:
                (self.folder / f"{key}.part").unlink()
            except OSError:
                pass


def _write_json(fh, value, chunk: int = 20_000) -> None:
    """``value`` as JSON into ``fh``, a long list a slice at a time: a big book's record (its table's texts, its
    parts' text indexes) is tens of MB as text, too much to hold twice as one string (``json.dumps``), and
    ``json.dump`` encodes in Python, ten times slower.

    >>> import io; fh = io.StringIO(); _write_json(fh, {"texts": ["a", "b", "c"], "n": [1]}, chunk=2); fh.getvalue()
    '{"texts":["a", "b","c"],"n":[1]}'
    >>> record = {"texts": ["甲", "b", "c"], "sources": {"k": {"index": [3, 1, 2]}}, "fresh": 3}
    >>> fh = io.StringIO(); _write_json(fh, record, chunk=2); json.loads(fh.getvalue()) == record
    True
    """
    if isinstance(value, dict):
        fh.write("{")
        for i, (key, item) in enumerate(value.items()):
            fh.write(("," if i else "") + json.dumps(key) + ":")
            _write_json(fh, item, chunk)
        fh.write("}")
    elif isinstance(value, list) and len(value) > chunk:
        fh.write("[")
        for i in range(0, len(value), chunk):
            fh.write(("," if i else "") + json.dumps(value[i:i + chunk])[1:-1])
        fh.write("]")
    else:
        fh.write(json.dumps(value))


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".~{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- the zip, with the parts in their members

def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def assemble(source: Path, target: Path, parts: list[Part]) -> None:
    """``source`` (the zip xlsxwriter wrote, its worksheets holding markers ``\\0n\\0`` where part n goes)
    written again as ``target``: a member with markers becomes its XML between the markers compressed
    alone and the parts' streams in their places; every other member's compressed bytes are copied as
    they are."""
    members = []  # (info, pieces, crc, size, packed)
    with zipfile.ZipFile(source) as zin, open(source, "rb") as raw:
        for info in zin.infolist():
            data = zin.read(info) if info.filename.startswith("xl/worksheets/sheet") else None
            if data is not None and MARKER.encode() in data:
                bits = data.split(MARKER.encode())
                pieces = [compress(b) if i % 2 == 0 else parts[int(b)] for i, b in enumerate(bits)]
                members.append((info, *joined(pieces)))
                continue
            raw.seek(info.header_offset)
            head = raw.read(30)
            skip = struct.unpack("<HH", head[26:30])
            raw.seek(info.header_offset + 30 + skip[0] + skip[1])
            members.append((info, [raw.read(info.compress_size)], info.CRC, info.file_size, info.compress_size))
    if any(size >= 0xFFFFFFFF or packed >= 0xFFFFFFFF for _, _, _, size, packed in members) \
            or sum(m[4] for m in members) >= 0xFFFFFFFF:
        raise ValueError("a part-written workbook needs ZIP64")  # far beyond any book's size: written whole
    central, offset = [], 0
    with open(target, "wb") as out:
        for info, pieces, crc, size, packed in members:
            name = info.filename.encode("utf-8")
            flags = 0x800 if not name.isascii() else 0
            method = info.compress_type if len(pieces) == 1 and info.compress_type != zipfile.ZIP_DEFLATED \
                else zipfile.ZIP_DEFLATED
            t, d = _dos_time(info)
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, t, d, crc, packed, size,
                                  len(name), 0) + name)
            for piece in pieces:
                out.write(piece)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, t, d, crc, packed,
                                       size, len(name), 0, 0, 0, 0, info.external_attr, offset) + name)
            offset += 30 + len(name) + packed
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
