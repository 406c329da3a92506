"""``rnninit audit TARGET --spec SPEC [--roles name=role,...] [--json]``: check every block against a spec.

Exit 0 when the audit is clean, 1 when it has findings, 2 for bad input.
"""

from __future__ import annotations

import argparse

from rnninit.cli.console import stdout_console
from rnninit.cli.quiet import import_quietly
from rnninit.cli.spec import load_spec
from rnninit.errors import TargetError, shown

TARGET_HELP = "path/to/file.py:factory (a function returning a model), a .keras file, or a torch.save file"
TRUST_HELP = (
    "load a torch.save file that holds a whole pickled module, or a .keras file with Python code "
    "(Lambda layers): loading such a file can run any code it contains, so only for files you trust "
    "(docs/security.md)"
)


def parse_roles(text: str | None) -> dict[str, str] | None:
    """``"kernel_ih=ih,kernel_hh=hh"`` -> ``{"kernel_ih": "ih", "kernel_hh": "hh"}``.

    A role with gates keeps its brackets: ``W=ih[i,f,g,o],U=hh[i,f,g,o]``."""
    if text is None:
        return None
    roles: dict[str, str] = {}
    depth, item, items = 0, "", []
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
        else:
            item += ch
    items.append(item)
    for part in items:
        name, sep, role = part.strip().partition("=")
        if not sep or not name.strip() or not role.strip():
            raise TargetError(
                "--roles expects name=role pairs separated by commas (kernel_ih=ih,kernel_hh=hh), "
                f"got {shown(part)}"
            )
        roles[name.strip()] = role.strip()
    return roles


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="check that every weight block got what a spec says")
    p.add_argument("target", help=TARGET_HELP)
    p.add_argument("--spec", required=True, help="a spec string, a preset name, or a .yaml/.json file")
    p.add_argument(
        "--roles",
        help="roles of a cell rnninit does not know: name=role,... (e.g. kernel_ih=ih,kernel_hh=hh)",
    )
    p.add_argument("--cell", help="cell kind of declared roles (lstm, gru, ...) when their gates do not tell")
    p.add_argument("--alpha", type=float, default=1e-3, help="family-wise false-positive rate (default 1e-3)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--trust-file", action="store_true", help=TRUST_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnninit.audit import audit
    from rnninit.targets import load_target

    spec = load_spec(args.spec)
    roles = parse_roles(args.roles)
    if args.target.endswith(".keras"):
        import_quietly("keras")
    model = load_target(args.target, trust_file=args.trust_file)
    report = audit(model, spec, roles, cell=args.cell, alpha=args.alpha)
    if args.json:
        print(report.to_json(indent=1))
    else:
        stdout_console().print(report.to_table())
        # plain lines, never wrapped or cropped, so they can be grepped
        for finding in report.findings:
            print(f"FINDING: {finding.message}")
        for note in report.notes:
            print(f"note: {note}")
        print(report.summary())
    return 0 if report.ok else 1
