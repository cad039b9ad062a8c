import sys

from bench.registry import main

sys.exit(main())
