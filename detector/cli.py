"""Command line: ``detector score | rank | train | adapt | evaluate | info | generate``.

Thin by design: parse options, call one library function, render. Data goes to stdout;
progress, notes and errors go to stderr. Exit codes: 0 success, 1 a known failure (one
``Error: ...`` line, no traceback; set ``DETECTOR_DEBUG=1`` for one), 2 a usage error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from io import StringIO
from pathlib import Path
from typing import Annotated, Any

import typer

from detector._heap import map_large_allocations
from detector._version import __version__
from detector.errors import DetectorError, InputNote, SchemaError
from detector.output import check_output, staged
from detector.sources import SOURCES, detect_source

# Cold start: the app starts without pandas, numpy or rich (``detector --help`` stays fast), so
# the imports inside the commands below bring in what each command needs, when it runs.

app = typer.Typer(
    name="detector",
    help="Separate authentic likes from bought and bot-farm likes, per creator, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Scope(str, Enum):
    batch = "batch"
    creator = "creator"


class Rates(str, Enum):
    reference = "reference"
    batch = "batch"


SourceName = Enum("SourceName", {name: name for name in SOURCES}, type=str)  # type: ignore[misc]
"""The platform exports ``--source`` takes (detector.sources.SOURCES)."""

SOURCE_HELP = (
    "Read FILE as this platform's export folder; detected when not given "
    "(README: Platform exports)."
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


def _format_of(output: Path | None) -> OutputFormat:
    """The report format an output file's name asks for: .json, .csv or .html, else a table."""
    if output is None or str(output) == "-":
        return OutputFormat.table
    suffix = output.suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    return OutputFormat(suffix) if suffix in ("json", "csv", "html") else OutputFormat.table


def _say(message: str) -> None:
    typer.echo(message, err=True)


_quiet = False
"""Set by a command's ``--quiet``: no notes, no progress (warnings and errors still)."""


def _note(message: str) -> None:
    """An informative line on stderr, unless ``--quiet``."""
    if not _quiet:
        _say(message)


AccountsFile = Annotated[
    Path | None,
    typer.Option(
        metavar="FILE", help="Liker accounts table keyed by account_id, joined on liker_id."
    ),
]
ModelFile = Annotated[
    Path | None,
    typer.Option(help="Model artifact (.joblib); default: the shipped model or $DETECTOR_MODEL."),
]
Force = Annotated[bool, typer.Option(help="Overwrite existing output files.")]
"""Options that scoring commands share (score, rank)."""
Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No notes and no progress: warnings and errors only."),
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Also print how long each stage took.")
]


@contextmanager
def _progress(quiet: bool = False, verbose: bool = False) -> Iterator[None]:
    """Progress bars on stderr when it is a terminal (not with ``quiet``), and with
    ``verbose`` one ``time:`` line per stage, for the work inside the block."""
    global _quiet
    _quiet = quiet
    bars = sys.stderr.isatty() and not quiet
    if not bars and not verbose:
        yield
        return
    from detector.progress import TerminalProgress, reporting

    with TerminalProgress(bars, verbose, say=_say) as shown, reporting(shown):
        yield


def _say_notes(frame: Any) -> None:
    """Show what reading noted about the input (e.g. header names stripped), one line each."""
    for note in frame.attrs.get("notes", []):
        _note(f"note: {note}")


@contextmanager
def _engine_messages() -> Iterator[None]:
    """Show the notes and warnings the scoring engines issue (they have no table to leave a
    note on) as one ``note:`` or ``warning:`` line each, not as Python's two-line warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for message in caught:
                if issubclass(message.category, InputNote):
                    _note(f"note: {message.message}")
                elif issubclass(message.category, RuntimeWarning) and str(
                    message.filename
                ).startswith(str(Path(__file__).parent)):
                    _say(f"warning: {message.message}")


def _say_warnings(report: Any) -> None:
    """Show what the input checks counted (duplicates dropped, impossible times taken as
    unknown, likers missing from the accounts table), one ``warning:`` line each."""
    # cold start: pandas only once a report exists
    from detector.creators import creator_fact_messages
    from detector.report import input_warnings, shift_warnings, time_notes

    facts_warnings, facts_notes = creator_fact_messages(report.meta)
    for line in [*input_warnings(report.meta), *facts_warnings, *shift_warnings(report)]:
        _say(f"warning: {line}")
    for line in [*facts_notes, *time_notes(report.creators)]:
        _note(f"note: {line}")


@contextmanager
def _known_failures() -> Iterator[None]:
    """Turn the detector's own errors (and file and memory errors) into one line and exit code 1."""
    try:
        yield
    except (DetectorError, OSError) as error:
        if os.environ.get("DETECTOR_DEBUG"):
            raise
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if isinstance(error, OSError) and not isinstance(error, DetectorError):
            message = f"{error.filename or ''}: {error.strerror or message}".lstrip(": ")
        _say(f"Error: {message}")
        raise typer.Exit(1) from None
    except MemoryError:
        if os.environ.get("DETECTOR_DEBUG"):
            raise
        _say(
            "Error: out of memory; score Parquet input with --engine chunked (bounded memory), "
            "in more buckets (--partitions) if it still runs out"
        )
        raise typer.Exit(1) from None


@contextmanager
def _status(message: str) -> Iterator[None]:
    """A stage of work: a spinner with its time on a terminal, a time line with --verbose."""
    from detector.progress import stage

    with stage(message):
        yield


def _refuse_overwrite(path: Path | None, force: bool) -> None:
    """Check an output before the work starts: not there unless --force, a regular file (a
    symlink is written through), in a folder that exists or can be made and is writable."""
    if path is not None and str(path) != "-":
        check_output(path, force)


def _refuse_model_stdout(output: Path) -> None:
    """A model is three files (artifact, compiled arrays, sidecar): stdout cannot hold it."""
    if str(output) == "-":
        raise typer.BadParameter(
            "a model is written to files: give a .joblib path", param_hint="--output"
        )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"detector {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Authentic-engagement fraud detector."""


def _render_creators(report: Any, fmt: OutputFormat) -> str:
    creators = report.creators
    if fmt is OutputFormat.json:
        from detector.report import report_json  # cold start: pandas only to render a report

        return report_json(report)
    if fmt is OutputFormat.csv:
        flat = creators.drop(columns=["evidence"]).copy()
        flat["reasons"] = flat["reasons"].map(" | ".join)
        return flat.to_csv(index=False)
    # cold start: rich only when a table is drawn
    from rich.console import Console
    from rich.table import Table

    from detector.audience import AUDIENCE_COLUMNS, audience_cell

    width = _table_width()
    audience = set(AUDIENCE_COLUMNS) <= set(creators.columns) and width >= AUDIENCE_FROM_WIDTH
    table = Table(title="Creator authenticity", title_justify="left")
    facts = [name for name in ("category", "platform") if name in creators.columns]
    for column in (
        "creator",
        *facts,
        "likes",
        "authenticity",
        "inauthentic (90% interval)",
        "verdict",
        *([AUDIENCE_HEADER] if audience else []),
        "top reason",
    ):
        table.add_column(column)
    for row in creators.itertuples(index=False):
        reason = row.reasons[1] if len(row.reasons) > 1 else row.reasons[0]
        table.add_row(
            str(row.creator_id),
            *[_cell(getattr(row, name)) for name in facts],
            f"{row.likes:,}",
            f"{row.authenticity:.1f}",
            f"{row.inauthentic_share:.1%} ({row.inauthentic_share_low:.1%}-{row.inauthentic_share_high:.1%})",
            row.verdict,
            *([audience_cell(row)] if audience else []),
            reason,
        )
    buffer = StringIO()
    Console(file=buffer, width=width, force_terminal=False).print(table)
    used = ", ".join(report.meta["features_used"])
    missing = ", ".join(sorted(report.meta["features_missing"])) or "none"
    _note(f"features used: {used}")
    _note(f"features left out (inputs absent or times too coarse): {missing}")
    return buffer.getvalue()


def _render_html(
    report: Any, likes: Any, scorer: Any, detail: int | None, named: list[str] | None
) -> str:
    """The report as one HTML page, with the model's reference of account ages beside each
    creator's likers."""
    # cold start: only to draw a page
    from detector.visual import DETAIL, AgeReference, render_html

    reference = AgeReference.of(scorer, report.meta["features_used"])
    detail = DETAIL if detail is None else detail
    return render_html(report, likes, reference, detail=detail, named=named)


AUDIENCE_HEADER = "audience %\nreal/mass/\ninfl/susp"
"""The score table's compact audience column (detector.audience): the four shares, in percent."""
AUDIENCE_FROM_WIDTH = 100
"""Narrower tables leave the audience column out (JSON and CSV always carry the shares): in
80 columns the verdicts would be cut to fit it."""


def _cell(value: Any) -> str:
    """A text fact as a table cell: empty where it is missing (pandas' NA is not a str)."""
    return value if isinstance(value, str) else ""


def _table_width() -> int:
    """$COLUMNS, else the terminal's width when stdout is one, else 100: rich wraps the cells
    (the reason column first) to fit, so no row wraps in an 80-column terminal."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((100, 24)).columns, 40)
    return 100


# --- scoring engines (detector.engines): options of `score` --------------------------------
class Engine(str, Enum):
    auto = "auto"
    memory = "memory"
    chunked = "chunked"
    dask = "dask"


AUTO_CHUNKED_FROM = 2_000_000
"""``--engine auto`` scores Parquet input of at least this many likes with the chunked engine,
whose memory is bounded by a bucket of whole creators per worker, and anything smaller in memory,
whose peak grows with the table (see BENCHMARKS.md, Speed)."""


def _auto_engine(file: Path) -> Engine:
    """The chunked engine for large Parquet input (row count from the file footers), else memory."""
    if str(file) == "-" or not (file.is_dir() or file.suffix.lower() in {".parquet", ".pq"}):
        return Engine.memory
    import pyarrow.dataset as ds  # cold start: only Parquet input counts its rows

    try:
        rows = ds.dataset(file, format="parquet").count_rows()
    except (OSError, ValueError):  # unreadable: let the memory path name the problem
        return Engine.memory
    if rows < AUTO_CHUNKED_FROM:
        return Engine.memory
    _note(f"{rows:,} likes: chunked engine (bounded memory; --engine memory loads them all)")
    return Engine.chunked


def _score_with_engine(
    engine: Engine,
    file: Path,
    model: Path | None,
    accounts: Path | None,
    creator: list[str] | None,
    likes_output: Path | None,
    scheduler: str | None,
    partitions: int | None,
    scope: str,
    json_output: Path | None = None,
    creator_facts: Path | None = None,
) -> Any:
    """Score with the chunked or the Dask engine, from the compiled arrays as the memory
    engine does. The chunked engine streams ``likes_output`` itself, and writes
    ``json_output`` with each creator rendered by its worker."""
    # cold start: pandas, numpy and the engines only for the command that scores
    from detector.persistence import load_scorer

    if engine is Engine.chunked:
        from detector.engines.chunked import score_parquet_chunked

        return score_parquet_chunked(
            file,
            load_scorer(model),
            buckets=partitions,
            likes_output=likes_output,
            json_output=json_output,
            accounts=accounts,
            creators=creator or None,
            creator_facts=creator_facts,
            scope=scope,
        )
    from detector.engines.dask_engine import dask_client, read_likes_dask, score_dask

    fitted = load_scorer(model)
    ddf = read_likes_dask(file)
    with dask_client(scheduler):
        return score_dask(
            ddf,
            fitted,
            include_likes=likes_output is not None,
            accounts=accounts,
            creators=creator or None,
            creator_facts=creator_facts,
            npartitions=partitions,
            scope=scope,
            source=str(file),
        )


def _write_score_outputs(
    report: Any,
    format: OutputFormat,
    output: Path | None,
    likes_output: Path | None,
    write_likes: bool,
    written: bool = False,
) -> None:
    """Render the report to stdout or ``output`` (unless ``written`` there by the engine);
    write the per-like table unless written."""
    from detector.io import write_frame, write_text  # cold start: pandas only to write results

    if output is None or str(output) == "-":
        sys.stdout.write(_render_creators(report, format))
    else:
        if not written:
            with _status(f"writing {output}"):
                write_text(output, _render_creators(report, format))
        _note(f"report written to {output}")
    if likes_output is not None:
        if write_likes:
            with _status(f"writing {likes_output}"):
                write_frame(likes_output, report.likes)
        _note(f"per-like scores written to {likes_output}")


# --- end of scoring engines -------------------------------------------------------------------


def _report_in_memory(
    file: Path,
    accounts: Path | None,
    creator_facts: Path | None,
    model: Path | None,
    scope: Scope,
    rates: Rates,
    creator: list[str] | None = None,
    source: Enum | None = None,
    include_likes: bool = False,
) -> Any:
    """Read, validate and score a likes table in memory (what ``score`` and ``rank`` share),
    saying on stderr what reading and scoring noticed: the report, the likes and the scorer."""
    # cold start: pandas and the scorer only when scoring runs
    from detector.io import load_likes
    from detector.persistence import load_scorer

    likes = load_likes(
        file, accounts, creators=creator, creator_facts=creator_facts, source=_name(source)
    )
    _say_notes(likes)
    likes.attrs["detector_validated"] = True
    with _status("loading the model"):
        fitted = load_scorer(model)
    report = fitted.report(  # its stages: detector.scoring.pipeline
        likes, include_likes=include_likes, scope=scope.value, rates=rates.value
    )
    _say_warnings(report)
    return report, likes, fitted


@app.command()
def score(
    file: Annotated[
        Path,
        typer.Argument(
            help="Likes table (.csv, .parquet, .jsonl, or - for CSV on stdin), or a platform "
            "export folder."
        ),
    ],
    source: Annotated[SourceName | None, typer.Option(help=SOURCE_HELP)] = None,
    accounts: AccountsFile = None,
    creator_facts: Annotated[
        Path | None,
        typer.Option(
            "--creators",
            metavar="FILE",
            help="Creators table keyed by creator_id (followers, category, platform), "
            "joined on creator_id.",
        ),
    ] = None,
    model: ModelFile = None,
    creator: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help="Only report this creator_id (repeatable)."),
    ] = None,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="Output format [default: json, csv or html for an --output file named so, "
            "else table]. html: one self-contained page with charts (memory engine).",
        ),
    ] = None,
    detail: Annotated[
        int | None,
        typer.Option(
            min=0,
            metavar="N",
            help="With --format html: draw this many creators in detail, the most suspicious "
            "first [default: 50; every --creator ID when given].",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Write the report here instead of stdout (- for stdout)."
        ),
    ] = None,
    likes_output: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Also write per-like scores and flags (.csv, .parquet or .jsonl)."
        ),
    ] = None,
    scope: Annotated[
        Scope,
        typer.Option(
            help="batch: also use coordination across all creators in the file; "
            "creator: each creator's own likes only (same result alone or in any batch)."
        ),
    ] = Scope.creator,
    rates: Annotated[
        Rates,
        typer.Option(
            help="reference: the false-positive rate measured on the model's reference; "
            "batch: raised to this file's least-flagged creators' rate when it is higher "
            "(results then depend on the batch; memory engine)."
        ),
    ] = Rates.reference,
    force: Force = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="memory: load the table; chunked: Parquet larger than memory, bounded memory; "
            "dask: a Dask cluster (pip install 'engagement-detector[dask]'); auto: chunked for "
            f"Parquet of {AUTO_CHUNKED_FROM:,} likes or more, else memory."
        ),
    ] = Engine.auto,
    scheduler: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="With --engine dask: scheduler address (tcp://host:8786); "
            "default: a local cluster of 2 worker processes.",
        ),
    ] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="N",
            help="Chunked: creator buckets (default: one per 125,000 likes); "
            "dask: partitions after the shuffle by creator (default: as read).",
        ),
    ] = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Score creators: how authentic their likes are, with an interval and reasons.

    Example: detector score datasets/sample/likes.csv --format json --output report.json

    Example: detector score likes.csv --creators creators.csv --format csv
    """
    if source is not None and engine not in (Engine.memory, Engine.auto):
        raise typer.BadParameter(
            "a platform export is read in memory: use --engine memory", param_hint="--engine"
        )
    if scheduler is not None and engine is not Engine.dask:
        raise typer.BadParameter("needs --engine dask", param_hint="--scheduler")
    if rates is Rates.batch and engine not in (Engine.memory, Engine.auto):
        raise typer.BadParameter(
            "rates from the batch need every creator's flags at once: use --engine memory",
            param_hint="--rates",
        )
    if partitions is not None and engine in (Engine.memory, Engine.auto):
        raise typer.BadParameter("needs --engine chunked or dask", param_hint="--partitions")
    format = format or _format_of(output)
    html = format is OutputFormat.html
    if detail is not None and not html:
        raise typer.BadParameter("needs --format html", param_hint="--detail")
    if html and engine not in (Engine.memory, Engine.auto):
        raise typer.BadParameter(
            "the HTML report draws each creator's likes, read in memory: use --engine memory",
            param_hint="--format html",
        )
    if likes_output is not None and str(likes_output) == "-":
        raise typer.BadParameter(
            "stdout carries the report: give a file", param_hint="--likes-output"
        )
    with _known_failures(), _progress(quiet, verbose):
        if engine is Engine.auto:
            in_memory = source is not None or rates is Rates.batch or html
            engine = Engine.memory if in_memory else _auto_engine(file)
        if engine is not Engine.memory:  # scoring engines
            _refuse_overwrite(output, force)
            _refuse_overwrite(likes_output, force)
            to_file = output is not None and str(output) != "-"
            json_output = output if to_file and format is OutputFormat.json else None
            if engine is not Engine.chunked:
                json_output = None
            with staged(), _status(f"scoring {file} with the {engine.value} engine"):
                with _engine_messages():
                    report = _score_with_engine(
                        engine,
                        file,
                        model,
                        accounts,
                        creator,
                        likes_output,
                        scheduler,
                        partitions,
                        scope.value,
                        json_output,
                        creator_facts,
                    )
                _say_warnings(report)
                _write_score_outputs(
                    report,
                    format,
                    output,
                    likes_output,
                    write_likes=engine is Engine.dask,
                    written=json_output is not None,
                )
            return
        # cold start: pandas and the scorer only when scoring runs
        from detector.io import write_frame, write_text

        _refuse_overwrite(output, force)
        _refuse_overwrite(likes_output, force)
        report, likes, fitted = _report_in_memory(
            file,
            accounts,
            creator_facts,
            model,
            scope,
            rates,
            creator=creator,
            source=source,
            include_likes=likes_output is not None or html,
        )
        if html:
            text = _render_html(report, likes, fitted, detail, creator)
        else:
            text = _render_creators(report, format)
        to_file = output is not None and str(output) != "-"
        writing = [str(path) for path in (output if to_file else None, likes_output) if path]
        with _status(f"writing {', '.join(writing) or 'the report'}"), staged():  # all or none
            if to_file:
                write_text(output, text)
            if likes_output is not None:
                write_frame(likes_output, report.likes)
        if output is None or str(output) == "-":
            sys.stdout.write(text)
        else:
            _note(f"report written to {output}")
        if likes_output is not None:
            _note(f"per-like scores written to {likes_output}")


@app.command()
def rank(
    file: Annotated[
        Path, typer.Argument(help="Likes table (.csv, .parquet, .jsonl, or - for CSV on stdin).")
    ],
    creator_facts: Annotated[
        Path,
        typer.Option(
            "--creators",
            metavar="FILE",
            help="Creators table keyed by creator_id, with followers (for the rates) and "
            "category (for the peers).",
        ),
    ],
    category: Annotated[
        str | None, typer.Option(metavar="C", help="Only list creators of this category.")
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option(
            metavar="T",
            help="Only list creators of this follower tier: under 1k, 1k-5k, 5k-20k, "
            "20k-100k, 100k-1M, over 1M.",
        ),
    ] = None,
    top: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="List the first N creators only.")
    ] = None,
    pulse: Annotated[
        bool,
        typer.Option(
            help="Pulse-style eligibility: 100,000 followers or more, verdict authentic, and a "
            "post in the top 4% of its category by authentic likes (README: Rank creators)."
        ),
    ] = False,
    peers_min: Annotated[
        int,
        typer.Option(
            min=2,
            metavar="N",
            help="Fewest creators of a category and tier to compare within the batch; with "
            "fewer, the tier's published benchmark stands in.",
        ),
    ] = 10,
    posts_output: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Also write the listed creators' posts ranked in their category "
            "(.csv, .parquet or .jsonl); with --pulse only the top 4%.",
        ),
    ] = None,
    accounts: AccountsFile = None,
    model: ModelFile = None,
    scope: Annotated[
        Scope, typer.Option(help="batch or creator (see 'detector score --help').")
    ] = Scope.creator,
    rates: Annotated[
        Rates, typer.Option(help="reference or batch (see 'detector score --help').")
    ] = Rates.reference,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="Output format [default: json or csv for an --output file named .json or "
            ".csv, else table].",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Write the ranking here instead of stdout (- for stdout)."
        ),
    ] = None,
    force: Force = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Rank creators by authentic engagement rate against their peers, with eligibility.

    Example: detector rank likes.csv --creators creators.csv --category food --top 10

    Example: detector rank likes.csv --creators creators.csv --pulse --posts-output top.csv
    """
    if posts_output is not None and str(posts_output) == "-":
        raise typer.BadParameter(
            "stdout carries the ranking: give a file", param_hint="--posts-output"
        )
    format = format or _format_of(output)
    if format is OutputFormat.html:
        raise typer.BadParameter(
            "a ranking is a table, JSON or CSV; the HTML report is 'detector score --format html'",
            param_hint="--format",
        )
    with _known_failures(), _progress(quiet, verbose):
        # cold start: pandas, the scorer and the ranking only when ranking runs
        from detector.io import write_frame, write_text
        from detector.rank import rank_creators, rank_meta, rank_posts

        _refuse_overwrite(output, force)
        _refuse_overwrite(posts_output, force)
        report, _, _ = _report_in_memory(file, accounts, creator_facts, model, scope, rates)
        ranked = rank_creators(
            report, category=category, tier=tier, top=top, pulse=pulse, peers_min=peers_min
        )
        if report.creators["followers"].isna().all():
            _say(
                f"warning: {creator_facts}: no creator has a follower count (column "
                "'followers'): no engagement rates, and no creator is eligible"
            )
        meta = rank_meta(pulse, peers_min)
        _note(f"eligible: {meta['rule']}")
        text = _render_ranking(ranked, meta, format)
        posts = None
        if posts_output is not None:
            posts = rank_posts(report.creators, report.posts)
            posts = posts[posts["creator_id"].isin(ranked["creator_id"]).to_numpy()]
            if pulse:
                posts = posts[posts["top_content"].to_numpy()]
        with staged():  # both outputs or neither
            if output is not None and str(output) != "-":
                write_text(output, text)
            if posts is not None and posts_output is not None:
                write_frame(posts_output, posts.reset_index(drop=True))
        if output is None or str(output) == "-":
            sys.stdout.write(text)
        else:
            _note(f"ranking written to {output}")
        if posts_output is not None:
            _note(f"posts written to {posts_output}")


def _peer_cell(row: Any) -> str:
    """Where a creator stands, short enough for a table cell (JSON and CSV carry the sentence,
    ``peer_summary``)."""
    if row.authentic_rate_percentile == row.authentic_rate_percentile:  # not NaN: batch peers
        return (
            f"rate above {row.authentic_rate_percentile:.0f}%, more inflated than "
            f"{row.share_percentile_in_peers:.0f}% of {row.peers} peers"
        )
    return row.peer_summary


def _render_ranking(ranked: Any, meta: dict[str, Any], fmt: OutputFormat) -> str:
    if fmt is OutputFormat.json:
        from detector.rank import ranking_json  # cold start: pandas only to render a ranking

        return ranking_json(ranked, meta)
    if fmt is OutputFormat.csv:
        return ranked.to_csv(index=False)
    from rich.console import Console  # cold start: rich only when a table is drawn
    from rich.table import Table

    from detector.rank import percent

    table = Table(title="Creators by authentic engagement", title_justify="left")
    for column in ("#", "creator", "category, tier"):
        table.add_column(column)
    table.add_column("authentic rate (90%)", overflow="fold")  # a long interval folds, whole
    table.add_column("vs peers")
    table.add_column("verdict")
    table.add_column("eligible")
    for row in ranked.itertuples(index=False):
        rate = row.authentic_engagement_rate
        where = ", ".join(_cell(value) for value in (row.category, row.tier) if _cell(value))
        table.add_row(
            str(row.rank),
            str(row.creator_id),
            where,
            "-"
            if rate != rate  # NaN: no follower count
            else f"{percent(rate)} ({percent(row.authentic_engagement_rate_low)[:-1]}-"
            f"{percent(row.authentic_engagement_rate_high)})",
            _peer_cell(row),
            row.verdict,
            f"{'yes' if row.eligible else 'no'}: {row.eligible_reason}",
        )
    buffer = StringIO()
    Console(file=buffer, width=_table_width(), force_terminal=False).print(table)
    return buffer.getvalue()


@app.command()
def train(
    file: Annotated[Path, typer.Argument(help="Likes table with account attributes (and labels).")],
    output: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="Where to write the model (.joblib; a .json sidecar is written beside it).",
        ),
    ],
    accounts: Annotated[
        Path | None, typer.Option(help="Liker accounts table keyed by account_id.")
    ] = None,
    source: Annotated[SourceName | None, typer.Option(help=SOURCE_HELP)] = None,
    label_column: Annotated[
        str,
        typer.Option(
            help="Label column (1/true = fake). Absent from the data: train unsupervised."
        ),
    ] = "is_fake",
    unsupervised: Annotated[
        bool, typer.Option(help="Ignore labels; take every like as authentic reference.")
    ] = False,
    holdout: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of creators held out for metrics.")
    ] = 0.25,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    n_estimators: Annotated[
        int | None, typer.Option(min=1, help="Trees in the forest [default: the model's, 50].")
    ] = None,
    head_max_depth: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Depth limit of the supervised head's trees: faster scoring, less accurate "
            "(BENCHMARKS.md) [default: none].",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing model.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Train a model; with labels, choose the threshold and report held-out metrics.

    Example: detector train likes.csv --label-column is_fake --output models/mine.joblib
    """
    with _known_failures(), _progress(quiet, verbose):
        # cold start: pandas and scikit-learn only when training runs
        from detector.io import load_likes
        from detector.persistence import data_fingerprint, save_model, sidecar_path
        from detector.training import train as train_model

        _refuse_model_stdout(output)
        _refuse_overwrite(output, force)
        raw_label = None if unsupervised else label_column
        likes = load_likes(
            file,
            accounts,
            label_column=_label_if_present(file, accounts, raw_label, _name(source)),
            source=_name(source),
        )
        _say_notes(likes)
        labelled = raw_label is not None and raw_label in likes.columns
        if not labelled:
            _say(
                f"no '{label_column}' column: training unsupervised (every like taken as authentic)"
            )
        with _status(f"training on {len(likes):,} likes"):
            model, metrics = train_model(
                likes,
                raw_label if labelled else None,
                holdout=holdout if labelled else 0.0,
                params={
                    name: value
                    for name, value in (
                        ("n_estimators", n_estimators),
                        ("head_max_depth", head_max_depth),
                    )
                    if value is not None
                },
                random_state=seed,
            )
        training = {
            "file": str(file),
            "likes": int(len(likes)),
            "fingerprint": data_fingerprint(likes),
        }
        save_model(model, output, metrics=metrics, training=training, overwrite=True)
        typer.echo(json.dumps(metrics, indent=2))
        _note(f"model written to {output} (metadata: {sidecar_path(output)})")


FEW_CLEAN_CREATORS = 10
"""Fewer clean creators than this make ``detector adapt`` warn about its false-positive rate."""


@app.command()
def adapt(
    file: Annotated[
        Path, typer.Argument(help="Likes of creators known to be clean, with account attributes.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            metavar="FILE",
            help="Where to write the model (.joblib; a .json sidecar is written beside it).",
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option(help="Model to adapt; default: the shipped model or $DETECTOR_MODEL."),
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="Liker accounts table keyed by account_id.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: the model's].")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing model.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Adapt a model to your platform with likes of creators known to be clean; no fake label.

    The new model learns what authentic likes look like from FILE, and what fake likes look
    like from the simulated farms the model was trained on.

    Example: detector adapt clean_creators.csv --output models/mine.joblib
    """
    with _known_failures(), _progress(quiet, verbose):
        # cold start: pandas and scikit-learn only when adapting runs
        from detector.io import load_likes
        from detector.persistence import data_fingerprint, load_model, save_model, sidecar_path
        from detector.training import adapt as adapt_model

        _refuse_model_stdout(output)
        _refuse_overwrite(output, force)
        label = _label_if_present(file, accounts, "is_fake")
        likes = load_likes(file, accounts, label_column=label)
        fakes = 0 if label is None else int(likes[label].fillna(0).astype(bool).sum())
        if fakes:
            raise SchemaError(
                f"{file}: column '{label}' marks {fakes:,} likes as fake; adapt takes likes of "
                f"creators known to be clean (with fake labels, use 'detector train')"
            )
        base = load_model(model)
        with _status(f"adapting to {len(likes):,} likes of clean creators"):
            adapted, metrics = adapt_model(base, likes, random_state=seed)
        training = {
            "file": str(file),
            "likes": int(len(likes)),
            "fingerprint": data_fingerprint(likes),
            "adapted_from": str(model) if model is not None else "default",
        }
        save_model(adapted, output, metrics=metrics, training=training, overwrite=True)
        typer.echo(json.dumps({k: v for k, v in metrics.items() if k != "features"}, indent=2))
        if metrics["clean_creators"] < FEW_CLEAN_CREATORS:
            _say(
                f"warning: only {metrics['clean_creators']} clean creator(s); the false-positive "
                f"rate is measured on few creators' audiences and may be off (the benchmark "
                f"used 60)"
            )
        _note(f"model written to {output} (metadata: {sidecar_path(output)})")


def _label_if_present(
    file: Path, accounts: Path | None, label: str | None, source: str | None = None
) -> str | None:
    """The label column if either table has it (peeking at the header only); a platform
    export has no labels, so then only the accounts table can."""
    if label is None:
        return None
    from detector.io import read_table  # cold start: pandas only for commands that read data

    if str(file) == "-":
        return label
    export = source is not None or detect_source(file) is not None
    if export or label not in _columns(file):
        if accounts is None or label not in read_table(accounts).columns:
            return None
    return label


def _name(source: Enum | None) -> str | None:
    """The registry name of a ``--source`` choice."""
    return None if source is None else str(source.value)


def _columns(path: Path) -> list[str]:
    # cold start: pandas and pyarrow only for commands that read data
    from detector.io import detect_format, read_table

    if detect_format(path) == "parquet":
        import pyarrow.parquet as pq

        return (
            list(pq.read_schema(path).names) if path.is_file() else list(read_table(path).columns)
        )
    if detect_format(path) in ("csv", "tsv"):
        import pandas as pd

        return list(
            pd.read_csv(path, nrows=0, sep="\t" if detect_format(path) == "tsv" else ",").columns
        )
    return list(read_table(path).columns)


@app.command()
def evaluate(
    file: Annotated[Path, typer.Argument(help="Labelled likes table.")],
    model: Annotated[
        Path | None, typer.Option(help="Model artifact; default: the shipped model.")
    ] = None,
    accounts: Annotated[
        Path | None, typer.Option(help="Liker accounts table keyed by account_id.")
    ] = None,
    source: Annotated[SourceName | None, typer.Option(help=SOURCE_HELP)] = None,
    creators: Annotated[
        Path | None, typer.Option(help="Creator truth: creator_id and the true inauthentic_share.")
    ] = None,
    label_column: Annotated[
        str, typer.Option(help="Label column of the likes (1/true = fake).")
    ] = "is_fake",
    scope: Annotated[
        Scope, typer.Option(help="batch or creator (see 'detector score --help').")
    ] = Scope.creator,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Measure a model on labelled data, at like level and creator level (JSON on stdout).

    Example: detector evaluate world/likes.csv --creators world/creators.csv
    """
    with _known_failures(), _progress(quiet, verbose):
        # cold start: pandas and the model only when evaluating runs
        from detector.io import load_likes, read_table
        from detector.persistence import load_model
        from detector.training import evaluate as evaluate_model

        label = _label_if_present(file, accounts, label_column, _name(source))
        if label is None and creators is None:
            raise SchemaError(
                f"{file}: no label column '{label_column}' and no --creators truth to evaluate against"
            )
        likes = load_likes(file, accounts, label_column=label, source=_name(source))
        truth = read_table(creators) if creators is not None else None
        fitted = load_model(model)
        with _status(f"evaluating on {len(likes):,} likes"):
            metrics = evaluate_model(fitted, likes, label, truth, scope=scope.value)
        typer.echo(json.dumps(metrics, indent=2))


@app.command()
def info(
    model: Annotated[
        Path | None, typer.Argument(help="Model artifact (.joblib); default: the shipped model.")
    ] = None,
) -> None:
    """Verify a model and show its metadata (the JSON sidecar; unpickles nothing).

    Checks the format version, the checksum of the .npz file and that it opens, and, when the
    .joblib (needed only to retrain or adapt) is there, its checksum and the scikit-learn
    version it was saved with against the installed one; exits 1 on damage.

    Example: detector info models/default.joblib
    """
    with _known_failures():
        # cold start: numpy and the artifact checks only for this command
        from detector.persistence import default_model_path, open_compiled, verify_artifact

        path = model or default_model_path()
        meta = verify_artifact(path, scoring=not Path(path).exists())
        open_compiled(path)
        typer.echo(json.dumps(meta, indent=2))


@app.command()
def generate(
    outdir: Annotated[Path, typer.Argument(help="Folder for likes.csv and creators.csv.")],
    creators: Annotated[int, typer.Option("--creators", min=1, help="Number of creators.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same world).")] = 0,
    inflated_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of creators with bought likes.")
    ] = 0.5,
    format: Annotated[
        str, typer.Option("--format", help="csv or parquet (chunked, for large worlds).")
    ] = "csv",
    populations: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated account populations (default, active, microblog, social): "
            "one world of --creators creators per population, stacked (what the shipped model "
            "is trained on). Not with --format parquet."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Simulate a labelled world: OUTDIR/likes.csv (with is_fake) and OUTDIR/creators.csv.

    Example: detector generate /tmp/world --creators 200 --seed 7
    """
    with _known_failures(), _progress(quiet, verbose):
        from detector import synth  # cold start: the simulator (pandas, numpy) only here

        if format not in ("csv", "parquet"):
            raise typer.BadParameter(f"{format!r}: expected csv or parquet", param_hint="--format")
        if str(outdir) == "-":
            raise typer.BadParameter("a world is two files: give a folder", param_hint="OUTDIR")
        chosen = None
        if populations is not None:
            chosen = tuple(name.strip() for name in populations.split(",") if name.strip())
            unknown = sorted(set(chosen) - set(synth.POPULATIONS)) or ([] if chosen else ["''"])
            if unknown:
                raise typer.BadParameter(
                    f"unknown population(s) {', '.join(unknown)}; "
                    f"expected some of {', '.join(synth.POPULATIONS)}",
                    param_hint="--populations",
                )
            if format != "csv":
                raise typer.BadParameter("only with --format csv", param_hint="--populations")
        target = outdir / ("likes.csv" if format == "csv" else "likes")
        _refuse_overwrite(target, force)
        _refuse_overwrite(outdir / "creators.csv", force)
        with _status(f"simulating {creators} creators"):
            if format == "csv":
                paths = synth.write_world(
                    outdir, creators, seed, inflated_share=inflated_share, populations=chosen
                )
            else:
                paths = synth.write_world_parquet_chunked(
                    outdir, creators, seed, inflated_share=inflated_share
                )
        _note(f"wrote {paths[0]} and {paths[1]}")


def _interrupted(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP (and SIGINT) unwind like Ctrl-C, through the cleanup of temporary files,
    spill folders and worker processes; a second signal during that cleanup is ignored."""
    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``detector`` command."""
    map_large_allocations()  # resident memory follows the arrays alive (detector._heap)
    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, _interrupted)
    app()
