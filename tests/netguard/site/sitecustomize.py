"""Loaded by every Python process a test starts (tests put this folder on PYTHONPATH): it
installs the network guard of tests/netguard before any of the process's own code runs."""

import importlib.util
import os
import sys

_log = os.environ.get("STATUSBOT_NETGUARD_LOG")
if _log:
    _path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "__init__.py")
    _spec = importlib.util.spec_from_file_location("statusbot_netguard", _path)
    if _spec is not None and _spec.loader is not None:
        _guard = importlib.util.module_from_spec(_spec)
        sys.modules["statusbot_netguard"] = _guard
        _spec.loader.exec_module(_guard)
        _guard.install(_log)
