"""SparkDesk's bundled files: the demo dump (demo/), the translations (i18n/), the icons (icons/).

This folder is the package ``sparkdesk._resources`` (pyproject.toml maps it here), so that a
wheel carries it as package data; ``sparkdesk.resources`` finds it with ``importlib.resources``.
"""
