"""`python -m bench`: the registry benchmark, then the matching benchmark.

`python -m bench registry ...` or `python -m bench matching ...` runs one of them with its own
options; without a name both run with their defaults (`--quick` is passed to both).
"""

import sys

from bench import matching, registry

argv = sys.argv[1:]
if argv and argv[0] in ("registry", "matching"):
    sys.exit((registry if argv[0] == "registry" else matching).main(argv[1:]))
status = registry.main(argv)
status |= matching.main(["--quick"] if "--quick" in argv else [])
sys.exit(status)
