"""``torch.compile`` of rnninit's modules, and of models containing them, as of the built-ins.

Dynamo runs ``nn.RNN/LSTM/GRU`` eagerly behind a graph break; rnninit's sequence modules and functional
layers do the same (:mod:`rnninit.torch.compiler`), so a compiled model gives the eager outputs,
gradients and second derivatives, and the time loop never enters a graph. The cells are traced.
Most tests use the ``aot_eager`` backend (Dynamo and AOTAutograd, no code generation); one compiles
with the default (inductor).
"""

import pytest
import torch
from torch import nn

import rnninit.torch as rt
from rnninit.torch import functional as Fr

T, B, D, H = 5, 3, 4, 6
SEQUENCE_MODULES = {
    "lstm_f32": lambda: rt.LSTM(D, H, num_layers=2, bidirectional=True, seed=0),  # oneDNN's fused kernel
    "lstm_f64": lambda: rt.LSTM(D, H, seed=0, dtype=torch.float64),  # rnninit's kernels
    "lstm_proj": lambda: rt.LSTM(D, H, proj_size=3, seed=0),  # the reference loop
    "gru": lambda: rt.GRU(D, H, num_layers=2, seed=0),
    "elman": lambda: rt.Elman(D, H, nonlinearity="relu", batch_first=True, seed=0),
    "indrnn": lambda: rt.IndRNN(D, H, seed=0),
    "minimalrnn": lambda: rt.MinimalRNN(D, H, bidirectional=True, seed=0),
}
CELLS = {
    "lstm_cell": lambda: rt.LSTMCell(D, H, seed=0),
    "gru_cell": lambda: rt.GRUCell(D, H, seed=0),
    "elman_cell": lambda: rt.ElmanCell(D, H, seed=0),
    "indrnn_cell": lambda: rt.IndRNNCell(D, H, seed=0),
    "minimalrnn_cell": lambda: rt.MinimalRNNCell(D, H, seed=0),
}


class Model(nn.Module):
    """A linear layer, the recurrent module, a linear head: a model that contains it."""

    def __init__(self, rnn: nn.Module):
        super().__init__()
        self.rnn = rnn
        dtype = next(rnn.parameters()).dtype
        directions = 2 if getattr(rnn, "bidirectional", False) else 1
        features = (getattr(rnn, "proj_size", 0) or rnn.hidden_size) * directions
        self.inp = nn.Linear(D, D, dtype=dtype)
        self.head = nn.Linear(features, 1, dtype=dtype)

    def forward(self, x):
        out = self.rnn(self.inp(x))
        out = out[0] if isinstance(out, tuple) else out
        return self.head(out).sum()


def input_for(module: nn.Module, steps: int = T) -> torch.Tensor:
    dtype = next(module.parameters()).dtype
    gen = torch.Generator().manual_seed(steps)
    shape = (B, D) if "Cell" in type(module).__name__ else (steps, B, D)
    return torch.randn(shape, generator=gen, dtype=dtype)


def loss_and_grads(fn, model: nn.Module, x: torch.Tensor):
    model.zero_grad()
    x = x.clone().requires_grad_(True)
    loss = fn(x)
    loss.backward()
    return [loss, x.grad, *(p.grad for p in model.parameters())]


class GraphRecorder:
    """A Dynamo backend that keeps every FX graph it is given and runs it as is."""

    def __init__(self):
        self.graphs = []

    def __call__(self, gm, example_inputs):
        self.graphs.append(gm)
        return gm.forward

    def targets(self) -> str:
        return " ".join(str(n.target) for g in self.graphs for n in g.graph.nodes if n.op != "placeholder")


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.parametrize("name", [*SEQUENCE_MODULES, *CELLS])
def test_a_compiled_model_gives_the_eager_outputs_and_gradients(name):
    model = Model({**SEQUENCE_MODULES, **CELLS}[name]())
    x = input_for(model.rnn)
    want = loss_and_grads(model, model, x)
    got = loss_and_grads(torch.compile(model, backend="aot_eager"), model, x)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", list(SEQUENCE_MODULES))
def test_a_sequence_module_is_not_traced_its_time_loop_never_enters_a_graph(name):
    model = Model(SEQUENCE_MODULES[name]())
    recorder = GraphRecorder()
    torch.compile(model, backend=recorder)(input_for(model.rnn))
    assert recorder.graphs, "Dynamo compiled nothing: the linear layers should be in a graph"
    targets = recorder.targets()
    assert "linear" in targets
    for op in ("sigmoid", "tanh", "relu", "lstm", "gru", "rnn", "mm"):
        assert op not in targets, f"{op} in a compiled graph: the layer was traced"


@pytest.mark.parametrize("name", list(CELLS))
def test_a_cell_is_traced_and_compiled_like_the_builtin_cells(name):
    model = Model(CELLS[name]())
    recorder = GraphRecorder()
    torch.compile(model, backend=recorder)(input_for(model.rnn))
    assert "sigmoid" in recorder.targets() or "tanh" in recorder.targets() or "relu" in recorder.targets()


@pytest.mark.parametrize(("ours", "theirs"), [(rt.GRU, nn.GRU), (rt.LSTM, nn.LSTM), (rt.Elman, nn.RNN)])
def test_double_backward_through_a_compiled_module_works_as_through_the_compiled_builtin(ours, theirs):
    library = ours(D, H, seed=0)
    builtin = theirs(D, H)
    builtin.load_state_dict(library.state_dict())
    second = []
    for module in (library, builtin):
        x = torch.randn(T, B, D, generator=torch.Generator().manual_seed(0), requires_grad=True)
        compiled = torch.compile(module, backend="aot_eager")
        (g,) = torch.autograd.grad(compiled(x)[0].pow(2).sum(), x, create_graph=True)
        second.append(torch.autograd.grad(g.pow(2).sum(), x)[0])
    torch.testing.assert_close(second[0], second[1], rtol=1e-4, atol=1e-5)


def test_a_compiled_model_takes_new_sequence_lengths():
    model = Model(rt.GRU(D, H, seed=0))
    compiled = torch.compile(model, backend="aot_eager")
    for steps in (5, 9, 2):
        x = input_for(model.rnn, steps)
        torch.testing.assert_close(compiled(x), model(x), rtol=1e-6, atol=1e-6)


def test_the_functional_layers_run_eagerly_inside_a_users_compiled_code():
    w_ih, w_hh = torch.randn(4 * H, D), torch.randn(4 * H, H)
    state = (torch.zeros(B, H), torch.zeros(B, H))

    def user_forward(x):
        return Fr.lstm_layer(torch.relu(x), state, w_ih, w_hh)[0].sum()

    recorder = GraphRecorder()
    x = input_for(rt.GRU(D, H, seed=0))
    torch.testing.assert_close(torch.compile(user_forward, backend=recorder)(x), user_forward(x))
    assert "relu" in recorder.targets() and "sigmoid" not in recorder.targets()


@pytest.mark.slow  # inductor generates and compiles C++ for the linear parts: ~20 s on 2 busy cores
def test_a_model_compiled_by_inductor_gives_the_eager_outputs_and_gradients():
    class TwoLayers(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = rt.GRU(D, H, seed=0)
            self.lstm = rt.LSTM(H, H, seed=1)
            self.head = nn.Linear(H, 1)

        def forward(self, x):
            return self.head(self.lstm(torch.relu(self.gru(x)[0]))[0]).sum()

    model = TwoLayers()
    x = input_for(model.gru)
    want = loss_and_grads(model, model, x)
    got = loss_and_grads(torch.compile(model), model, x)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)
