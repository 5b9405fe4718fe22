"""The desktop window (PySide6). It holds no metric logic: it calls the same core as the CLI.

Nothing here is imported by the core; ``sparkdesk gui`` reaches ``sparkdesk.gui.app.run``.
"""
