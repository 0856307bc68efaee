"""Long fuzz run of ``detector score`` (issue 16, point 10): the strategies of tests/fuzz_tables.py.

    python benchmarks/fuzz.py --cases 10000 [--seed S] [--failures DIR]

Hypothesis draws the cases with a fixed seed (same seed, same cases); failures are not shrunk.
Prints counts by exit code and by category, tracebacks and disagreements; each failing case is
written to DIR (input file, accounts table, problems) for replay with ``detector score``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import Phase, given, seed, settings  # noqa: E402

from tests.fuzz_tables import Case, cases, check  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--failures", type=Path, default=Path("benchmarks/results/fuzz_failures"))
    args = parser.parse_args()
    counts: Counter = Counter({"cases": 0, "tracebacks": 0, "failures": 0})
    by_category: Counter = Counter()
    cases_by_category: Counter = Counter()
    args.failures.mkdir(parents=True, exist_ok=True)

    @seed(args.seed)
    @settings(
        max_examples=args.cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(__import__("hypothesis").HealthCheck),
    )
    @given(cases)
    def one(case: Case) -> None:
        with tempfile.TemporaryDirectory() as folder:
            outcome, problems = check(case, Path(folder))
        counts["cases"] += 1
        counts[outcome] += 1
        cases_by_category[(case.category, outcome)] += 1
        if any(p.startswith("traceback") or "Traceback" in p for p in problems):
            counts["tracebacks"] += 1
        if problems:
            counts["failures"] += 1
            by_category[(case.category, problems[0].split(":")[0][:40])] += 1
            where = args.failures / f"{counts['cases']:06d}_{case.category}"
            where.mkdir(exist_ok=True)
            (where / case.name).write_bytes(case.data)
            if case.accounts is not None:
                (where / "accounts.csv").write_bytes(case.accounts)
            (where / "problems.json").write_text(
                json.dumps(
                    {
                        "expect": case.expect,
                        "outcome": outcome,
                        "problems": problems,
                        "creators": case.creators,
                    },
                    indent=1,
                    ensure_ascii=False,
                )
            )
        if counts["cases"] % 100 == 0:
            print(dict(counts), file=sys.stderr, flush=True)

    started = time.perf_counter()
    one()
    counts["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(dict(counts)))
    print("cases by category and exit code:")
    for (category, outcome), n in sorted(cases_by_category.items()):
        print(f"{n:6d}  {category:22s} {outcome}")
    if by_category:
        print("failures by category and first problem:")
    for (category, problem), n in by_category.most_common():
        print(f"{n:6d}  {category:22s} {problem}")


if __name__ == "__main__":
    main()
