"""A hostile status page: every text field tries to ping, relabel a link or forge a log line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fakes.pages import Incident, SummaryPage

# What a compromised or careless page could publish.
TITLE = (
    "Errors <!channel> <!here> <@U0BOSS> <!subteam^S0OPS> @everyone @here <@&1234> "
    "[Official status page](https://evil.example/phish)\x1b[2J\r\nFAKE 2026-01-01 CRITICAL forged"
)
UPDATE = (
    "Investigating <https://evil.example/phish|Official status page> &amp; more\x1b[2J\r\n"
    "FAKE 2026-01-01 CRITICAL statusbot: forged line"
)
SHORTLINK = (
    "https://stspg.io/x|Official status page> INJECTED <!channel> <https://evil.example/phish"
)
COMPONENT = "ChatGPT <!channel>"
STARTED = datetime.now(UTC) - timedelta(minutes=12)

# Live Slack markup and Discord pings that must never leave the bot as written.
SLACK_LIVE = ("<!channel>", "<!here>", "<@U0BOSS>", "<!subteam", "<https://evil")
DISCORD_LIVE = ("@everyone", "@here", "<@&1234>")
# A masked link is live unless its "[" is escaped.
DISCORD_MASKED_LINK = re.compile(r"(?<!\\)\[Official status page\]\(")


def hostile_summary(resolved: bool = False) -> bytes:
    """The page with the hostile incident open, or resolved."""
    page = SummaryPage("OpenAI").component(COMPONENT, "operational" if resolved else "major_outage")
    incident = Incident(
        "inc-hostile", TITLE, impact="critical", started_at=STARTED, components=(COMPONENT,),
        shortlink=SHORTLINK,
    )  # fmt: skip
    incident.update("investigating", UPDATE, STARTED)
    if resolved:
        incident.update("resolved", "Resolved <!channel>", datetime.now(UTC))
    return page.add(incident).encode()


def quiet_summary() -> bytes:
    return SummaryPage("OpenAI").component(COMPONENT, "operational").encode()
