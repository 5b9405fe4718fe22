"""The frozen application's entry point: the same ``sparkdesk`` command as the console script."""

import multiprocessing
import sys

from sparkdesk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a worker process (exports/workers.py) starts here too
    sys.exit(main())
