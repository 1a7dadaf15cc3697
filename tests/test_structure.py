"""The package's shape holds: folders are the stages, a module imports only from its own stage or the stages
it is allowed to read, no report imports another report, and there is no import cycle.

Read from the source with ``ast`` (function-level imports included), so a lazy import cannot hide a cycle.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "neiqin_xl"

# what each stage may import (besides itself); the top level may import anything: pipeline (the day, in order),
# loader (open_books: read + books), memory (what a run recalls and keeps), sending (chase and send, the reminder
# job), replay, runs, runlock, cli, serve, status, closing
ALLOWED = {
    "core": set(),
    "read": {"core"},
    "books": {"core"},
    "reports": {"core", "books"},
    "deliver": {"core", "books"},
    "tools": {"core", "books", "deliver"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, as dotted names under neiqin_xl ('' for the package itself)."""
    here = module_name(path).split(".") if module_name(path) else []
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif (node.module or "").split(".")[0] == "neiqin_xl":
                base = []
                node_module = node.module.split(".", 1)[1] if "." in node.module else ""
                target = [*base, *node_module.split(".")] if node_module else base
                found |= {".".join(target)} | {".".join([*target, a.name]) for a in node.names}
                continue
            else:
                continue
            target = [*base, *(node.module.split(".") if node.module else [])]
            found.add(".".join(target))
            found |= {".".join([*target, a.name]) for a in node.names}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules and name != module_name(path)}


@functools.cache  # parsed once for all the tests below (read only)
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def stage(module: str) -> str:
    return module.split(".")[0] if "." in module else module


def test_every_module_imports_only_its_own_and_earlier_allowed_stages():
    wrong = []
    for module, targets in graph().items():
        if stage(module) not in ALLOWED:
            continue  # the top level: pipeline, cli, serve, the package itself
        for target in targets:
            if target in ("", "neiqin_xl"):  # the package's __version__
                continue
            if stage(target) != stage(module) and stage(target) not in ALLOWED[stage(module)]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


REGISTRY = "reports.registry"  # the list of the reports and their runner: it names them all, and is no report


def test_no_report_imports_another_report():
    wrong = [f"{module} imports {target}" for module, targets in graph().items()
             if stage(module) == "reports" and module != REGISTRY
             for target in targets if stage(target) == "reports" and target != "reports"]
    assert not wrong, "\n".join(sorted(wrong))
    assert not [m for m, targets in graph().items() if REGISTRY in targets and stage(m) == "reports"]


def test_the_pipeline_reads_as_the_day_and_no_more():
    lines = (PACKAGE / "pipeline.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 350, f"pipeline.py has {len(lines)} lines: move what is not the day into its own module"


def test_there_is_no_import_cycle():
    edges = graph()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in path:
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in done:
                visit(target, [*path, target])
        done.add(node)

    done: set[str] = set()
    for start in sorted(edges):
        if start not in done:
            visit(start, [start])
    assert not cycles, "\n".join(sorted(set(cycles)))


def test_the_checker_sees_imports_in_every_form():
    # the shapes the package uses: relative, from-package, function-level
    edges = graph()
    assert "core.config" in edges["pipeline"] and "runs" in edges["pipeline"]
    assert "core.model" in edges["read.intake"]
    assert any(t.startswith("tools.") for t in edges["cli"])  # imported inside functions


def test_one_module_holds_the_rounding_rule():
    # half up to the fen is one rule: core/model.py's round_half_up names ROUND_HALF_UP, everyone calls it
    holders = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if "ROUND_HALF_UP" in p.read_text(encoding="utf-8"))
    assert holders == ["core.model"]


def test_no_two_modules_share_a_file_name():
    # a name says which module it is without its folder: books/service.py beside reports/service.py, or
    # books/plans.py beside reports/plan.py, made a newcomer open the wrong one (a plural counts as the same name)
    seen: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name != "__init__.py":
            seen.setdefault(path.stem.removesuffix("s"), []).append(path.relative_to(PACKAGE).as_posix())
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, shared


# a module's own named constant that happens to hold the same text: 业务员 as a 角色 value, not the column; the
# reference column of a bill collection (left for a person to fold into schema.BILL_NO)
OWN_CONSTANTS = {("books.roster", "REP_ROLE"),  # a 角色 value, not the column
                 ("reports.receivables", "CREDIT_SHEET")}  # a sheet's title, not the column


def whole_string_tokens(source: str) -> list[tuple[int, str, str]]:
    """(line, text, the constant it is assigned to at module level or "") of each plain string token that is a
    value of its own: not a docstring, not an f-string or a part of one, not half of an implicit concatenation."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.COMMENT)]
    starts = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    found, in_fstring = [], 0
    for i, tok in enumerate(tokens):
        kind = tokenize.tok_name[tok.type]
        in_fstring += (kind == "FSTRING_START") - (kind == "FSTRING_END")  # Python 3.12 splits an f-string
        if tok.type != tokenize.STRING or in_fstring or tok.string.lstrip("rRuU")[:1] not in ("'", '"'):
            continue
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if tokenize.STRING in (before and before.type, after and after.type):
            continue
        ends = after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER)
        if (before is None or before.type in starts) and ends:
            continue  # a docstring
        value = ast.literal_eval(tok.string)
        if not isinstance(value, str):
            continue
        constant = ""
        if before and before.string == "=" and ends and i >= 2 and tokens[i - 2].start[1] == 0:
            constant = tokens[i - 2].string
        found.append((tok.start[0], value, constant))
    return found


def test_the_column_check_sees_a_string_value_and_nothing_else():
    source = ('"""客户名称"""\n'  # a docstring
              'x = {"客户名称": 1, "客户名称" "x": f"{y[\'客户名称\']}", "y": f"客户名称"}\n'  # f-strings, a concatenation
              'REP_ROLE = "业务员"\n')
    assert whole_string_tokens(source) == [(2, "客户名称", ""), (2, "y", ""), (3, "业务员", "REP_ROLE")]


def test_column_names_come_from_the_schema():
    # "客户名称" written in 36 modules drifted apart (a report's 客户 column read another's 客户名称): the field
    # names three or more modules use are core/schema.py's constants (NAMED_COLUMNS), and nobody else writes the
    # text. f-strings and docstrings that mention it are words, not column names.
    from neiqin_xl.core import schema

    names = {value: name for name, value in vars(schema).items() if name.isupper() and value in schema.NAMED_COLUMNS}
    assert set(names) == set(schema.NAMED_COLUMNS) and len(set(schema.NAMED_COLUMNS)) == len(schema.NAMED_COLUMNS)
    fields = {f.name for sheet in schema.SHEETS.values() for f in sheet.fields}
    fields |= {*schema.SOURCE_COLUMNS, schema.REP}
    assert set(schema.NAMED_COLUMNS) <= fields, "every named column is a field of an input sheet"
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        if module == "core.schema":
            continue
        for line, value, constant in whole_string_tokens(path.read_text(encoding="utf-8")):
            if value in names and (module, constant) not in OWN_CONSTANTS:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: \"{value}\" (schema.{names[value]})")
    assert not wrong, "write the constant from core/schema.py instead of the text:\n" + "\n".join(wrong)
