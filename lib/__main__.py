import sys

from lib.entrypoints.cli import main

sys.exit(main())
