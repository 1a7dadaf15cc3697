"""Compares two output folders of the daily run cell by cell: the check that a speed-up changed nothing.

    python benchmarks/compare_outputs.py BEFORE AFTER [--limit 20]

Every .xlsx under BEFORE must exist under AFTER (and no other) with the same sheets, and every cell the
same value as python-calamine reads it back (numbers compared exactly, formulas by their cached value).
Prints the differences as ``file[sheet]!A1: before -> after`` and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import python_calamine as pc
from xlsxwriter.utility import xl_rowcol_to_cell


def read_book(path: Path) -> dict[str, list[list]]:
    book = pc.CalamineWorkbook.from_path(str(path))
    try:
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    finally:
        book.close()


def workbooks(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*.xlsx"))
            if not p.name.startswith((".~", "~$"))}


def differences(before: Path, after: Path):
    old, new = workbooks(before), workbooks(after)
    for rel in sorted(old.keys() - new.keys()):
        yield f"{rel}: missing after"
    for rel in sorted(new.keys() - old.keys()):
        yield f"{rel}: new after"
    for rel in sorted(old.keys() & new.keys()):
        a, b = read_book(old[rel]), read_book(new[rel])
        if list(a) != list(b):
            yield f"{rel}: sheets {list(a)} -> {list(b)}"
            continue
        for sheet, rows in a.items():
            other = b[sheet]
            for r in range(max(len(rows), len(other))):
                left = rows[r] if r < len(rows) else []
                right = other[r] if r < len(other) else []
                for c in range(max(len(left), len(right))):
                    x = left[c] if c < len(left) else ""
                    y = right[c] if c < len(right) else ""
                    if x != y or type(x) is not type(y) and not (isinstance(x, (int, float)) and isinstance(y, (int, float))):
                        yield f"{rel}[{sheet}]!{xl_rowcol_to_cell(r, c)}: {x!r} -> {y!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--limit", type=int, default=20, help="differences to print (default 20)")
    args = parser.parse_args(argv)
    count = 0
    for line in differences(args.before, args.after):
        count += 1
        if count <= args.limit:
            print(line)
    print(f"{count} difference(s); {len(workbooks(args.before))} workbooks compared")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
