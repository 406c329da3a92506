import sys

from rnninit.cli import main

sys.exit(main())
