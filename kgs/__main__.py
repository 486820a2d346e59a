import sys

from kgs.cli import main

sys.exit(main())
