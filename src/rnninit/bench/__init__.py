"""Benchmarks: rnninit's cells against PyTorch's built-ins, timed honestly (``rnninit speed``).

In the manner of PyTorch's ``benchmarks/fastrnns``: forward and backward are timed apart, after a
warm-up; every candidate of a grid point is run in the same process, interleaved repeat by repeat
(so that a noisy neighbour slows all of them alike), and what is reported is the median of the
per-repeat ratios to the built-in with their range. FLOP rates are compared with the time the same
matrix products take on their own, measured the same way (`rnninit.bench.flops`).

Entry points: `rnninit.bench.suite.run_speed` with a `rnninit.bench.suite.SpeedConfig`,
or ``rnninit speed`` (`rnninit.cli.speed`).
"""
