"""Every example in docs/spec-language.md is checked: spec lines parse and round-trip, YAML/JSON
blocks load to the spec they stand for, ``pycon`` blocks run as doctests, and the tables of roles,
inits and presets agree with the code. The README's spec lines are checked too."""

from __future__ import annotations

import dataclasses
import doctest
import re
from pathlib import Path

import pytest

from rnninit.errors import SpecError
from rnninit.inits import INITS
from rnninit.layout.kinds import CELL_KINDS
from rnninit.spec import PRESETS, Spec

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "spec-language.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
ANNOTATION = re.compile(r"\s{2,}#.*$")


def blocks(path: Path, language: str, text: str | None = None) -> list[str]:
    return [body for lang, body in FENCE.findall(text or path.read_text()) if lang == language]


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def spec_lines(path: Path) -> list[str]:
    lines = []
    for body in blocks(path, "text"):
        lines += [ANNOTATION.sub("", line).strip() for line in body.splitlines() if line.strip()]
    return lines


@pytest.mark.parametrize("line", spec_lines(DOC))
def test_every_spec_line_in_the_doc_parses_and_round_trips(line):
    spec = Spec.parse(line)
    assert Spec.parse(str(spec)) == spec
    assert Spec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize("line", spec_lines(ROOT / "README.md"))
def test_every_spec_line_in_the_readme_parses(line):
    spec = Spec.parse(line)
    assert Spec.parse(str(spec)) == spec


def test_the_yaml_and_json_forms_are_the_same_spec(tmp_path):
    text = section("Dict, YAML and JSON")
    (reference,) = [ANNOTATION.sub("", b).strip() for b in blocks(DOC, "text", text)]
    expected = Spec.parse(reference)
    files = [(f"spec{i}.yaml", b) for i, b in enumerate(blocks(DOC, "yaml", text))]
    files += [(f"spec{i}.json", b) for i, b in enumerate(blocks(DOC, "json", text))]
    assert len(files) == 3
    for name, body in files:
        (tmp_path / name).write_text(body)
        assert Spec.load(tmp_path / name) == expected, name


def test_the_pycon_examples_run_as_doctests():
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict = {}
    examples = 0
    for i, body in enumerate(blocks(DOC, "pycon")):
        test = parser.get_doctest(body, globs, f"spec-language.md block {i}", str(DOC), 0)
        examples += len(test.examples)
        runner.run(test, clear_globs=False)
        globs = test.globs  # later blocks see earlier imports, as a reader's session would
    assert examples > 20
    assert runner.summarize(verbose=False).failed == 0


def table_rows(title: str) -> list[list[str]]:
    rows = []
    for line in section(title).splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows[1:]  # without the header


def names_in(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)", cell)


def test_the_roles_table_matches_the_cell_kinds():
    rows = {names_in(row[0])[0]: row for row in table_rows("Roles and gates")}
    assert set(rows) == set(CELL_KINDS)
    for name, kind in CELL_KINDS.items():
        _, gates, roles, forget, aliases = rows[name]
        assert tuple(names_in(gates)) == kind.gates
        assert tuple(names_in(roles)) == kind.role_names
        assert names_in(forget)[:1] == (
            [kind.gate_semantics["forget"]] if "forget" in kind.gate_semantics else []
        )
        assert dict(zip(names_in(aliases)[::2], names_in(aliases)[1::2], strict=True)) == dict(
            kind.gate_aliases
        )


def test_the_inits_table_matches_every_init_and_its_defaults():
    rows = {}
    for row in table_rows("Inits"):
        match = re.fullmatch(r"`([a-z_]+)(?:\((.*)\))?`", row[0])
        assert match, row[0]
        rows[match.group(1)] = match.group(2) or ""
    assert list(rows) == list(INITS)
    for name, signature in rows.items():
        fields = {f.name: f for f in dataclasses.fields(INITS[name]) if f.name != "fused"}
        written = [arg.strip() for arg in signature.split(",") if arg.strip()]
        assert [arg.split("=")[0] for arg in written] == list(fields), name
        for arg in written:
            key, _, default = arg.partition("=")
            field = fields[key]
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                assert not default, f"{name}: {key} is required"
            elif default == "auto":
                assert field.default is None
            else:
                actual = (
                    field.default if field.default is not dataclasses.MISSING else field.default_factory()
                )
                shown = str(actual).lower() if isinstance(actual, bool) else str(actual)
                assert default == shown, f"{name}: {key} defaults to {actual}"


# the "cells" column of the presets table: a rule on the cell kind, then examples in parentheses
CELL_RULES = {
    "all cells": lambda kind: True,
    "cells with a full recurrent matrix": lambda kind: kind.role("hh").form == "matrix",
    "ungated cells": lambda kind: not kind.gates,
    "cells with a forget gate": lambda kind: "forget" in kind.gate_semantics,
    "cells with a diagonal recurrent weight": lambda kind: kind.role("hh").form == "diagonal",
}


def test_the_presets_table_matches_every_preset_its_source_and_its_cells():
    rows = {names_in(row[0])[0]: row for row in table_rows("Presets")}
    assert list(rows) == list(PRESETS)
    for name, (signature, _, cells, source) in rows.items():
        assert source.strip("`") == PRESETS[name].source
        args = re.findall(r"(\w+)(?:=[^,)]*)?[,)]", signature.split("(", 1)[1]) if "(" in signature else []
        assert args == list(PRESETS[name].parameters()), name
        call = Spec.parse(f"{name}(t_max=100)" if "t_max" in args else name)
        fits = set()
        for kind in CELL_KINDS:
            try:
                call.resolve(kind)
                fits.add(kind)
            except SpecError:
                pass
        rule, _, examples = cells.partition(" (")
        assert fits == {k for k, kind in CELL_KINDS.items() if CELL_RULES[rule](kind)}, name
        if examples.startswith("all but"):
            assert not fits & set(names_in(examples)), name
        else:
            assert set(names_in(examples)) <= fits, name
