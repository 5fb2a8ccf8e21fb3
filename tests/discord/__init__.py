"""Discord tests. discord.py imports the deprecated stdlib `audioop` (voice, unused here); import
it once quietly so warnings-as-errors does not fail collection."""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401
