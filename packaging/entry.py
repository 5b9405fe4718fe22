"""The frozen application's entry point: the same ``sparkdesk`` command as the console script."""

import sys

from sparkdesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
