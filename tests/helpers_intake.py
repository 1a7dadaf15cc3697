"""Builders for intake tests: real workbooks written with xlsxwriter into tmp_path, as a rep would leave them.

``write_book(path, {"合同": [[header...], [row...]]})`` writes one sheet per entry, rows from A1 down
(``None`` = an empty cell, ``datetime``/``date`` = a date cell, ``Formula`` = a formula with its cached
value, ``Text`` = a string cell even when it looks like a number). ``merges`` = {sheet: [("C4:C6", value)]},
``hidden`` = sheet names to hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from neiqin_xl.core.config import Settings


@dataclass(frozen=True)
class Formula:
    formula: str
    value: object  # the cached result Excel would have stored (e.g. 2469 or "#DIV/0!")


def write_book(path: Path, sheets: dict[str, list[list]], *, merges: dict[str, list[tuple[str, object]]] | None = None,
               hidden: tuple[str, ...] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    ws.write_formula(r, c, value.formula, None, value.value)
                elif isinstance(value, datetime):
                    ws.write_datetime(r, c, value, date_format)
                elif isinstance(value, date):
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_format)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
        for cell_range, value in (merges or {}).get(name, []):
            if isinstance(value, (datetime, date)):  # a merged date keeps its date format, as in Excel
                ws.merge_range(cell_range, "", date_format)
                ws.write_datetime(cell_range.split(":")[0], datetime(value.year, value.month, value.day), date_format)
            else:
                ws.merge_range(cell_range, value)
        if name in hidden:
            ws.hide()
    wb.close()
    return path


def workspace(root: Path) -> Settings:
    """Settings on an empty workspace under ``root`` (folders reps, master, attendance, finance)."""
    for folder in ("reps", "master", "attendance", "finance"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return Settings().with_workspace(root)


def write_archive(settings: Settings, customers: list[tuple[str, str]]) -> Path:
    """master/客户档案.xlsx with (客户名称, 别名) rows."""
    rows = [["客户编码", "客户名称", "别名"]] + [[f"C{i:03d}", n, a] for i, (n, a) in enumerate(customers, 1)]
    return write_book(settings.folder("master") / "客户档案.xlsx", {"客户": rows})


CONTRACT_HEADER = ["合同编号", "签订日期", "客户名称", "产品名称", "合同金额", "付款方式"]
SHIPMENT_HEADER = ["发货单号", "发货日期", "合同编号", "发货金额", "状态"]
INVOICE_HEADER = ["发票号码", "开票日期", "合同编号", "开票金额"]
COLLECTION_HEADER = ["回款日期", "客户名称", "合同编号", "回款金额", "银行流水号"]
