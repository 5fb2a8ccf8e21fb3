"""Keyless probes of providers' own services, classified by status code and JSON shape.

`classify` is pure (an answer in, an outcome out) and imports nothing from the core; the GET
itself is the core's (`bot.probe_check`), through the shared status fetcher, so probes obey
the same network rules as status pages.
"""

from __future__ import annotations

from integrations.probes.classify import Alive, Answer, ProbeOutcome, classify

__all__ = ["Alive", "Answer", "ProbeOutcome", "classify"]
