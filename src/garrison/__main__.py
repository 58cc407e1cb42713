import sys

from garrison.cli.main import main

sys.exit(main())
