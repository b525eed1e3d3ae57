"""``python -m tests.mutants``: see :mod:`tests.mutants.run`."""

from tests.mutants.run import main

raise SystemExit(main())
