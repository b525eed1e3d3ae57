"""Mutants that must die: small deliberate bugs the suite has to catch (``make mutants``).

Each :class:`~tests.mutants.catalog.Mutant` of :data:`~tests.mutants.catalog.MUTANTS`
names a file, an exact text to find there (exactly once: a text that moved fails the
run, so the list stays current), its replacement, and the 1-3 fast tests expected to
kill it. :mod:`tests.mutants.run` applies each to a throwaway copy of the repository
(never to the working tree), runs only its tests there and prints a table.
"""
