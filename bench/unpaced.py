"""The fake-Telegram launcher with the tap's learned pacing off (``make bench``'s reference).

    python -m bench.unpaced --world spec.json -- --config config.json

Same as ``python -m tests.fake_telegram.launcher``, but :attr:`RateBudget.learns` is off:
the tap waits out every FLOOD_WAIT it is told and never paces a method, as it did before
it learned budgets. The flood-limited scenario runs it beside the tap to show both in
one run.
"""

from __future__ import annotations

from tap_telegram.sources.mtproto.wire.rate import RateBudget
from tests.fake_telegram.launcher import main

if __name__ == "__main__":
    RateBudget.learns = False
    main()
