"""`python -m entrec.cli ...` is the `entrec` console script."""
import sys

from entrec.cli.main import main

sys.exit(main())
