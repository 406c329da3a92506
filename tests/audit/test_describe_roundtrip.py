"""The describe round trip, for every preset and every init, in torch and Keras.

Property (docs/DESIGN.md): apply a spec ``S`` to a model ``m``; ``d = describe(m)``; apply ``d`` to a
fresh model ``m2`` of the same architecture with another seed; then ``audit(m2, S)`` passes.

Blocks describe leaves open (too few entries to tell the candidates apart) have no entry in ``d``:
for them the property is that the distribution ``S`` drew them from has a shape among the candidates
describe names, and ``m2`` gets them from ``S`` itself, so the audit still covers every block.

Calibration: each case runs one audit at the default ``alpha = 1e-3``. If describe gave back ``S``
exactly, the expected number of spurious failures over the ``N`` audits of the grid would be
``N·1e-3`` (about 0.3 for the slow grid's ~300 cases); estimated arguments can raise it. Every seed
here is fixed (the models, ``apply`` and the audit's subsamples are all seeded), so the test is
deterministic: it was run once at these seeds, and a failure is a change in behaviour, not noise.
"""

from __future__ import annotations

import math

import keras
import pytest
import torch

import rnninit as ri
import rnninit.flax as rf
import rnninit.keras as rk
import rnninit.torch as rt
from rnninit.audit.distributions import entry_distribution
from rnninit.errors import SpecError
from rnninit.inits import Zeros, make_init
from rnninit.testing import describe_round_trip

IN, HIDDEN, STEPS = 48, 64, 5
SEED_S, SEED_D = 0, 1

#: Representative arguments for every init in rnninit.INITS (the defaults where they are typical), and
#: the variants that change the distribution (Keras' truncated reading of the ``*_normal`` names).
INIT_VARIANTS = {
    "normal": ("normal", {"std": 0.3}),
    "truncated_normal": ("truncated_normal", {"std": 0.3}),
    "uniform": ("uniform", {"low": -0.2, "high": 0.3}),
    "constant": ("constant", {"value": 0.5}),
    "zeros": ("zeros", {}),
    "ones": ("ones", {}),
    "orthogonal": ("orthogonal", {"gain": 1.5}),
    "identity": ("identity", {"gain": 0.9}),
    "glorot_uniform": ("glorot_uniform", {}),
    "glorot_normal": ("glorot_normal", {}),
    "glorot_normal-truncated": ("glorot_normal", {"truncated": True}),
    "he_uniform": ("he_uniform", {}),
    "he_normal": ("he_normal", {}),
    "he_normal-truncated": ("he_normal", {"truncated": True}),
    "lecun_uniform": ("lecun_uniform", {}),
    "lecun_normal": ("lecun_normal", {}),
    "lecun_normal-truncated": ("lecun_normal", {"truncated": True}),
    "variance_scaling": ("variance_scaling", {}),  # Keras' default: fan_in, truncated normal
    "kaiming_uniform": ("kaiming_uniform", {"a": 5.0**0.5}),  # torch.nn.Linear's weight default
    "kaiming_normal": ("kaiming_normal", {"nonlinearity": "tanh"}),  # std (5/3)/√fan_in: no named scheme
    "torch_default": ("torch_default", {}),
    "chrono": ("chrono", {"t_max": 50.0}),
    "spectral": ("spectral", {"radius": 0.9}),
}
#: Inits whose fused form differs from the per-gate one (for the others, e.g. normal or constant, a
#: fused entry draws the same distribution, so the grid tries them per gate only).
FUSED_MATTERS = {
    "orthogonal",
    *(v for v in INIT_VARIANTS if v.startswith(("glorot", "he_", "lecun", "variance", "kaiming"))),
}
#: Representative arguments for presets that need them.
PRESET_ARGS = {"chrono": "chrono(t_max=50.0)", "indrnn": "indrnn(t_max=10.0)"}


def _torch(name):
    def seeded(make):
        def build():
            torch.manual_seed(SEED_S)  # the roles a spec leaves alone keep torch's default, seeded
            return make()

        return build

    return seeded(
        {
            "lstm": lambda: torch.nn.LSTM(IN, HIDDEN),
            "gru": lambda: torch.nn.GRU(IN, HIDDEN),
            "elman": lambda: torch.nn.RNN(IN, HIDDEN),
            "indrnn": lambda: rt.IndRNN(IN, HIDDEN),
            "minimalrnn": lambda: rt.MinimalRNN(IN, HIDDEN),
        }[name]
    )


def _keras(name):
    def build(layer):
        layer.build((None, STEPS, IN))
        return layer

    keras.utils.set_random_seed(SEED_S)  # the roles a spec leaves alone keep Keras' default, seeded

    return {
        "lstm": lambda: build(keras.layers.LSTM(HIDDEN)),
        "gru": lambda: build(keras.layers.GRU(HIDDEN)),
        "elman": lambda: build(keras.layers.SimpleRNN(HIDDEN)),
        "indrnn": lambda: build(keras.layers.RNN(rk.IndRNNCell(HIDDEN))),
        "minimalrnn": lambda: build(keras.layers.RNN(rk.MinimalRNNCell(HIDDEN))),
    }[name]


def _flax(name):
    from flax import nnx

    cells = {"lstm": nnx.LSTMCell, "gru": nnx.GRUCell, "elman": nnx.SimpleCell}
    if name not in cells:
        return None  # flax has no IndRNN or MinimalRNN cell
    return lambda: nnx.RNN(cells[name](IN, HIDDEN, rngs=nnx.Rngs(SEED_S)))


FRAMEWORKS = {"torch": (_torch, rt), "keras": (_keras, rk), "flax": (_flax, rf)}
CELLS = ("lstm", "gru", "elman", "indrnn", "minimalrnn")


def _init(variant: str, fused: bool = False):
    name, args = INIT_VARIANTS[variant]
    return make_init(name, **args, **({"fused": True} if fused else {}))


def _init_spec(cell_layout, variant: str, fused: bool) -> str | None:
    """The init with representative arguments on every role of the cell where it is valid (per gate, or
    fused where the role is gated); ``None`` when it fits no role. Other roles are left to the model."""
    init = _init(variant, fused)
    entries = []
    for role, slots in cell_layout.role_groups():
        role_def = cell_layout.kind.role(role)
        if fused and not (role_def.gated and len(slots) == len(cell_layout.kind.gates) > 1):
            continue
        try:
            for slot in slots[:1] if fused else slots:
                init.validate(cell_layout.block(slot, fused=fused))
            ri.Spec({role: init}).resolve(cell_layout.kind)
        except SpecError:
            continue
        entries.append(f"{role}={init}")
    return " ".join(entries) or None


def _cases():
    """(framework, cell, what, spec) for every preset and init valid on the cell, in every framework;
    ``what`` names the preset or the init (``-fused`` for its fused form). Valid: the spec resolves for
    the cell kind and gives a role the cell does not store only zeros (a Flax GRU has no ``b_hn``, so
    presets giving it ``torch_default`` are out, as ``apply`` refuses them)."""
    cases = []
    for framework in FRAMEWORKS:
        make, backend = FRAMEWORKS[framework]
        for cell in CELLS:
            factory = make(cell)
            if factory is None:
                continue
            layout = backend.model_layout(factory()).cells[0]
            specs = [("preset-" + p, PRESET_ARGS.get(p, p)) for p in ri.PRESETS]
            for name in INIT_VARIANTS:
                for fused in (False, True) if name in FUSED_MATTERS else (False,):
                    spec = _init_spec(layout, name, fused)
                    if spec is not None:
                        specs.append((name + ("-fused" if fused else ""), spec))
            for what, spec in specs:
                try:
                    resolved = ri.Spec.parse(spec).resolve(layout.kind)
                except SpecError:
                    continue
                if all(resolved.lookup(role, None)[0] in (None, Zeros()) for role in layout.unstored):
                    cases.append((framework, cell, what, spec))
    return cases


def _moments(init, block):
    dist = entry_distribution(init, block)
    return (dist.normal, dist.excess_kurtosis, dist.std)


def _shape(init, block):
    dist = entry_distribution(init, block)
    return None if dist is None else (dist.normal, round(dist.excess_kurtosis, 2))


def check_roundtrip(framework: str, cell: str, spec: str) -> ri.Description:
    make, backend = FRAMEWORKS[framework]
    factory = make(cell)
    model = factory()
    backend.apply(spec, model, seed=SEED_S)
    description = ri.describe(model)
    assert ri.Spec.parse(str(description)) == description.spec
    layout = backend.model_layout(model).cells[0]
    resolved = ri.Spec.parse(spec).resolve(layout.kind)
    for block in description.open:  # the truth's shape is among the candidates describe names
        slot = layout.slot(block.role, block.gate)
        truth, _ = resolved.lookup(block.role, block.gate)
        if truth is None:  # a block S leaves at the model's own default: no truth to compare with
            continue
        whole, _ = resolved.lookup(block.role, None)
        fused = whole is not None and whole.fused and truth is whole
        truth_shape = _shape(truth, layout.block(slot, fused=fused))
        shapes = set()
        for candidate in block.candidates:
            init = ri.Spec.parse(f"x={candidate}").entries[("x", None)]
            shapes.add(_shape(init, layout.block(slot, fused=init.fused)))
        assert truth_shape in shapes, (block, truth)
    described, report = describe_round_trip(model, factory(), spec, seed=SEED_D)
    assert described.spec == description.spec
    assert report.ok, (str(description), [f.message for f in report.findings])
    return description


CASES = _cases()
#: The default run: the item-6 case (per-gate orthogonal on a Keras LSTM) and its fused twin, each
#: framework's default, presets with arguments, fused and per-gate variance scaling, the free-argument
#: families, and the structured inits.
DEFAULT = {
    ("keras", "lstm", "orthogonal"),
    ("torch", "lstm", "orthogonal-fused"),
    ("keras", "lstm", "preset-keras_default"),
    ("torch", "lstm", "preset-pytorch_default"),
    ("torch", "gru", "preset-chrono"),
    ("keras", "elman", "preset-irnn"),
    ("torch", "indrnn", "preset-indrnn"),
    ("keras", "gru", "glorot_uniform-fused"),
    ("torch", "gru", "he_normal"),
    ("keras", "lstm", "uniform"),
    ("torch", "elman", "spectral"),
    ("keras", "minimalrnn", "truncated_normal"),
    ("flax", "lstm", "orthogonal"),
    ("flax", "gru", "preset-keras_default"),
}


def _param(case):
    framework, cell, what, spec = case
    marks = () if (framework, cell, what) in DEFAULT else (pytest.mark.slow,)
    return pytest.param(framework, cell, spec, marks=marks, id=f"{framework}-{cell}-{what}")


def test_the_grid_covers_every_preset_and_init_and_the_default_subset_is_part_of_it():
    assert {name for name, _ in INIT_VARIANTS.values()} == set(ri.INITS)
    assert {c[2].removeprefix("preset-") for c in CASES if c[2].startswith("preset-")} == set(ri.PRESETS)
    assert DEFAULT <= {c[:3] for c in CASES}, DEFAULT - {c[:3] for c in CASES}


@pytest.mark.parametrize(("framework", "cell", "spec"), [_param(c) for c in CASES])
def test_describe_round_trips_through_the_audit(framework, cell, spec):
    check_roundtrip(framework, cell, spec)


FAMILIES = ("normal", "uniform", "truncated_normal")
NAMED_MATRIX_INITS = [(name, fused) for name in sorted(FUSED_MATTERS) for fused in (False, True)]
DEFAULT_NAMED = {
    ("keras", "orthogonal", False),
    ("torch", "glorot_uniform", True),
    ("keras", "he_normal", False),
}


@pytest.mark.parametrize(
    ("framework", "name", "fused"),
    [
        pytest.param(f, n, fu, marks=() if (f, n, fu) in DEFAULT_NAMED else (pytest.mark.slow,))
        for f in FRAMEWORKS
        for n, fu in NAMED_MATRIX_INITS
    ],
)
def test_named_matrix_inits_come_back_per_gate_or_fused_as_they_were(framework, name, fused):
    """On blocks large enough to tell (48→64 LSTM: 12288 and 16384 entries per role), the input and
    recurrent weights of a named init come back as that init, per gate or fused as applied (or as an
    init with the same distribution: Glorot and LeCun coincide on the square recurrent blocks; an init
    with no named scheme, ``kaiming_normal(nonlinearity=tanh)``, as a normal with its std estimated)."""
    make, backend = FRAMEWORKS[framework]
    model = make("lstm")()
    init = _init(name, fused)
    backend.apply(ri.Spec({"ih": init, "hh": init}), model, seed=SEED_S)
    description = ri.describe(model)
    layout = backend.model_layout(model).cells[0]
    described = description.spec.resolve(layout.kind)
    for role in ("ih", "hh"):
        slot = layout.slot(role, "i")
        expected_dist = entry_distribution(init, layout.block(slot, fused=fused))
        left_open = [b for b in description.open if b.role == role]
        if left_open:  # only a truncated normal: telling it from a normal takes more entries than these
            assert math.isfinite(expected_dist.low) and expected_dist.excess_kurtosis > -1.0
            for block in left_open:
                shown = [ri.Spec.parse(f"x={c}")["x"] for c in block.candidates]
                assert any(
                    _moments(c, layout.block(slot, fused=c.fused))
                    == pytest.approx(_moments(init, layout.block(slot, fused=fused)))
                    for c in shown
                ), block
            continue
        got, _ = described.lookup(role, None)
        if name == "orthogonal":
            assert got == init
            continue
        got_dist = entry_distribution(got, layout.block(slot, fused=got.fused))
        assert (expected_dist.normal, expected_dist.excess_kurtosis, expected_dist.std) == pytest.approx(
            (got_dist.normal, got_dist.excess_kurtosis, got_dist.std),
            rel=0.03 if got.name in FAMILIES else 1e-9,
        ), (role, got)
