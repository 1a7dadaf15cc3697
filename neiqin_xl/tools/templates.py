"""The blank Excel templates reps (and the clerk) fill: the start of the process, before any reading.

Built from ``schema.py``, so a template's headers are exactly what the reader expects:
- ``业务员台账模板.xlsx`` (or ``业务员台账_张伟.xlsx`` for one rep): sheets 合同/发货/开票/回款/日报/费用/反馈 with the
  header on row 1 (required headers in orange, the rest in blue), an input message on every column
  (必填/选填, how to type it, the field's note), drop-downs (客户名称 and 产品名称 from the archive and the
  catalogue, kept in a hidden sheet 列表; 付款方式, 活动类型, 费用类别, 反馈的类型和状态 from the schema's choices), date
  validation on dates, ≥ 0 on amounts and numbers, whole numbers on counts (满意度 1–5), a frozen header, widths for
  Chinese text, and a 说明 sheet explaining every sheet and field;
- master-data templates: 客户档案模板, 产品目录模板, 人员模板 (人员 + 目标), 考勤模板, 客户服务模板 (the clerk's own
  反馈 entries, saved as master/客户服务.xlsx), 对账回执模板 (the signed 对账函 that came back, saved as
  master/对账回执.xlsx).

``write_all_templates`` is what ``run_daily.py templates [--for 张伟]`` calls.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_range_formula

from ..core.names import normalize_name
from ..deliver.saving import write_file
from ..core.schema import (ATTENDANCE, CHOICE, CUSTOMER, CUSTOMERS, DATE, FEEDBACK, ID, INT, MONEY, NAME, NEXT_STEP,
                           NUMBER, PERCENT, PRODUCT, PRODUCTS, RECEIPTS, REP, REP_SHEETS, STAFF, TARGETS, Field,
                           SheetDef)

REP_TEMPLATE_NAME = "业务员台账模板.xlsx"
LIST_SHEET = "列表"
HELP_SHEET = "说明"
MASTER_TEMPLATE_FILES = (("客户档案模板.xlsx", (CUSTOMERS,), "master/客户档案.xlsx"),
                         ("产品目录模板.xlsx", (PRODUCTS,), "master/产品目录.xlsx"),
                         ("人员模板.xlsx", (STAFF, TARGETS), "master/人员.xlsx"),
                         ("考勤模板.xlsx", (ATTENDANCE,), "attendance/考勤_YYYY-MM.xlsx"),
                         ("客户服务模板.xlsx", (FEEDBACK,), "master/客户服务.xlsx"),
                         ("对账回执模板.xlsx", (RECEIPTS,), "master/对账回执.xlsx"))
TEMPLATE_CREATED = datetime(2026, 1, 1)  # a fixed date: the same schema gives the same file

_REQUIRED_FILL = "#F8CBAD"
_OPTIONAL_FILL = "#DDEBF7"
_KIND_NAMES = {DATE: "日期", MONEY: "金额(元)", INT: "整数", NUMBER: "数字", CHOICE: "选项", ID: "编号(文本)",
               NAME: "名称", "text": "文本", PERCENT: "比例"}
_KIND_HINTS = {DATE: "日期, 如 2026-11-28", MONEY: "金额填数字(元), 如 12300.50; 不要加 ¥ 或 万", INT: "填整数, 如 30",
               NUMBER: "填数字, 如 12.5", ID: "编号按原样填写, 如 HT2026-0001", NAME: "填全称", "text": "文字",
               PERCENT: "填比例, 如 30%"}
_LOOKUP_FIELDS = (CUSTOMER, PRODUCT)  # drop-downs fed from the master data, in the hidden sheet
_LOOKUP_OF = {"产品": PRODUCT}  # a field with another name fed from the same list (反馈's 产品)


def _lookup(f: Field) -> str:
    """The drop-down list a field takes its values from: its own name, or the one it shares (``_LOOKUP_OF``)."""
    return _LOOKUP_OF.get(f.name, f.name)


def rep_template_filename(rep: str | None = None) -> str:
    """业务员台账模板.xlsx, or 业务员台账_张伟.xlsx for one rep."""
    return f"业务员台账_{rep}.xlsx" if rep else REP_TEMPLATE_NAME


# ---------------------------------------------------------------- texts

def describe_field(f: Field, lookups: dict[str, list[str]] | None = None) -> str:
    """The input message for a field: 必填/选填, how to type it, the schema's note (≤ 255 characters)."""
    parts = ["必填" if f.required else "选填"]
    if f.kind == CHOICE:
        parts.append("从下拉列表选择: " + "/".join(f.choices))
    elif _lookup(f) in _LOOKUP_FIELDS and lookups and lookups.get(_lookup(f)):
        new = "新客户" if f.name == CUSTOMER else "新产品"
        parts.append(f"从下拉列表选择; 列表里没有的({new})可直接填写全称")
    else:
        parts.append(_KIND_HINTS.get(f.kind, "文字"))
    if f.note:
        parts.append(f.note)
    return "；".join(parts)[:255]


def _format_aliases(f: Field) -> str:
    return "、".join(a for a in f.aliases if a != f.name)


# ---------------------------------------------------------------- one workbook

class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "微软雅黑", "font_size": 10, "valign": "vcenter"}
        header = {**base, "bold": True, "border": 1, "align": "center", "text_wrap": True}
        self.required = wb.add_format({**header, "bg_color": _REQUIRED_FILL})
        self.optional = wb.add_format({**header, "bg_color": _OPTIONAL_FILL})
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.bold = wb.add_format({**base, "bold": True})
        self.plain = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.column = {DATE: wb.add_format({**base, "num_format": "yyyy-mm-dd"}),
                       MONEY: wb.add_format({**base, "num_format": "#,##0.00"}),
                       NUMBER: wb.add_format({**base, "num_format": "General"}),
                       INT: wb.add_format({**base, "num_format": "0"}),
                       PERCENT: wb.add_format({**base, "num_format": "0%"}),
                       ID: wb.add_format({**base, "num_format": "@"})}
        self.text = wb.add_format({**base, "num_format": "@"})


def _column_width(f: Field) -> int:
    header = sum(2 if ord(ch) > 0x2E80 else 1 for ch in f.name) + 4
    by_kind = {DATE: 12, MONEY: 14, NUMBER: 10, INT: 10, CHOICE: 12, ID: 16}
    wide = {CUSTOMER: 30, PRODUCT: 22, "内容": 36, NEXT_STEP: 24, "备注": 24, "事由": 28, "地址": 36, "别名": 24}
    return max(header, wide.get(f.name, by_kind.get(f.kind, 14)))


def _validation_for(f: Field, lookups: dict[str, str]) -> dict:
    """The data validation of a field's input cells (besides the input message)."""
    if f.kind == CHOICE and f.choices:
        return {"validate": "list", "source": list(f.choices), "error_title": f.name[:32],
                "error_message": f"{f.name} 请从下拉列表选择: " + "/".join(f.choices)}
    if _lookup(f) in lookups:
        # a new customer or product must still be typeable: a warning, not a stop
        return {"validate": "list", "source": lookups[_lookup(f)], "error_type": "warning", "error_title": f.name[:32],
                "error_message": f"{f.name} 不在列表中。新客户/新产品请填写全称并告知内勤; 否则请从下拉列表选择。"}
    if f.kind == DATE:
        return {"validate": "date", "criteria": "between", "minimum": date(2000, 1, 1), "maximum": date(2099, 12, 31),
                "error_title": "日期无效", "error_message": f"{f.name} 请填写日期, 如 2026-11-28"}
    if f.kind in (MONEY, NUMBER):
        return {"validate": "decimal", "criteria": ">=", "value": 0, "error_title": "请填写数字",
                "error_message": f"{f.name} 请填写不小于 0 的数字(元), 不要加 ¥ 或 万"}
    if f.kind == PERCENT:
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100, "error_title": "请填写比例",
                "error_message": f"{f.name} 请填写比例, 如 30%"}
    if f.kind == INT and f.between:
        low, high = f.between
        return {"validate": "integer", "criteria": "between", "minimum": low, "maximum": high,
                "error_title": "请填写整数", "error_message": f"{f.name} 请填写 {low} 到 {high} 的整数"}
    if f.kind == INT:
        return {"validate": "integer", "criteria": ">=", "value": 0, "error_title": "请填写整数",
                "error_message": f"{f.name} 请填写不小于 0 的整数"}
    return {"validate": "any"}


def _write_input_sheet(wb: xlsxwriter.Workbook, fmts: _Formats, sheet: SheetDef, lookups: dict[str, str],
                       lookup_values: dict[str, list[str]], rows: int) -> None:
    ws = wb.add_worksheet(sheet.name)
    for c, f in enumerate(sheet.fields):
        message = describe_field(f, lookup_values)
        ws.write_string(0, c, f.name, fmts.required if f.required else fmts.optional)
        ws.set_column(c, c, _column_width(f), fmts.column.get(f.kind, fmts.text))
        ws.data_validation(0, c, 0, c, {"validate": "any", "input_title": f.name[:32], "input_message": message})
        rule = _validation_for(f, lookups)
        rule.update({"input_title": f.name[:32], "input_message": message})
        ws.data_validation(1, c, rows, c, rule)
    ws.set_row(0, 22)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, 0, len(sheet.fields) - 1)


def _write_list_sheet(wb: xlsxwriter.Workbook, fmts: _Formats, values: dict[str, list[str]]) -> None:
    """The hidden sheet 列表: one column per lookup, laid out as ``_lookup_refs`` says."""
    ws = wb.add_worksheet(LIST_SHEET)
    for c, (name, items) in enumerate(values.items()):
        ws.write_string(0, c, name, fmts.bold)
        ws.set_column(c, c, 30)
        for r, item in enumerate(items, start=1):
            ws.write_string(r, c, item, fmts.text)
    ws.hide()


def _write_help_sheet(wb: xlsxwriter.Workbook, fmts: _Formats, title: str, sheets: tuple[SheetDef, ...],
                      lines: list[str], lookup_values: dict[str, list[str]]) -> None:
    ws = wb.add_worksheet(HELP_SHEET)
    ws.write_string(0, 0, title, fmts.title)
    row = 1
    for line in lines:
        ws.write_string(row, 0, line, fmts.plain)
        row += 1
    row += 1
    ws.write_row(row, 0, ["工作表", "用途"], fmts.optional)
    for sheet in sheets:
        row += 1
        ws.write_string(row, 0, sheet.name, fmts.bold)
        ws.write_string(row, 1, sheet.description, fmts.plain)
    row += 2
    headers = ["工作表", "字段", "是否必填", "类型", "填写说明", "也能识别的列名"]
    ws.write_row(row, 0, headers, fmts.optional)
    for sheet in sheets:
        for f in sheet.fields:
            row += 1
            values = [sheet.name, f.name, "必填" if f.required else "选填", _KIND_NAMES.get(f.kind, "文本"),
                      describe_field(f, lookup_values), _format_aliases(f)]
            for c, v in enumerate(values):
                ws.write_string(row, c, v, fmts.bold if c == 1 and f.required else fmts.plain)
    for c, width in enumerate((10, 16, 10, 12, 60, 40)):
        ws.set_column(c, c, width)
    ws.freeze_panes(0, 0)


def _lookup_refs(lists: dict[str, list[str]]) -> dict[str, str]:
    """The range formula each non-empty lookup will have in the hidden sheet 列表 (one column each)."""
    return {name: "=" + xl_range_formula(LIST_SHEET, 1, c, len(items), c)
            for c, (name, items) in enumerate(lists.items()) if items}


# ---------------------------------------------------------------- public

def write_rep_template(path: Path, customers: list[str], products: list[str], rep: str | None = None,
                       rows: int = 1000) -> Path:
    """The rep workbook template (or one rep's copy: the name in the workbook properties and 说明).

    The header stays on row 1 with the exact schema names so the reader matches it; required columns
    show in orange and in each column's input message. Validations cover rows 2..``rows`` + 1.
    """
    lists = {CUSTOMER: _unique(customers), PRODUCT: _unique(products)}
    lines = ["每个业务员一个工作簿, 放在共享文件夹 reps 中; 文件名就是业务员姓名, 如 张伟.xlsx。",
             "表头在第 1 行, 请不要改动表头文字, 也不要在表头上方插入标题行。",
             "橙色表头为必填, 蓝色为选填; 选中单元格可看到填写提示。",
             "日期填 2026-11-28 这样的日期; 金额填数字(元), 不要加 ¥、逗号或“万”。",
             "合同编号、发票号码、银行流水号按原样填写; 回款没有对应合同时合同编号可空。",
             "回款的 核销单号 可不填; 客户说明这笔钱付哪一张发货单时填它的发货单号, 先核销这一张。",
             "待发货的申请: 发货日期空着, 状态填 待发货。",
             "分期付款的合同在 回款计划 表每期一行: 比例或计划金额, 节点(预付/发货/到货/验收/开票/质保/其他)及节点后天数, "
             "或直接填计划日期; 各期合计须等于合同金额。"]
    if rep:
        lines.insert(0, f"业务员: {rep} (放进 reps 文件夹时文件名请用 {rep}.xlsx)")
    properties = {"title": f"业务员台账 - {rep}" if rep else "业务员台账模板", "subject": "业务员台账",
                  "comments": f"业务员: {rep}" if rep else "业务员台账模板, 每人复制一份"}
    if rep:
        properties["manager"] = rep
    return _write_rep_like(path, REP_SHEETS, title="业务员台账 填写说明", lines=lines, lists=lists,
                           properties=properties, rows=rows, rep=rep)


def _write_rep_like(path: Path, sheets: tuple[SheetDef, ...], *, title: str, lines: list[str],
                    lists: dict[str, list[str]], properties: dict, rows: int, rep: str | None = None) -> Path:
    used = {_lookup(f) for s in sheets for f in s.fields}
    lists = {k: v for k, v in lists.items() if k in used and v}
    refs = _lookup_refs(lists)

    def build(tmp: Path) -> None:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        try:
            wb.set_properties({"created": TEMPLATE_CREATED, "author": "neiqin_xl", **properties})
            if rep:
                wb.set_custom_property(REP, rep)
            fmts = _Formats(wb)
            for sheet in sheets:
                _write_input_sheet(wb, fmts, sheet, refs, lists, rows)
            _write_help_sheet(wb, fmts, title, sheets, lines, lists)
            if lists:
                _write_list_sheet(wb, fmts, lists)
        finally:
            wb.close()

    return write_file(path, build).path  # open in Excel: a timestamped sibling, whose path is returned


def write_master_templates(folder: Path, rows: int = 1000) -> list[Path]:
    """客户档案模板 / 产品目录模板 / 人员模板 (人员 + 目标) / 考勤模板 / 客户服务模板 / 对账回执模板 in ``folder``; returns
    the paths."""
    paths = []
    for filename, sheets, target in MASTER_TEMPLATE_FILES:
        lines = [f"填好后保存为 {target} (在工作区文件夹下)。", "表头在第 1 行, 请不要改动表头文字。",
                 "橙色表头为必填, 蓝色为选填; 选中单元格可看到填写提示。"]
        if sheets[0] is ATTENDANCE:
            lines.append("也可以直接放考勤系统导出的月度汇总, 只要列名能识别 (见下表)。")
        paths.append(_write_rep_like(Path(folder) / filename, sheets, title=f"{Path(filename).stem} 填写说明",
                                     lines=lines, lists={}, properties={"title": Path(filename).stem}, rows=rows))
    return paths


def read_names(path: Path, column: str, aliases: tuple[str, ...] = ()) -> list[str]:
    """The values under the header ``column`` (or an alias) in a workbook's first sheet, normalised and
    de-duplicated in order; [] when the file or the column is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python()
    except Exception:  # a broken master file must not stop the template command
        return []
    wanted = {normalize_name(column), *(normalize_name(a) for a in aliases)}
    for r, row in enumerate(rows[:15]):
        heads = [normalize_name(v) if isinstance(v, str) else "" for v in row]
        hit = next((c for c, h in enumerate(heads) if h == normalize_name(column)), None)
        if hit is None:
            hit = next((c for c, h in enumerate(heads) if h in wanted), None)
        if hit is not None:
            values = [normalize_name(row2[hit]) for row2 in rows[r + 1:] if hit < len(row2)]
            return _unique(v for v in values if v)
    return []


def read_master_lists(master_dir: Path | None) -> tuple[list[str], list[str]]:
    """Customer names from 客户档案.xlsx and product names from 产品目录.xlsx, if present."""
    if master_dir is None:
        return [], []
    customers = read_names(Path(master_dir) / "客户档案.xlsx", CUSTOMER, CUSTOMERS.field(CUSTOMER).aliases)
    products = read_names(Path(master_dir) / "产品目录.xlsx", PRODUCT, PRODUCTS.field(PRODUCT).aliases)
    return customers, products


def write_all_templates(templates_dir: Path, master_dir: Path | None, rep: str | None = None) -> list[Path]:
    """What ``run_daily.py templates [--for 张伟]`` does: the rep template (or one rep's copy) with the
    archive's customers and the catalogue's products as drop-downs, and the master-data templates."""
    customers, products = read_master_lists(master_dir)
    templates_dir = Path(templates_dir)
    paths = [write_rep_template(templates_dir / rep_template_filename(rep), customers, products, rep)]
    paths += write_master_templates(templates_dir)
    return paths


def _unique(values) -> list[str]:
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
