import sys

from rasl.cli import main

sys.exit(main())
