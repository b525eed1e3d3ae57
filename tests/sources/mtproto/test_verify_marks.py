"""The verification mark: set with the most severe reason first, read back, cleared."""

from tap_telegram.sources.mtproto.changes.verify_marks import Reason, clear, mark, marked


def test_a_mark_is_kept_until_cleared_and_names_its_first_cause() -> None:
    partition: dict[str, object] = {}
    assert marked(partition) is None
    assert mark(partition, Reason.LOG_FAILED)
    assert not mark(partition, Reason.LOG_FAILED)
    assert mark(partition, Reason.TOO_LONG)  # more severe: replaces
    assert not mark(partition, Reason.REFUSED)  # less severe: kept
    assert marked(partition) is Reason.TOO_LONG
    assert partition == {"verify": 1}
    assert clear(partition)
    assert not clear(partition)
    assert partition == {}


def test_an_unknown_code_reads_as_a_failed_log() -> None:
    assert marked({"verify": 99}) is Reason.LOG_FAILED
