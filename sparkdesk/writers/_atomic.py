"""The atomic write lives in ``sparkdesk.files``; this name stays for ``writers/xlsx.py``."""

from sparkdesk.files import atomic_output

__all__ = ["atomic_output"]
