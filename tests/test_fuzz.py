"""Property tests of ``detector score`` on odd and broken tables (issue 16, point 10).

Exit 0 must give a report that agrees with the input; exit 1 one ``Error:`` line naming the
file, a column or a row; never a traceback or ``Aborted!``. Derandomized, so CI is reproducible;
``benchmarks/fuzz.py`` runs the same strategies for 10,000+ cases. Run alone with
``python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from tests.fuzz_tables import Case, broken_cases, check, valid_cases

FUZZ = settings(
    max_examples=150,  # 300 cases in all, a minute or two on 2 cores
    deadline=None,
    derandomize=True,
    database=None,
    # no shrinking: a failing case is printed as drawn, and CI never spends minutes shrinking
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _assert_holds(case: Case) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome, problems = check(case, Path(folder))
    assert not problems, (
        f"{case.category} ({case.expect}, {outcome}): {problems}; input {case.data[:300]!r}"
    )


@FUZZ
@given(valid_cases())
def test_valid_tables_give_reports_that_agree_with_them(case: Case) -> None:
    _assert_holds(case)


@FUZZ
@given(broken_cases())
def test_broken_tables_give_one_error_line(case: Case) -> None:
    _assert_holds(case)


def test_agreement_catches_a_report_that_counts_a_duplicate_twice() -> None:
    """The property itself: a report whose likes exceed the distinct input likes disagrees."""
    from tests.fuzz_tables import agreement

    report = {
        "creators": [
            {
                "creator_id": "007",
                "likes": 3,
                "authenticity": 90.0,
                "inauthentic_share": 0.1,
                "inauthentic_share_interval": [0.0, 0.3],
                "verdict": "authentic",
            }
        ]
    }
    assert agreement(report, {"007": 2})
    assert agreement(report, {"7": 3})
    assert not agreement(report, {"007": 3})
