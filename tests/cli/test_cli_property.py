"""A property of the whole command line: for every subcommand, generated bad argument lists and bad
files give exit 2, exactly one line on stderr, no traceback, and no file changed outside ``--out``.

Every generated case is bad by construction (an unknown name, a number out of range, a file that
is not UTF-8, not YAML, nested too deeply, of the wrong shape, ...), so exit 2 is the only right
answer. Hypothesis runs derandomized: the same cases every time, no flakiness.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import string
import tempfile
from pathlib import Path

import yaml
from helpers import src_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnninit.cli import main

SETTINGS = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TINY = {
    "name": "tiny",
    "task": {"name": "adding", "length": 5},
    "train": {"steps": 2, "batch_size": 4, "optimizer": "adam", "lr": 0.01, "eval_every": 1, "eval_size": 8},
    "seeds": [0],
    "models": [{"cell": "gru", "hidden": 3, "spec": "pytorch_default", "label": "gru"}],
}
WORDS = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
#: Not a name any option accepts: rnninit's names are lower-case ASCII.
STRANGE = st.text(alphabet="XYZ€[]$:;é ", min_size=1, max_size=10)

# ---------------------------------------------------------------- bad files, by construction

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
NOT_A_MAPPING = JSONISH.filter(lambda v: not isinstance(v, (dict, str)))


def _deep(n: int, style: str) -> str:
    return "[" * n + "]" * n if style == "flow" else "- " * n + "x"


#: Content every reader must refuse: not UTF-8, not YAML, nested too deeply, self-referencing,
#: or a value that is neither a mapping nor a string.
BAD_DATA = st.one_of(
    st.binary(max_size=40).map(lambda b: b"\xff\xfe\x00" + b),
    st.text(alphabet=string.ascii_letters + " :,", max_size=30).map(lambda t: f"a: [{t}".encode()),
    st.tuples(st.integers(300, 20000), st.sampled_from(["flow", "block"])).map(lambda a: _deep(*a).encode()),
    st.just(b"a: &a [1, *a]\n"),
    NOT_A_MAPPING.map(lambda v: json.dumps(v).encode()),
)


def bad_spec_text() -> st.SearchStrategy[str]:
    """A spec string no parser accepts."""
    return st.one_of(
        st.text(max_size=20).map(lambda t: "=(" + t),
        WORDS.map(lambda w: f"ih=zz{w}"),  # no init's name starts with 'zz'
        st.floats(allow_nan=False).map(lambda x: f"ih=normal(std={x}"),  # unclosed
        STRANGE.map(lambda t: f"bias[{t}]=1.0"),
    )


def bad_spec_file() -> st.SearchStrategy[tuple[str, bytes]]:
    mappings = st.one_of(
        # a value that is no init: a list, a bool, None, or a dict without 'name'
        st.one_of(st.lists(JSONISH, max_size=3), st.booleans(), st.none()).map(lambda v: {"ih": v}),
        st.dictionaries(WORDS.map(lambda w: "zz" + w), JSONISH, min_size=1, max_size=3).map(
            lambda d: {"ih": d}
        ),
    )
    return st.tuples(
        st.sampled_from([".yaml", ".json"]),
        st.one_of(BAD_DATA, mappings.map(lambda m: json.dumps(m).encode())),
    ).map(lambda t: (f"spec{t[0]}", t[1]))


BAD_TRAIN_VALUES = {
    "lr": st.one_of(st.floats(max_value=0), st.just("fast"), st.just(float("inf")), st.lists(st.integers())),
    "steps": st.one_of(
        st.integers(max_value=0), st.floats(0.1, 9.9).filter(lambda x: x != int(x)), st.just("x")
    ),
    "batch_size": st.one_of(st.integers(max_value=0), st.none(), st.just([])),
    "optimizer": WORDS.map(lambda w: "zz" + w),
    "clip": st.one_of(st.floats(max_value=0), st.just("no")),
}


def bad_config() -> st.SearchStrategy[bytes]:
    """An experiment file that fails validation: bad data, or the tiny valid one with one field broken."""
    broken_train = st.sampled_from(sorted(BAD_TRAIN_VALUES)).flatmap(
        lambda key: BAD_TRAIN_VALUES[key].map(lambda v: {**TINY, "train": {**TINY["train"], key: v}})
    )
    broken_model = st.one_of(
        WORDS.map(lambda w: {"cell": "zz" + w}),
        st.integers(max_value=0).map(lambda h: {"hidden": h}),
        bad_spec_text().map(lambda s: {"spec": s}),
        WORDS.map(lambda w: {"zz" + w: 1}),
    ).map(lambda change: {**TINY, "models": [{**TINY["models"][0], **change}]})
    broken_top = st.one_of(
        st.just({**TINY, "seeds": []}),
        st.integers(max_value=-1).map(lambda s: {**TINY, "seeds": [s]}),
        st.just({**TINY, "seeds": [0, 0]}),
        st.just({**TINY, "models": []}),
        WORDS.map(lambda w: {**TINY, "task": {"name": "zz" + w}}),
        st.integers(max_value=1).map(lambda n: {**TINY, "task": {"name": "adding", "length": n}}),
        WORDS.map(lambda w: {**TINY, "zz" + w: 1}),
        JSONISH.map(lambda v: {**TINY, "description": [v]}),
    )
    configs = st.one_of(broken_train, broken_model, broken_top)
    return st.one_of(BAD_DATA, configs.map(lambda c: yaml.safe_dump(c).encode()))


NON_INTEGERS = st.one_of(st.just("1.5"), st.just("x"), st.just(""), STRANGE)
NOT_POSITIVE = st.integers(-(10**6), 0).map(str)


def bad_target() -> st.SearchStrategy[tuple[str, dict[str, bytes]]]:
    """A TARGET that cannot be loaded: missing, garbage, or a factory that fails."""
    factories = st.sampled_from(
        [
            "def make():\n    raise RuntimeError('no model')\n",
            "import sys\ndef make():\n    sys.exit(0)\n",
            "import sys\nsys.exit(1)\n",
            "def make():\n    return 42\n",
            "def make(:\n",
            "raise ValueError('at import')\n",
        ]
    )
    return st.one_of(
        WORDS.map(lambda w: (f"{w}.pt", {})),  # no such file
        st.binary(max_size=60).map(lambda b: ("model.pt", {"model.pt": b})),
        st.binary(max_size=60).map(lambda b: ("model.keras", {"model.keras": b})),
        factories.map(lambda code: ("models.py:make", {"models.py": code.encode()})),
        WORDS.map(lambda w: (f"models.py:zz{w}", {"models.py": b"def make():\n    pass\n"})),
        st.just(("models.py:not-a-name", {"models.py": b""})),
    )


# ---------------------------------------------------------------- cases per subcommand


@st.composite
def spec_cases(draw):
    kind = draw(st.sampled_from(["text", "file", "cell", "flag"]))
    if kind == "text":
        return ["spec", draw(bad_spec_text())], {}
    if kind == "file":
        name, data = draw(bad_spec_file())
        return ["spec", name], {name: data}
    if kind == "cell":
        return ["spec", "orthogonal", "--cell", draw(WORDS.map(lambda w: "zz" + w))], {}
    return ["spec", "orthogonal", "--" + draw(WORDS.map(lambda w: "zz" + w))], {}


GOOD_FACTORY = (
    b"import torch\nimport rnninit.torch as rt\n"
    b"def make():\n    m = torch.nn.LSTM(3, 4)\n    rt.apply('pytorch_default', m, seed=0)\n    return m\n"
)


@st.composite
def audit_cases(draw, command="audit"):
    spec_args = ["--spec", "pytorch_default"] if command == "audit" else []
    kind = draw(st.sampled_from(["target", "spec", "spec_file", "roles", "alpha", "cell"]))
    files = {"models.py": GOOD_FACTORY}
    target = "models.py:make"
    if kind == "target":
        target, more = draw(bad_target())
        return [command, target, *spec_args], {**files, **more}
    if kind == "roles":
        roles = draw(st.one_of(WORDS, WORDS.map(lambda w: f"{w}=,"), WORDS.map(lambda w: f"={w}")))
        return [command, target, *spec_args, "--roles", roles], files
    if kind == "cell":
        return [command, target, *spec_args, "--roles", "weight_ih_l0=ih", "--cell", draw(STRANGE)], files
    if command == "describe":  # describe takes no spec or alpha: an unknown option instead
        return [command, target, "--" + draw(WORDS.map(lambda w: "zz" + w))], files
    if kind == "spec":
        return [command, target, "--spec", draw(bad_spec_text())], files
    if kind == "spec_file":
        name, data = draw(bad_spec_file())
        return [command, target, "--spec", name], {**files, name: data}
    alpha = draw(st.one_of(st.floats(max_value=0).map(str), st.floats(min_value=1).map(str), NON_INTEGERS))
    return [command, target, "--spec", "pytorch_default", "--alpha", alpha], files


@st.composite
def diagnose_cases(draw):
    base = ["diagnose", "--cell", "elman", "--spec", "orthogonal", "--hidden", "4", "--T", "3"]
    kind = draw(st.sampled_from(["cell", "spec", "spec_file", "size", "input", "npy", "seed", "plot"]))
    if kind == "cell":
        return [
            "diagnose",
            "--cell",
            draw(STRANGE | WORDS.map(lambda w: "zz" + w)),
            "--spec",
            "orthogonal",
        ], {}
    if kind == "spec":
        return [*base, "--spec", draw(bad_spec_text())], {}
    if kind == "spec_file":
        name, data = draw(bad_spec_file())
        return [*base, "--spec", name], {name: data}
    if kind == "size":
        flag = draw(st.sampled_from(["--hidden", "--T", "--input-size", "--batch"]))
        return [*base, flag, draw(NOT_POSITIVE | NON_INTEGERS)], {}
    if kind == "input":
        return [*base, "--input", draw(WORDS.filter(lambda w: w not in ("zeros", "normal")))], {}
    if kind == "npy":
        return [*base, "--input", "data.npy"], {"data.npy": draw(st.binary(max_size=80))}
    if kind == "seed":
        return [*base, "--seed", draw(st.integers(max_value=-1) | st.integers(min_value=2**63)).__str__()], {}
    plot = draw(
        st.one_of(
            WORDS.map(lambda w: f"plot.{w}"),  # no image type has an all-letters extension over 4
            st.just("."),
            st.just("missing/plot.png"),
            st.just("/proc/rnninit-plot.png"),
        ).filter(
            lambda p: (
                Path(p).suffix.lower()
                not in (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".eps", ".ps")
            )
        )
    )
    return [*base, "--plot", plot], {}


@st.composite
def run_cases(draw):
    config = {"exp.yaml": yaml.safe_dump(TINY).encode()}
    kind = draw(st.sampled_from(["config", "out", "workers", "executor", "address"]))
    if kind == "config":
        return ["run", "exp.yaml", "--out", "out"], {"exp.yaml": draw(bad_config())}
    if kind == "out":
        out, files = draw(
            st.sampled_from(
                [
                    ("notes.txt", {"notes.txt": b"mine"}),
                    ("notes.txt/sub", {"notes.txt": b"mine"}),
                    ("thesis", {"thesis/chapter.tex": b"mine"}),
                    ("/proc/rnninit-out", {}),
                ]
            )
        )
        return ["run", "exp.yaml", "--out", out], {**config, **files}
    if kind == "workers":
        return ["run", "exp.yaml", "--out", "out", "--workers", draw(NOT_POSITIVE | NON_INTEGERS)], config
    if kind == "executor":
        return ["run", "exp.yaml", "--out", "out", "--executor", draw(WORDS.map(lambda w: "zz" + w))], config
    return ["run", "exp.yaml", "--out", "out", "--address", draw(WORDS)], config


@st.composite
def speed_cases(draw):
    kind = draw(
        st.sampled_from(
            ["cells", "ints", "backends", "dtype", "device", "repeats", "threads", "clock", "layers"]
        )
    )
    base = ["speed", "--quick", "--no-user-cell", "--apply-layers", "0"]
    if kind == "cells":
        return [*base, "--cells", draw(WORDS.map(lambda w: "zz" + w))], {}
    if kind == "ints":
        flag = draw(st.sampled_from(["--steps", "--batch", "--hidden"]))
        return [*base, flag, draw(NOT_POSITIVE | st.just("1,x") | st.just(",,"))], {}
    if kind == "backends":
        return [*base, "--backends", draw(WORDS.map(lambda w: "zz" + w))], {}
    if kind == "dtype":
        return [*base, "--dtype", draw(st.sampled_from(["float16", "int8", "double"]))], {}
    if kind == "device":
        return [*base, "--device", draw(st.sampled_from(["tpu", "gpu", "mps"]))], {}
    if kind == "repeats":
        return [*base, "--repeats", draw(NOT_POSITIVE)], {}
    if kind == "threads":
        return [*base, "--threads", draw(NOT_POSITIVE)], {}
    if kind == "clock":
        return [*base, "--clock", "cpu", "--threads", draw(st.sampled_from(["2", "4"]))], {}
    return ["speed", "--quick", "--apply-layers", draw(st.integers(max_value=-1).map(str))], {}


# ---------------------------------------------------------------- the property


def _snapshot(root: Path, out: Path | None) -> dict[str, bytes]:
    found = {}
    for path in sorted(root.rglob("*")):
        if out is not None and (path == out or out in path.parents):
            continue
        found[str(path.relative_to(root))] = path.read_bytes() if path.is_file() else b"<dir>"
    return found


def check_bad_input(argv: list[str], files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        out = root / argv[argv.index("--out") + 1] if "--out" in argv else None
        before = _snapshot(root, out)
        cwd = os.getcwd()
        stdout, stderr = io.StringIO(), io.StringIO()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(argv)
        finally:
            os.chdir(cwd)
        err = stderr.getvalue()
        lines = err.splitlines()
        assert code == 2, (argv, code, err[:3000])
        assert len(lines) == 1 and "Traceback" not in err, (argv, err[:3000])
        assert lines[0].startswith(f"rnninit {argv[0]}: error: "), (argv, lines[0])
        assert len(lines[0]) <= 2100, (argv, len(lines[0]))
        assert _snapshot(root, out) == before, argv


@SETTINGS
@given(spec_cases())
def test_rnninit_spec_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(audit_cases("audit"))
def test_rnninit_audit_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(audit_cases("describe"))
def test_rnninit_describe_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(diagnose_cases())
def test_rnninit_diagnose_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(run_cases())
def test_rnninit_run_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(speed_cases())
def test_rnninit_speed_refuses_bad_input_in_one_line(case):
    check_bad_input(*case)


@SETTINGS
@given(st.one_of(st.just([]), WORDS.map(lambda w: ["zz" + w]), st.just(["--zz"])))
def test_a_missing_or_unknown_subcommand_is_one_line(argv):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 2
    assert len(stderr.getvalue().splitlines()) == 1


def test_the_real_stderr_of_a_fresh_process_is_one_line(tmp_path):
    """Outside pytest's capture: native start-up logs (TensorFlow's, when Keras is imported) stay off
    stderr, which holds the error line alone."""
    import subprocess
    import sys

    (tmp_path / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "exp.yaml").write_text("name: x\ntask: {name: adding}\nmodels: [{cell: gru}]\n")
    env = src_env()
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    for argv in (
        ["describe", "model.keras"],
        ["diagnose", "--cell", "keras_gru", "--spec", "=("],  # fails after Keras is imported
        ["run", "exp.yaml", "--out", "out"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "rnninit.cli", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, (argv, done.stderr)
        assert done.stderr.startswith(f"rnninit {argv[0]}: error: ")
