"""The audit's false-positive rate and power, measured on seeded correct and incorrect initializations.

Claim (docs/audit.md): one audit of a correctly initialized model reports a finding with probability
at most alpha = 1e-3. A rate that small needs thousands of audits to see directly (the slow test); the
default run audits fewer models and checks, with a binomial test, that the family-wise rate at
several levels and the single-test p-values are no larger than they should be.
"""

import numpy as np
import pytest
from scipy import stats

from rnninit.audit.calibration import CASES, false_positives, std_power


def _not_above(k: int, n: int, rate: float) -> bool:
    """A one-sided binomial test at level 1e-3 does not reject 'true rate <= rate'."""
    return stats.binomtest(k, n, rate, alternative="greater").pvalue > 1e-3


def _check(cal) -> None:
    assert sum(cal.exact_failures) == 0
    assert _not_above(sum(cal.reported), cal.audits, 1e-3)  # any finding, spec-free ones included
    for alpha in (1e-3, 1e-2, 5e-2, 0.2):
        assert _not_above(cal.flagged(alpha), cal.audits, alpha), (alpha, cal.flagged(alpha))
    ps = np.asarray(cal.p_values)
    for q in (1e-3, 1e-2, 0.1):
        assert _not_above(int(np.sum(ps < q)), ps.size, q), q


def test_correct_initializations_are_rarely_flagged():
    cal = false_positives(4 * len(CASES))
    _check(cal)
    assert cal.flagged(1e-3) == 0


@pytest.mark.slow
def test_false_positive_rate_of_3000_audits_is_at_most_1e_3():
    cal = false_positives(3000, first_seed=10_000)
    _check(cal)
    # at a true rate of exactly 1e-3, 3000 audits flag more than 10 with probability < 1e-3
    assert cal.flagged(1e-3) <= stats.binom.ppf(1 - 1e-3, 3000, 1e-3) == 10


def test_a_ten_percent_std_error_in_a_64x64_block_is_caught_99_percent_of_the_time():
    assert std_power(-0.1, trials=100) >= 0.99
    assert std_power(0.1, trials=100) >= 0.99
    # and the correct std is not flagged
    assert std_power(0.0, trials=100) <= 0.02
