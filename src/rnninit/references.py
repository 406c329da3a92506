"""Every paper and framework default rnninit cites, in one registry.

A preset names its sources by key (``rnninit.spec.presets``), and the docs, the README and the
docstrings cite papers as ``Surname, Surname & Surname YEAR`` (or ``Surname et al. YEAR``), optionally
followed by the quoted title; ``tests/core/test_references.py`` checks that every such citation names a
paper here with those authors, that year and, where quoted, that title. To cite something new,
add it here first.

Examples:
    >>> from rnninit.references import REFERENCES
    >>> REFERENCES["tallec2018"].cite()
    "Tallec & Ollivier 2018, 'Can recurrent neural networks warp time?', arXiv 1804.11188"
"""

from __future__ import annotations

from dataclasses import dataclass

#: Papers with more authors than this are cited as ``First et al. YEAR``.
MAX_LISTED_AUTHORS = 5


@dataclass(frozen=True)
class Paper:
    """A publication: ``authors`` are surnames in the paper's order; ``arxiv`` is its arXiv id, if any."""

    authors: tuple[str, ...]
    year: int
    title: str
    venue: str = ""
    arxiv: str | None = None

    @property
    def short(self) -> str:
        """``Le, Jaitly & Hinton 2015``; ``Cho et al. 2014`` beyond five authors."""
        names = self.authors
        if len(names) > MAX_LISTED_AUTHORS:
            who = f"{names[0]} et al."
        elif len(names) == 1:
            who = names[0]
        else:
            who = f"{', '.join(names[:-1])} & {names[-1]}"
        return f"{who} {self.year}"

    def cite(self) -> str:
        text = f"{self.short}, '{self.title}'"
        return f"{text}, arXiv {self.arxiv}" if self.arxiv else text


@dataclass(frozen=True)
class Code:
    """A framework's own behaviour, cited by the code that implements it."""

    where: str

    def cite(self) -> str:
        return self.where


Reference = Paper | Code

REFERENCES: dict[str, Reference] = {
    # recurrent cells
    "hochreiter1997": Paper(
        ("Hochreiter", "Schmidhuber"), 1997, "Long short-term memory", "Neural Computation 9(8)"
    ),
    "gers2000": Paper(
        ("Gers", "Schmidhuber", "Cummins"),
        2000,
        "Learning to forget: continual prediction with LSTM",
        "Neural Computation 12(10)",
    ),
    "gers_schmidhuber2000": Paper(
        ("Gers", "Schmidhuber"), 2000, "Recurrent nets that time and count", "IJCNN 2000"
    ),
    "cho2014": Paper(
        ("Cho", "van Merriënboer", "Gulcehre", "Bahdanau", "Bougares", "Schwenk", "Bengio"),
        2014,
        "Learning phrase representations using RNN encoder-decoder for statistical machine translation",
        "EMNLP 2014",
        "1406.1078",
    ),
    "sak2014": Paper(
        ("Sak", "Senior", "Beaufays"),
        2014,
        "Long short-term memory based recurrent neural network architectures for large vocabulary "
        "speech recognition",
        arxiv="1402.1128",
    ),
    "li2018": Paper(
        ("Li", "Li", "Cook", "Zhu", "Gao"),
        2018,
        "Independently recurrent neural network (IndRNN): building a longer and deeper RNN",
        "CVPR 2018",
        "1803.04831",
    ),
    "chen2017": Paper(
        ("Chen",),
        2017,
        "MinimalRNN: toward more interpretable and trainable recurrent neural networks",
        arxiv="1711.06788",
    ),
    "chen2018": Paper(
        ("Chen", "Pennington", "Schoenholz"),
        2018,
        "Dynamical isometry and a mean field theory of RNNs: gating enables signal propagation in "
        "recurrent neural networks",
        "ICML 2018",
        "1806.05394",
    ),
    "zhou2016": Paper(
        ("Zhou", "Wu", "Zhang", "Zhou"),
        2016,
        "Minimal gated unit for recurrent neural networks",
        "International Journal of Automation and Computing 13(3)",
        "1603.09420",
    ),
    # initializations
    "lecun1998": Paper(
        ("LeCun", "Bottou", "Orr", "Müller"),
        1998,
        "Efficient BackProp",
        "Neural Networks: Tricks of the Trade",
    ),
    "glorot2010": Paper(
        ("Glorot", "Bengio"),
        2010,
        "Understanding the difficulty of training deep feedforward neural networks",
        "AISTATS 2010",
    ),
    "he2015": Paper(
        ("He", "Zhang", "Ren", "Sun"),
        2015,
        "Delving deep into rectifiers: surpassing human-level performance on ImageNet classification",
        "ICCV 2015",
        "1502.01852",
    ),
    "saxe2014": Paper(
        ("Saxe", "McClelland", "Ganguli"),
        2014,
        "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks",
        "ICLR 2014",
        "1312.6120",
    ),
    "mezzadri2007": Paper(
        ("Mezzadri",),
        2007,
        "How to generate random matrices from the classical compact groups",
        "Notices of the AMS 54(5)",
        "math-ph/0609050",
    ),
    "jaeger2001": Paper(
        ("Jaeger",),
        2001,
        "The 'echo state' approach to analysing and training recurrent neural networks",
        "GMD Report 148",
    ),
    "le2015": Paper(
        ("Le", "Jaitly", "Hinton"),
        2015,
        "A simple way to initialize recurrent networks of rectified linear units",
        arxiv="1504.00941",
    ),
    "jozefowicz2015": Paper(
        ("Jozefowicz", "Zaremba", "Sutskever"),
        2015,
        "An empirical exploration of recurrent network architectures",
        "ICML 2015",
    ),
    "tallec2018": Paper(
        ("Tallec", "Ollivier"), 2018, "Can recurrent neural networks warp time?", "ICLR 2018", "1804.11188"
    ),
    # long-memory tasks and the results docs/experiments.md compares with
    "arjovsky2016": Paper(
        ("Arjovsky", "Shah", "Bengio"),
        2016,
        "Unitary evolution recurrent neural networks",
        "ICML 2016",
        "1511.06464",
    ),
    "henaff2016": Paper(
        ("Henaff", "Szlam", "LeCun"),
        2016,
        "Recurrent orthogonal networks and long-memory tasks",
        "ICML 2016",
        "1602.06662",
    ),
    "cooijmans2017": Paper(
        ("Cooijmans", "Ballas", "Laurent", "Gülçehre", "Courville"),
        2017,
        "Recurrent batch normalization",
        "ICLR 2017",
        "1603.09025",
    ),
    # signal propagation at initialization (docs/tune.md)
    "pennington2017": Paper(
        ("Pennington", "Schoenholz", "Ganguli"),
        2017,
        "Resurrecting the sigmoid in deep learning through dynamical isometry: theory and practice",
        "NeurIPS 2017",
        "1711.04735",
    ),
    "gilboa2019": Paper(
        ("Gilboa", "Chang", "Chen", "Yang", "Schoenholz", "Chi", "Pennington"),
        2019,
        "Dynamical isometry and a mean field theory of LSTMs and GRUs",
        arxiv="1901.08987",
    ),
    # random matrix theory (docs/dynamics.md)
    "rider2003": Paper(
        ("Rider",),
        2003,
        "A limit theorem at the edge of a non-Hermitian random matrix ensemble",
        "Journal of Physics A 36(12)",
    ),
    # the audit's statistics (rnninit.audit.power, rnninit.audit.describe)
    "massart1990": Paper(
        ("Massart",),
        1990,
        "The tight constant in the Dvoretzky-Kiefer-Wolfowitz inequality",
        "The Annals of Probability 18(3)",
    ),
    "stephens1970": Paper(
        ("Stephens",),
        1970,
        "Use of the Kolmogorov-Smirnov, Cramer-von Mises and related statistics without extensive tables",
        "Journal of the Royal Statistical Society, Series B 32(1)",
    ),
    # framework defaults
    "pytorch_rnn_default": Code("torch.nn.RNNBase.reset_parameters"),
    "keras_rnn_defaults": Code("keras.layers.LSTMCell / GRUCell / SimpleRNNCell defaults"),
}


def cite(key: str) -> str:
    """The citation text of ``key``; an unknown key is a ``KeyError`` naming the known ones."""
    try:
        return REFERENCES[key].cite()
    except KeyError:
        raise KeyError(
            f"no reference {key!r} in rnninit.references; known: {', '.join(REFERENCES)}"
        ) from None
