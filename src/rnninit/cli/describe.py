"""``rnninit describe TARGET [--json]``: print the most likely spec of a model (a spec that parses).

Blocks describe leaves open (too few entries to tell the candidates apart) are named on ``#`` lines
after the spec, and under ``"open"`` in the JSON."""

from __future__ import annotations

import argparse
import json

from rnninit.cli.audit import TARGET_HELP, TRUST_HELP, parse_roles
from rnninit.cli.quiet import import_quietly


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("describe", help="infer the spec a model was initialized with")
    p.add_argument("target", help=TARGET_HELP)
    p.add_argument("--roles", help="roles of a cell rnninit does not know: name=role,...")
    p.add_argument("--cell", help="cell kind of declared roles (lstm, gru, ...)")
    p.add_argument(
        "--json", action="store_true", help="print the spec, per-cell specs and per-block evidence as JSON"
    )
    p.add_argument("--trust-file", action="store_true", help=TRUST_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnninit.audit import describe
    from rnninit.targets import load_target

    roles = parse_roles(args.roles)
    if args.target.endswith(".keras"):
        import_quietly("keras")
    model = load_target(args.target, trust_file=args.trust_file)
    description = describe(model, roles, cell=args.cell)
    if args.json:
        print(json.dumps(description.to_dict(), indent=1))
    else:
        print(description)
        if description.open:
            print(
                f"# {len(description.open)} block(s) left open: too few entries to tell the inits that fit "
                "apart (or none fits); the spec above has no entry for them"
            )
        for note in description.notes:
            print(f"# {note}")
    return 0
