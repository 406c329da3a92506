"""Adding an init is one class: an init the audit has never heard of, which says its entry
distribution, is applied, audited (passing at its own arguments, failing at others) and named in the
audit's report through that one method; the audit infers a cell kind from ``roles=`` by the layout's
one rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from scipy import stats

import rnninit as ri
import rnninit.torch as rt
from rnninit.errors import LayoutError
from rnninit.inits import INITS, Block, Init
from rnninit.inits.distributions import Dist


@dataclass(frozen=True, kw_only=True)
class Laplace(Init):
    """Laplace distribution with mean 0 and scale ``scale`` (not a library init: a user's own)."""

    name: ClassVar[str] = "laplace"
    summary: ClassVar[str] = "Laplace(0, scale)"
    scale: float = 1.0

    def entry_distribution(self, block: Block) -> Dist:
        return Dist.from_scipy(self.explicit(), stats.laplace(scale=self.scale))

    def _sample(self, block: Block, rng: np.random.Generator) -> np.ndarray:
        return rng.laplace(0.0, self.scale, size=block.shape)


@pytest.fixture
def laplace(monkeypatch):
    monkeypatch.setitem(INITS, "laplace", Laplace)


def test_an_init_the_audit_never_heard_of_is_audited_by_what_it_says(laplace):
    lstm = torch.nn.LSTM(16, 64)
    spec = "ih=laplace(scale=0.1) hh=orthogonal bias=zeros"
    rt.apply(spec, lstm, seed=0)
    report = ri.audit(lstm, spec)
    assert report.ok, report.findings
    ks = [t for row in report.rows if row.role == "ih" for t in row.tests if t.name == "KS"]
    assert len(ks) == 4 and all(t.expected == "laplace(scale=0.1)" for t in ks)
    wrong = ri.audit(lstm, "ih=laplace(scale=0.2) hh=orthogonal bias=zeros")
    assert not wrong.ok and {f.role for f in wrong.findings} == {"ih"}


def test_the_audit_infers_the_cell_kind_from_roles_by_the_layouts_rule():
    from rnninit.audit.roles import _kind_for

    assert _kind_for({"w": "ih[i,f,c,o]", "u": "hh[i,f,c,o]"}, None).name == "lstm"
    assert _kind_for({"w": "ih[i,f]", "u": "hh[g,o]"}, None).name == "lstm"
    with pytest.raises(LayoutError, match="several cell kinds: lstm .*pass cell="):
        _kind_for({"b": "bias[f]"}, None)
