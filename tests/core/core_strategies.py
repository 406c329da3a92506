"""Hypothesis strategies for valid inits, presets and specs (used by the round-trip tests)."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from rnninit.inits import make_init
from rnninit.spec import PresetCall, Spec

finite = st.floats(allow_nan=False, allow_infinity=False)
nonnegative = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-300, allow_nan=False, allow_infinity=False)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)


@st.composite
def uniform_args(draw):
    low = draw(st.floats(min_value=-1e300, max_value=1e299))
    high = draw(st.floats(min_value=low, max_value=1e300, exclude_min=True))
    return {"low": low, "high": high}


def _maybe(args: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    """Each argument present or left at its default."""
    return args.flatmap(lambda d: st.fixed_dictionaries({}, optional={k: st.just(v) for k, v in d.items()}))


GAIN_INITS = [
    "orthogonal",
    "identity",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
]

plain_args = {
    "normal": st.fixed_dictionaries({"mean": finite, "std": nonnegative}),
    "truncated_normal": st.fixed_dictionaries({"mean": finite, "std": nonnegative}),
    "uniform": uniform_args(),
    "constant": st.fixed_dictionaries({"value": finite}),
    "zeros": st.just({}),
    "ones": st.just({}),
    "torch_default": st.fixed_dictionaries({"terms": st.integers(1, 16)}),
    "chrono": st.fixed_dictionaries(
        {"t_max": st.floats(min_value=2.0, exclude_min=True, allow_infinity=False)}
    ),
    **{name: st.fixed_dictionaries({"gain": nonnegative}) for name in GAIN_INITS},
    **{
        name: st.fixed_dictionaries({"gain": nonnegative, "truncated": st.booleans()})
        for name in ("glorot_normal", "he_normal", "lecun_normal")
    },
    "variance_scaling": st.fixed_dictionaries(
        {
            "scale": st.floats(min_value=1e-300, allow_nan=False, allow_infinity=False),
            "mode": st.sampled_from(["fan_in", "fan_out", "fan_avg"]),
            "distribution": st.sampled_from(["truncated_normal", "untruncated_normal", "uniform"]),
        }
    ),
    **{
        name: st.one_of(
            st.fixed_dictionaries({"a": finite, "mode": st.sampled_from(["fan_in", "fan_out"])}),
            st.fixed_dictionaries(
                {
                    "mode": st.sampled_from(["fan_in", "fan_out"]),
                    "nonlinearity": st.sampled_from(["linear", "sigmoid", "tanh", "relu", "selu"]),
                }
            ),
        )
        for name in ("kaiming_normal", "kaiming_uniform")
    },
}
REQUIRED = {"constant", "chrono", "uniform"}  # uniform: low < high only holds for both


@st.composite
def plain_inits(draw, names=tuple(plain_args)):
    name = draw(st.sampled_from(names))
    args = draw(plain_args[name] if name in REQUIRED else _maybe(plain_args[name]))
    fused = draw(st.booleans()) and name not in ("torch_default", "chrono")  # these cannot be fused
    return make_init(name, **args, fused=fused)


@st.composite
def inits(draw):
    if draw(st.integers(0, 5)) == 0:
        base = draw(plain_inits(("normal", "truncated_normal", "uniform", "glorot_normal", "he_uniform")))
        base = dataclasses.replace(base, fused=False)
        return make_init("spectral", radius=draw(positive), base=base, fused=draw(st.booleans()))
    return draw(plain_inits())


preset_calls = st.one_of(
    st.just(PresetCall.make("pytorch_default")),
    st.just(PresetCall.make("keras_default")),
    st.builds(lambda std: PresetCall.make("irnn", std=std), nonnegative),
    st.builds(lambda v: PresetCall.make("forget_bias", value=v), finite),
    st.builds(
        lambda t: PresetCall.make("chrono", t_max=t),
        st.floats(min_value=2.0, exclude_min=True, allow_infinity=False),
    ),
    st.builds(lambda g: PresetCall.make("orthogonal", gain=g), nonnegative),
    st.builds(lambda t: PresetCall.make("indrnn", t_max=t), st.floats(min_value=1.0, allow_infinity=False)),
)

keys = st.tuples(
    st.one_of(st.sampled_from(["ih", "hh", "bias", "proj", "bias_hn", "zh"]), names),
    st.one_of(st.none(), st.sampled_from(["i", "f", "g", "o", "r", "z", "n", "c", "h"]), names),
)


@st.composite
def specs(draw):
    entries = draw(st.dictionaries(keys, inits(), max_size=6))
    gated_roles = {role for role, gate in entries if gate is not None}
    entries = {  # a role-wide fused entry cannot be combined with per-gate entries of that role
        key: dataclasses.replace(init, fused=False) if key[1] is None and key[0] in gated_roles else init
        for key, init in entries.items()
    }
    preset = draw(st.one_of(st.none(), preset_calls))
    return Spec(entries, preset=preset)
