"""The page type (tap_telegram.sources.pages): commits compose, a chat's STATE is fetched lazily."""

from __future__ import annotations

from typing import Any

from tap_telegram.sources.pages import ChatState, Page, PageKind, then


def _state(partition: dict[str, Any], asked: list[int] | None = None) -> ChatState:
    def fetch() -> dict[str, Any]:
        if asked is not None:
            asked.append(1)
        return partition

    return ChatState(fetch, {})


def test_then_applies_both_commits_in_order_and_says_whether_either_changed_state() -> None:
    order: list[str] = []

    def first(state: ChatState) -> bool:
        order.append("first")
        state.partition["a"] = 1
        return False

    def second(state: ChatState) -> bool:
        order.append("second")
        state.partition["b"] = state.partition["a"] + 1
        return True

    both = then(first, second)
    assert both is not None
    partition: dict[str, Any] = {}
    assert both(_state(partition)) is True
    assert order == ["first", "second"], "the second commit sees the first one's change"
    assert partition == {"a": 1, "b": 2}
    quiet = then(first, first)
    assert quiet is not None
    assert quiet(_state({})) is False


def test_then_with_a_missing_commit_is_the_other_one() -> None:
    def commit(state: ChatState) -> bool:
        return True

    assert then(None, commit) is commit
    assert then(commit, None) is commit
    assert then(None, None) is None


def test_a_chat_state_fetches_its_partition_only_when_used() -> None:
    asked: list[int] = []
    state = _state({"context": {"chat_id": 1}}, asked)
    assert asked == [], "building the state creates no partition"
    assert state.partition["context"] == {"chat_id": 1}
    assert asked == [1]


def test_a_page_is_new_and_commits_nothing_by_default() -> None:
    page = Page([{"id": 1}])
    assert (page.kind, page.commit) == (PageKind.NEW, None)
