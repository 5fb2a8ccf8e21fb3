"""Keyless probes of providers' own services: one GET, classified by status code and JSON shape.

`classify` is pure (an answer in, an outcome out); `probe_once` does the GET through the
shared status fetcher, so probes obey the same network rules as status pages.
"""

from __future__ import annotations

from integrations.probes.check import ProbeResult, probe_once
from integrations.probes.classify import Alive, Answer, ProbeOutcome, classify

__all__ = ["Alive", "Answer", "ProbeOutcome", "ProbeResult", "classify", "probe_once"]
