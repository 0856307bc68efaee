"""The HTML report: what the page holds, and the page in a real browser (headless Chromium).

The browser tests need Debian's ``chromium`` (``bash tests/browser.sh`` installs it; the README's
test command runs it first) or ``$DETECTOR_CHROMIUM``; without one they are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.visual import AgeReference, render_html
from detector.visual.charts import percent_ticks
from detector.visual.page import detailed_creators
from detector.visual.svg import nice_ticks

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "datasets" / "sample"


def chromium() -> str | None:
    return (
        os.environ.get("DETECTOR_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


needs_browser = pytest.mark.skipif(
    chromium() is None, reason="no Chromium (bash tests/browser.sh installs it)"
)


@pytest.fixture(scope="module")
def scored(test_world, shipped_model):
    likes, _ = test_world
    report = shipped_model.report(likes, include_likes=True)
    reference = AgeReference.of(shipped_model, report.meta["features_used"])
    return likes, report, reference


@pytest.fixture(scope="module")
def page(scored) -> str:
    likes, report, reference = scored
    return render_html(report, likes, reference)


class _Sections(HTMLParser):
    """The ids of the creator sections and the sources a page would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and "creator" in (found.get("class") or ""):
            self.sections.append(found["id"] or "")
        for name in ("src", "href"):
            value = found.get(name) or ""
            if value and not value.startswith("#"):
                self.fetches.append(value)
        if tag == "link":
            self.fetches.append(str(found))


def parsed(html: str) -> _Sections:
    parser = _Sections()
    parser.feed(html)
    return parser


def test_the_page_is_self_contained_and_names_every_creator(scored, page):
    _, report, _ = scored
    found = parsed(page)
    assert found.fetches == []  # nothing fetched: it opens offline
    for column in (">followers<", ">authentic ER<", ">real likers<"):  # known in this world
        assert column in page
    for creator in report.creators["creator_id"].astype(str):
        assert f">{creator}<" in page
    assert len(found.sections) == len(report.creators)  # 24 creators: all under the default 50
    assert page.count('<svg class="chart"') >= 4 * len(report.creators)


def test_each_section_draws_the_audience_split(scored, page):
    _, report, _ = scored
    sections = {
        part.split('"', 2)[1].removeprefix("c-"): part
        for part in page.split('<section class="creator" id=')[1:]
    }
    assert len(sections) == len(report.creators)
    for creator, real in zip(
        report.creators["creator_id"], report.creators["audience_real"], strict=True
    ):
        section = sections[str(creator)]
        assert "<figcaption>Audience" in section and f"real people {real:.0%}" in section


def test_detail_is_bounded_to_the_most_suspicious_and_says_what_was_left_out(scored):
    likes, report, reference = scored
    page = render_html(report, likes, reference, detail=3)
    ids = detailed_creators(report.creators, 3)
    assert [s.removeprefix("c-") for s in parsed(page).sections] == ids
    creators = report.creators.set_index(report.creators["creator_id"].astype(str))
    lows = creators.loc[ids, "inauthentic_share_low"].to_numpy()
    others = creators.drop(index=ids)["inauthentic_share_low"].to_numpy()
    assert lows.min() >= others.max()
    assert f"Detail for 3 of {len(report.creators)} creators" in page


def test_creators_asked_for_by_name_are_drawn(scored):
    likes, report, reference = scored
    wanted = str(report.creators["creator_id"].iloc[-1])
    page = render_html(report, likes, reference, detail=0, named=[wanted])
    assert parsed(page).sections == [f"c-{wanted}"]


def test_missing_inputs_are_said_not_drawn(test_world, shipped_model):
    likes, _ = test_world
    bare = likes.drop(columns=["liked_at", "followers", "following"])
    bare.attrs["detector_validated"] = True
    report = shipped_model.report(bare, include_likes=True)
    page = render_html(report, bare, None, detail=1)
    assert "The input has no like times." in page
    assert "The input has no follower and following counts." in page
    assert "The model holds no reference of account ages." in page


def test_text_from_the_input_is_escaped(tiny_likes, shipped_model):
    from detector.schema import validate_likes

    raw = tiny_likes.assign(creator_id=["<b>a</b>"] * 3 + ["b&c"])
    likes = validate_likes(raw, "test")
    likes.attrs["detector_validated"] = True
    page = render_html(shipped_model.report(likes, include_likes=True), likes)
    assert "<b>a</b>" not in page
    assert "&lt;b&gt;a&lt;/b&gt;" in page and "b&amp;c" in page
    assert ">authentic ER<" not in page  # no creator follower counts: no such column


def test_the_page_needs_the_per_like_table(test_world, shipped_model):
    likes, _ = test_world
    with pytest.raises(ValueError, match="include_likes=True"):
        render_html(shipped_model.report(likes), likes)


def test_axis_ticks_are_round_and_their_labels_distinct():
    assert nice_ticks(0, 87) == [0, 20, 40, 60, 80]
    assert nice_ticks(0, 0.0031, 3) == pytest.approx([0, 0.001, 0.002, 0.003])
    labels = [label for _, label in percent_ticks(0, 0.0024, 3)]
    assert len(set(labels)) == len(labels) and labels[1] == "0.1%"


def test_score_writes_html_from_the_command_line(tmp_path):
    out = tmp_path / "report.html"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["score", str(SAMPLE / "likes.csv"), "--creators", str(SAMPLE / "creators.csv"),
         "--output", str(out), "--detail", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and len(parsed(page).sections) == 2
    refused = runner.invoke(
        app, ["score", str(SAMPLE / "likes.csv"), "--format", "html", "--engine", "chunked"]
    )
    assert refused.exit_code == 2 and "--engine memory" in refused.output
    detail_alone = runner.invoke(app, ["score", str(SAMPLE / "likes.csv"), "--detail", "3"])
    assert detail_alone.exit_code == 2 and "needs --format html" in detail_alone.output


# --- in a real browser ---------------------------------------------------------------------


def browse(page: Path, tmp_path: Path, *options: str) -> str:
    """Run headless Chromium on ``page``; the DOM after its scripts ran, or its stderr."""
    profile = tmp_path / "chromium-profile"
    command = [
        chromium() or "chromium",
        "--headless",
        "--no-sandbox",  # as root in CI
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *options,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def root_attributes(dom: str) -> dict[str, str]:
    tag = re.search(r"<html[^>]*>", dom)
    assert tag is not None
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(0)))


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct bytes of the decoded rows of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, []
    width = height = 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    rows = zlib.decompress(b"".join(chunks))
    return width, height, len(set(rows[:: max(len(rows) // 200_000, 1)]))


@needs_browser
def test_the_page_runs_in_chromium_without_errors_and_draws_every_chart(scored, page, tmp_path):
    _, report, _ = scored
    file = tmp_path / "report.html"
    file.write_text(page, encoding="utf-8")
    dom = browse(file, tmp_path, "--dump-dom")
    root = root_attributes(dom)
    assert root.get("data-ready") == "1", dom[:500]
    assert "data-errors" not in root, root.get("data-errors")
    assert int(root["data-charts-drawn"]) == page.count('<svg class="chart"')
    for creator in report.creators["creator_id"].astype(str):
        assert f">{creator}<" in dom
    total = len(report.creators)
    assert f"{total} of {total} shown" in dom

    shot = tmp_path / "report.png"
    browse(file, tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 1600)
    assert colours > 20  # not a blank page


@needs_browser
def test_the_overview_sorts_and_filters_in_chromium(scored, page, tmp_path):
    _, report, _ = scored
    # the test drives the page as a reader would: click a header, pick a verdict
    driver = """<script>
    (function () {
      var heads = document.querySelectorAll('#overview th');
      var likes = Array.prototype.filter.call(heads, function (h) { return h.textContent === 'likes'; })[0];
      likes.click();
      var column = Array.prototype.indexOf.call(heads, likes);
      var values = Array.prototype.map.call(document.querySelectorAll('#overview tbody tr'),
        function (row) { return row.cells[column].getAttribute('data-v'); });
      var verdict = document.getElementById('f-verdict');
      verdict.value = 'authentic';
      verdict.dispatchEvent(new Event('input'));
      var shown = Array.prototype.filter.call(document.querySelectorAll('#overview tbody tr'),
        function (row) { return !row.hidden; }).length;
      document.documentElement.setAttribute('data-sorted', values.join(','));
      document.documentElement.setAttribute('data-shown', String(shown));
    })();
    </script></body>"""
    file = tmp_path / "driven.html"
    file.write_text(page.replace("</body>", driver), encoding="utf-8")
    root = root_attributes(browse(file, tmp_path, "--dump-dom"))
    assert "data-errors" not in root, root.get("data-errors")
    sorted_likes = [int(v) for v in root["data-sorted"].split(",")]
    assert sorted_likes == sorted(report.creators["likes"].tolist(), reverse=True)
    assert int(root["data-shown"]) == int((report.creators["verdict"] == "authentic").sum())


@needs_browser
def test_a_page_of_many_creators_stays_bounded(tmp_path, shipped_model):
    from detector.synth import generate_world
    from tests.conftest import validated

    likes, _ = generate_world(n_creators=300, seed=5)
    likes = validated(likes)
    report = shipped_model.report(likes, include_likes=True)
    page = render_html(report, likes, detail=10)
    assert len(parsed(page).sections) == 10
    assert len(page.encode()) < 1_500_000
    file = tmp_path / "many.html"
    file.write_text(page, encoding="utf-8")
    root = root_attributes(browse(file, tmp_path, "--dump-dom"))
    assert root.get("data-ready") == "1" and "data-errors" not in root
    assert int(root["data-charts-drawn"]) == page.count('<svg class="chart"')


def test_day_level_times_are_binned_by_day_at_least():
    from detector.visual.charts import likes_timeline

    days = np.arange(0, 40 * 86_400, 86_400, dtype=float)  # one like a day, at midnight
    svg = likes_timeline(days, np.zeros(len(days), dtype=bool), days[:3], None, finest=86_400)
    assert "bins of 1 d" in svg
    assert "bins of 12 h" in likes_timeline(days, np.zeros(len(days), dtype=bool), days[:3], None)


def test_a_sampled_scatter_keeps_the_creators_mix_of_flagged_likers():
    from detector.visual.page import SCATTER_POINTS, _scatter
    from detector.visual.svg import FLAGGED

    likers = 4 * SCATTER_POINTS
    flagged = np.arange(likers) % 10 == 0  # a tenth of the likers flagged
    inputs = pd.DataFrame(
        {"liker_id": np.arange(likers), "followers": np.arange(likers), "following": 100}
    )
    svg = _scatter(inputs, flagged)
    red = re.search(rf'<path d="([^"]*)" stroke="{FLAGGED}"', svg)
    assert red is not None and "drawn at random" in svg
    assert 0.06 < red.group(1).count("M") / SCATTER_POINTS < 0.14
