"""A pytest plugin `make mutation` loads (-p tests.mutation.fresh_state): what a module builds
the first time it is used is built again in each mutant's test session.

mutmut runs each mutant's tests in a fork of a process that has already run the unmutated
tests, and so has already built such state with the unmutated code: a mutant of a function
that only builds it (crisis_terms compiles every pattern once, in `_rules`) would never run,
and survive. mutmut changes code inside functions only, never what a module does at import, so
building these again is all a fresh interpreter would add.
"""

import os


def _forget():
    from appointments import crisis_terms

    crisis_terms._rules.cache_clear()


def pytest_sessionstart(session):
    _forget()


def pytest_runtest_setup(item):
    # While mutmut maps which tests reach which function ("stats"), every test builds the state
    # itself: otherwise only the first test would be seen to reach the functions that build it,
    # and a mutant of them would be tried against that one test alone. Built here, in the
    # test's setup, so that it is not counted in the test's time (mutmut's timeouts grow with
    # it).
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        from appointments import crisis_terms

        _forget()
        crisis_terms._rules()
