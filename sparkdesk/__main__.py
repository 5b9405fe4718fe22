"""`python -m sparkdesk` is the `sparkdesk` command."""

import sys

from sparkdesk.cli import main

sys.exit(main())
