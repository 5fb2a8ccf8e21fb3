"""`check-source URL`: every format served by the fake status page, and what cannot be read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from fakes.statuspage import FakeStatusPage
from tests.conftest import FIXTURES

SUMMARY = "/api/v2/summary.json"


@pytest.fixture
async def page() -> AsyncIterator[FakeStatusPage]:
    async with FakeStatusPage() as fake:
        yield fake


async def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command as an operator would, in a thread so the fake keeps serving."""
    code = await asyncio.to_thread(main, ["check-source", *args])
    out, err = capsys.readouterr()
    return code, out, err


FORMATS = [
    pytest.param(
        SUMMARY,
        FIXTURES / "anthropic_summary_2026-10-07_monitoring.json",
        [
            "format: statuspage (detected from the content)",
            "page: Claude — https://status.claude.com",
            "components: 6, not operational: 1",
            "Claude Console (platform.claude.com) [0qbwn08sd68x]: degraded_performance",
            "open incidents: 1",
            "Elevated errors on platform.claude.com [monitoring, impact major",
            "maintenance: 0",
        ],
        id="statuspage",
    ),
    pytest.param(
        "/feed.xml",
        FIXTURES / "xai_feed_2026-10-07.xml",
        ["format: rss (detected", "open incidents: 0 (and 6 closed, listed as history)"],
        id="rss",
    ),
    pytest.param(
        "/incidents.json",
        FIXTURES
        / "gcp"
        / "RECONSTRUCTED_incident_active_5fGQt4VbkDnr3Yp8PXPr_as_of_2026-06-23.json",
        [
            "format: gcp (detected",
            "page: Google Cloud — https://status.cloud.google.com/",
            "as of: 2026-06-23 22:52:50 UTC (from the payload)",
            "components: 3, not operational: 3",
            "Media CDN [FK8WX6iZ3FuQL6qUwski]: degraded_performance",
            "open incidents: 1",
            "[investigating, impact minor, since 2026-06-05 07:00 UTC]",
        ],
        id="gcp",
    ),
    pytest.param(
        "/index.json",
        FIXTURES
        / "betterstack"
        / "huggingface_index_2026-09-19_status_history_trimmed_to_3_days.json",
        [
            "format: betterstack (detected",
            "page: Hugging Face — https://status.huggingface.co/",
            "components: 8, not operational: 0",
            "  - Current status by service / Huggingface Hub [84641]: operational",
            "open incidents: 0 (and 2 closed, listed as history)",
        ],
        id="betterstack",
    ),
    pytest.param(
        "/summary.json",
        FIXTURES / "instatus" / "DOCS_EXAMPLE_summary_json_hasissues_instatus_help.json",
        [
            "format: instatus (detected",
            "page: Instatus — https://instat.us",
            "We're facing an issue with our API [investigating, impact critical",
            "maintenance: 1",
            "Database maintenance [scheduled, impact maintenance",
        ],
        id="instatus",
    ),
]


@pytest.mark.parametrize(("path", "fixture", "expected"), FORMATS)
async def test_every_format_is_understood(
    page: FakeStatusPage,
    capsys: pytest.CaptureFixture[str],
    path: str,
    fixture: Path,
    expected: list[str],
) -> None:
    content_type = "application/xml" if path.endswith(".xml") else "application/json"
    page.set_payload(path, await asyncio.to_thread(fixture.read_bytes), content_type)
    code, out, err = await check(capsys, page.url(path))
    assert code == 0, err
    for line in expected:
        assert line in out
    assert f"    - kind: {expected[0].split()[1]}\n      url: {page.url(path)}" in out


async def test_incidentio_reads_the_component_list_too(
    page: FakeStatusPage, capsys: pytest.CaptureFixture[str]
) -> None:
    page.set_payload(SUMMARY, (FIXTURES / "openai_summary_2026-09-22_monitoring.json").read_bytes())
    components = (
        FIXTURES / "incident_io" / "CONSTRUCTED_openai_components_union_of_two_summaries.json"
    )
    page.set_payload("/api/v2/components.json", components.read_bytes())
    code, out, err = await check(capsys, page.url(SUMMARY))
    assert code == 0, err
    assert "format: incidentio (detected from the content)" in out
    assert f"component list: {page.url('/api/v2/components.json')}" in out
    assert "components: 28, not operational: 0" in out  # 25 in the summary
    assert "open incidents: 1" in out
    assert page.count("/api/v2/components.json") == 1


async def test_kind_can_be_given(page: FakeStatusPage, capsys: pytest.CaptureFixture[str]) -> None:
    page.set_payload(
        "/s.json", (FIXTURES / "anthropic_summary_2026-09-15_operational.json").read_bytes()
    )
    code, out, _ = await check(capsys, page.url("/s.json"), "--kind", "statuspage")
    assert code == 0
    assert "format: statuspage (as given)" in out
    code, _, err = await check(capsys, page.url("/s.json"), "--kind", "gcp")
    assert code == 1
    assert "expected a JSON array of incidents" in err


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda p: None, "HTTP 404"),
        (lambda p: p.set_payload("/x", b"<html><body>Status</body></html>", "text/html"),
         "the server sent an HTML page, not a status format"),
        (lambda p: p.set_payload("/x", b'{"hello": "world"}'),
         "not a Statuspage summary: no 'page' key"),
        (lambda p: p.set_payload("/x", b"plain words"), "neither JSON nor an XML feed"),
        (lambda p: p.set_fault("/x", "truncated"), "not valid JSON (truncated or corrupt)"),
        (lambda p: p.set_fault("/x", "429", retry_after=30), "HTTP 429 (rate limited)"),
    ],
)  # fmt: skip
async def test_what_cannot_be_read_exits_1_with_the_reason(
    page: FakeStatusPage, capsys: pytest.CaptureFixture[str], setup: object, reason: str
) -> None:
    setup(page)  # type: ignore[operator]
    code, out, err = await check(capsys, page.url("/x"))
    assert code == 1
    assert out == ""
    assert err.startswith(f"cannot read {page.url('/x')}: {reason}")
    assert err.count("\n") == 1


async def test_an_incidentio_page_without_its_component_list(
    page: FakeStatusPage, capsys: pytest.CaptureFixture[str]
) -> None:
    page.set_payload(
        SUMMARY, (FIXTURES / "openai_summary_2026-09-24_operational.json").read_bytes()
    )
    code, _, err = await check(capsys, page.url(SUMMARY))
    assert code == 1
    assert err.strip().endswith(": component list: HTTP 404")


async def test_page_text_cannot_drive_the_terminal(
    page: FakeStatusPage, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b'{"page": {"name": "Evil\\u001b[2J\\u0007Page", "status": "UP"}, "activeIncidents": []}'
    page.set_payload("/summary.json", body)
    code, out, _ = await check(capsys, page.url("/summary.json"), "--kind", "instatus")
    assert code == 0
    assert "(fetched; the payload carries no time)" in out  # said, not passed off as the page's
    body = body.replace(
        b'"activeIncidents": []',
        b'"activeIncidents": [{"name": "x\\u001b]0;pwn\\u0007", "started": "2026-01-01"}]',
    )
    page.set_payload("/summary.json", body)
    code, out, _ = await check(capsys, page.url("/summary.json"), "--kind", "instatus")
    assert code == 0
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "page: Evil [2J Page" in out
