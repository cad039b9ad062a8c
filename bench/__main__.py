"""`python -m bench`: the registry benchmark, then the matching, field-work and office benchmarks.

`python -m bench registry ...`, `python -m bench matching ...`, `python -m bench fieldwork ...` or
`python -m bench office ...` runs one of them with its own options; without a name all four run
with their defaults (`--quick` is passed to each).
"""

import sys

from bench import fieldwork, matching, office, registry

BENCHMARKS = {"registry": registry, "matching": matching, "fieldwork": fieldwork, "office": office}

argv = sys.argv[1:]
if argv and argv[0] in BENCHMARKS:
    sys.exit(BENCHMARKS[argv[0]].main(argv[1:]))
status = registry.main(argv)
status |= matching.main(["--quick"] if "--quick" in argv else [])
status |= fieldwork.main(["--quick"] if "--quick" in argv else [])
status |= office.main(["--quick"] if "--quick" in argv else [])
sys.exit(status)
