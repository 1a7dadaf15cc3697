"""Output folders of the daily run as a text digest, and two of them compared: the golden test's tool.

    python benchmarks/compare_outputs.py digest OUTPUT_DIR [--detail rows|columns] > digest.txt
    python benchmarks/compare_outputs.py compare BEFORE AFTER [--detail rows|columns] [--limit 20]

A digest is what a manager would see of every output workbook, as text: per sheet its size, frozen panes,
print setup, merged cells, column widths, row heights, charts (type and the ranges they plot), data
validations and conditional formats, then the cells with their values (formulas with their cached value)
and their styles (number format, font, fill, alignment, border) resolved from styles.xml, so the same look
written with other style numbers digests the same. Read straight from the zip's XML, not through a
library that might hide a difference. ``--detail rows`` writes every row's values (the demo: a changed
cell shows in the git diff of the golden file); ``columns`` one hash per column (the S workspace, where the
values would be megabytes), which still names the sheet and the column that changed. manifest.json's
``figures`` are part of the digest too. Layout lines are the same in both details.

``compare`` digests both folders and prints the lines that differ; exit 1 when any do.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import posixpath
import re
import sys
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"}
_M = "{%s}" % NS["m"]
_CELL = re.compile(r"([A-Z]+)(\d+)")
_BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "mm-dd-yy",
                    22: "m/d/yy h:mm", 49: "@"}
# sheet parts whose XML is the layout as it stands (after the style numbers in <cols> are resolved)
_LAYOUT_PARTS = ("sheetPr", "sheetViews", "sheetFormatPr", "autoFilter", "mergeCells", "conditionalFormatting",
                 "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                 "rowBreaks", "colBreaks")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _compact(element: ET.Element) -> str:
    """An element as one line: tag, sorted attributes, children, without namespaces."""
    attrs = ",".join(f"{_local(k)}={v}" for k, v in sorted(element.attrib.items()))
    inner = "".join(_compact(child) for child in element)
    text = (element.text or "").strip()
    return f"{_local(element.tag)}({attrs}){'[' + text + ']' if text else ''}{'{' + inner + '}' if inner else ''}"


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    if rels_path not in zf.namelist():
        return {}
    root = ET.fromstring(zf.read(rels_path))
    return {r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target")))
            for r in root.findall("rel:Relationship", NS)}


def _styles(zf: zipfile.ZipFile) -> list[str]:
    """Every cell style (xf) resolved to a readable description, by its number."""
    if "xl/styles.xml" not in zf.namelist():
        return []
    root = ET.fromstring(zf.read("xl/styles.xml"))
    formats = dict(_BUILTIN_FORMATS)
    for nf in root.iterfind("m:numFmts/m:numFmt", NS):
        formats[int(nf.get("numFmtId"))] = nf.get("formatCode")
    fonts = [_compact(f) for f in root.iterfind("m:fonts/m:font", NS)]
    fills = [_compact(f) for f in root.iterfind("m:fills/m:fill", NS)]
    borders = [_compact(b) for b in root.iterfind("m:borders/m:border", NS)]
    described = []
    for xf in root.iterfind("m:cellXfs/m:xf", NS):
        parts = [f"fmt={formats.get(int(xf.get('numFmtId', 0)), xf.get('numFmtId'))}",
                 f"font={fonts[int(xf.get('fontId', 0))]}" if fonts else "",
                 f"fill={fills[int(xf.get('fillId', 0))]}" if fills else "",
                 f"border={borders[int(xf.get('borderId', 0))]}" if borders else ""]
        parts += [_compact(child) for child in xf]  # alignment, protection
        described.append(" ".join(p for p in parts if p))
    return described


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in zf.namelist():
        return []
    root = ET.fromstring(zf.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter(f"{_M}t")) for si in root.iterfind("m:si", NS)]


def _cell_value(c: ET.Element, strings: list[str]) -> str:
    kind, v, f = c.get("t", "n"), c.find("m:v", NS), c.find("m:f", NS)
    if kind == "inlineStr":
        value = "".join(t.text or "" for t in c.iter(f"{_M}t"))
    elif v is None:
        value = ""
    elif kind == "s":
        value = strings[int(v.text)]
    elif kind == "n":
        value = repr(float(v.text)) if v.text else ""
        value = value[:-2] if value.endswith(".0") else value
    else:
        value = f"{kind}:{v.text}"
    if f is not None:
        value = f"={f.text or ''}→{value}"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _runs(labels: list[str]) -> str:
    """['a', 'a', 'b'] -> 'a*2 b': styles down a column, run-length encoded."""
    out: list[str] = []
    for label in labels:
        if out and out[-1][0] == label:
            out[-1][1] += 1
        else:
            out.append([label, 1])
    return " ".join(label if n == 1 else f"{label}*{n}" for label, n in out)


def _charts(zf: zipfile.ZipFile, sheet_part: str, root: ET.Element) -> list[str]:
    lines = []
    rels = _rels(zf, sheet_part)
    for drawing in root.iterfind("m:drawing", NS):
        drawing_part = rels.get(drawing.get(f"{{{NS['r']}}}id"))
        if drawing_part not in zf.namelist():
            continue
        drawing_rels = _rels(zf, drawing_part)
        droot = ET.fromstring(zf.read(drawing_part))
        for anchor in droot:
            where = anchor.find("xdr:from", NS)
            at = "" if where is None else f"@{where.findtext('xdr:col', '', NS)},{where.findtext('xdr:row', '', NS)}"
            for chart in anchor.iter(f"{{{NS['c']}}}chart"):
                chart_part = drawing_rels.get(chart.get(f"{{{NS['r']}}}id"))
                croot = ET.fromstring(zf.read(chart_part))
                plot = croot.find(".//c:plotArea", NS)
                kinds = [_local(e.tag) for e in plot if _local(e.tag).endswith("Chart")] if plot is not None else []
                title = "".join(t.text or "" for t in croot.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}t"))
                refs = [f.text for f in croot.iter(f"{{{NS['c']}}}f")]
                axes = [_compact(a) for a in (plot if plot is not None else []) if _local(a.tag).endswith("Ax")]
                detail = hashlib.sha256("|".join(axes).encode()).hexdigest()[:12]
                lines.append(f"  chart{at} {'+'.join(kinds)} 「{title}」 {' '.join(refs)} axes={detail}")
    return lines


def _style_label(description: str, legend: dict[str, str]) -> str:
    """A style's short name, from its description (stable whatever else changes in the file)."""
    label = "s" + hashlib.sha256(description.encode()).hexdigest()[:6]
    legend[label] = description
    return label


def digest_workbook(path: Path, name: str, detail: str, legend: dict[str, str]) -> list[str]:
    lines = []
    with zipfile.ZipFile(path) as zf:
        styles, strings = _styles(zf), _shared_strings(zf)
        wb_root = ET.fromstring(zf.read("xl/workbook.xml"))
        wb_rels = _rels(zf, "xl/workbook.xml")
        names = [_compact(d) for d in wb_root.iterfind("m:definedNames/m:definedName", NS)]
        lines.append(f"# {name}" + (f" names: {' '.join(names)}" if names else ""))
        for sheet in wb_root.iterfind("m:sheets/m:sheet", NS):
            part = wb_rels[sheet.get(f"{{{NS['r']}}}id")]
            root = ET.fromstring(zf.read(part))
            state = f" ({sheet.get('state')})" if sheet.get("state") else ""
            lines.append(f"## {name}[{sheet.get('name')}]{state} {root.find('m:dimension', NS).get('ref', '') if root.find('m:dimension', NS) is not None else ''}")
            for tag in _LAYOUT_PARTS:
                for element in root.iterfind(f"m:{tag}", NS):
                    lines.append(f"  {_compact(element)}")
            cols = [f"{c.get('min')}-{c.get('max')}:w={c.get('width')}{',hidden' if c.get('hidden') else ''}"
                    f"{',s=' + styles[int(c.get('style'))] if c.get('style') else ''}"
                    for c in root.iterfind("m:cols/m:col", NS)]
            if cols:
                lines.append(f"  cols {' '.join(cols)}")
            lines += _charts(zf, part, root)
            cells: dict[int, dict[int, tuple[str, str]]] = {}
            heights = []
            for row in root.iterfind("m:sheetData/m:row", NS):
                r = int(row.get("r"))
                if row.get("ht") and row.get("customHeight"):
                    heights += ["-"] * (r - 1 - len(heights)) + [row.get("ht")]
                for c in row.iterfind("m:c", NS):
                    letters, _ = _CELL.fullmatch(c.get("r")).groups()
                    col = 0
                    for ch in letters:
                        col = col * 26 + ord(ch) - 64
                    cells.setdefault(col, {})[r] = (_cell_value(c, strings), c.get("s", "0"))
            if heights:
                lines.append(f"  heights {_runs(heights)}")
            label = {s: _style_label(styles[int(s)] if int(s) < len(styles) else s, legend)
                     for column in cells.values() for _, s in column.values()}
            last_row = max((r for column in cells.values() for r in column), default=0)
            for col in sorted(cells):
                column = cells[col]
                lines.append(f"  col {col} styles {_runs([label[column[r][1]] if r in column else '-' for r in range(1, last_row + 1)])}")
                if detail == "columns":
                    values = "\x00".join(f"{r}\x01{column[r][0]}" for r in sorted(column))
                    lines.append(f"  col {col} values {len(column)} sha={hashlib.sha256(values.encode()).hexdigest()[:16]}")
            if detail == "rows":
                for r in range(1, last_row + 1):
                    values = [cells[col][r][0] if r in cells[col] else "" for col in range(1, max(cells, default=0) + 1)]
                    while values and values[-1] == "":
                        values.pop()
                    if values:
                        lines.append(f"  {r}\t" + "\t".join(values))
    return lines


def digest(folder: Path, detail: str = "rows") -> list[str]:
    """Every output workbook under ``folder`` (and manifest.json's figures) as lines of text."""
    lines, legend = [], {}
    manifest = folder / "manifest.json"
    if manifest.exists():
        figures = json.loads(manifest.read_text(encoding="utf-8")).get("figures", {})
        lines.append("# manifest.json figures " + json.dumps(figures, ensure_ascii=False, sort_keys=True))
    for path in sorted(folder.rglob("*.xlsx")):
        if not path.name.startswith((".~", "~$")):
            lines += digest_workbook(path, path.relative_to(folder).as_posix(), detail, legend)
    return lines + ["# styles"] + [f"{label} = {legend[label]}" for label in sorted(legend)]


MANIFEST, STYLES = "manifest", "styles"


def report_of(workbook: str) -> str:
    """The report (or group of files) a workbook belongs to: its folder (``对账单/<customer>_对账单_<day>.xlsx``:
    对账单), or its file name up to the first ``_`` (``月报_2026-11.xlsx``: 月报)."""
    path = PurePosixPath(workbook)
    return path.parts[0] if len(path.parts) > 1 else path.name.split("_", 1)[0].removesuffix(".xlsx")


def split(lines: list[str]) -> dict[str, list[str]]:
    """A digest cut into parts a failing diff can name: ``manifest`` (the figures line), one part per report (its
    workbooks' sections, in the digest's order) and ``styles`` (the legend of style labels). ``join`` puts them
    back together, line for line."""
    parts: dict[str, list[str]] = {}
    part = MANIFEST
    for line in lines:
        if line == "# styles":
            part = STYLES
        elif line.startswith("# manifest.json figures "):
            part = MANIFEST
        elif line.startswith("# ") and part != STYLES:
            part = report_of(line[2:].split(" names: ", 1)[0])
        parts.setdefault(part, []).append(line)
    return parts


def join(parts: dict[str, list[str]]) -> list[str]:
    """The digest ``split`` was given: the figures, every workbook's section in the order of its path (as
    ``digest`` reads the folder), then the styles."""
    sections: list[tuple[PurePosixPath, list[str]]] = []
    for name, lines in parts.items():
        if name in (MANIFEST, STYLES):
            continue
        for line in lines:
            if line.startswith("# "):
                sections.append((PurePosixPath(line[2:].split(" names: ", 1)[0]), []))
            sections[-1][1].append(line)
    return [*parts.get(MANIFEST, []), *(line for _, section in sorted(sections, key=lambda s: s[0]) for line in section),
            *parts.get(STYLES, [])]


def differences(before: list[str], after: list[str]) -> list[str]:
    return [line for line in difflib.unified_diff(before, after, "before", "after", n=1, lineterm="")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("digest", help="print the digest of one output folder")
    one.add_argument("folder", type=Path)
    two = sub.add_parser("compare", help="the digest lines that differ between two output folders")
    two.add_argument("before", type=Path)
    two.add_argument("after", type=Path)
    two.add_argument("--limit", type=int, default=40, help="lines to print (default 40)")
    for p in (one, two):
        p.add_argument("--detail", choices=["rows", "columns"], default="rows")
    args = parser.parse_args(argv)
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    if args.command == "digest":
        out.write("\n".join(digest(args.folder, args.detail)) + "\n")
        return 0
    diff = differences(digest(args.before, args.detail), digest(args.after, args.detail))
    out.write("\n".join(diff[: args.limit]) + ("\n" if diff else ""))
    out.write(f"{'differences found' if diff else 'no differences'}\n")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
