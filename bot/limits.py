"""Process limits: as many file descriptors as the system lets us have.

Every poll, chat connection and incoming request holds a descriptor; many distributions start
services with a soft limit of 1,024 and a far higher hard limit. Running out would make the
bot's own shortage look like a provider's outage (see bot.errors.LocalResourceExhausted).
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger(__name__)

# An "unlimited" hard limit still needs a number; this is far beyond what the bot uses.
CEILING = 1 << 20


def raise_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = CEILING if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)
            return soft
        log.info("open-file limit raised from %d to %d", soft, target)
        return target
    return soft
