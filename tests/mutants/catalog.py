"""The curated mutants (see :mod:`tests.mutants`): each a small bug an invariant forbids.

**Adding an invariant?** Add the mutant that breaks it here: an ``id``, one line saying
what goes wrong, the file, the exact text to find (it must occur exactly once in the
file: take enough lines to make it unique) and its replacement, and the 1-3 fast tests
that must kill it (pytest node ids; prefer in-process runs over subprocess and e2e ones).
Then ``make mutants`` (or ``python -m tests.mutants <id>``): if it survives, write the
test that kills it, a real test of the invariant, never one that reads the source.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One deliberate bug: ``edits`` (find, replace) applied to ``path``, killed by ``tests``."""

    id: str
    description: str
    path: str
    edits: tuple[tuple[str, str], ...]
    tests: tuple[str, ...]


HISTORY_STREAM = "tap_telegram/singer/history_stream.py"
CHANGES = "tap_telegram/sources/mtproto/changes/capture.py"
LOOKBACK = "tap_telegram/sources/lookback.py"
TOMBSTONE_TYPES = 'TOMBSTONE_TYPES = frozenset({"channel", "supergroup"})'
TEST_SYNC = "tests/sources/mtproto/test_sync.py"
TEST_CHANGES = "tests/singer/test_changes.py"
TEST_LOOKBACK = "tests/singer/test_lookback.py"
TEST_KINDS = f"{TEST_LOOKBACK}::test_deleted_ids_become_tombstones_in_channels_and_supergroups_only"
POSITIONS = "tests/singer/test_change_positions.py"
READER = "tap_telegram/sources/mtproto/changes/reader.py"
TEST_OTHER_UPDATES = (
    "tests/singer/test_changes_other_updates.py::"
    "test_reads_pins_web_pages_and_folder_moves_are_ignored_but_move_positions"
)
FAILURES = "tests/singer/test_change_failures.py"
FAILURES_PY = "tap_telegram/sources/mtproto/changes/failures.py"
SWEEP = "tap_telegram/sources/mtproto/history/sweep.py"
SWEEP_CHECK = "tap_telegram/sources/mtproto/history/sweep_check.py"
SWEEP_PLAN = "tap_telegram/sources/mtproto/history/sweep_plan.py"
TEST_SWEEP = "tests/sources/mtproto/test_sweep.py"
ENTRIES = "tap_telegram/sources/mtproto/chats/entries.py"
TEST_REFRESH = "tests/sources/mtproto/test_refresh.py"

MUTANTS: list[Mutant] = [
    Mutant(
        "state-before-records",
        "a page's STATE (bookmark = its last id) is written before the page's records",
        HISTORY_STREAM,
        (
            (
                "            yield from self._records_of(page)\n",
                "            if page.records:\n"
                "                partition = query.state.partition\n"
                '                held = partition.get("replication_key_value")\n'
                '                partition["replication_key"] = "id"\n'
                '                partition["replication_key_value"] = max(\n'
                '                    r["id"] for r in page.records\n'
                "                )\n"
                "                self.mark_state_changed()\n"
                "                self.write_state_if_changed()\n"
                '                partition["replication_key_value"] = held\n'
                "            yield from self._records_of(page)\n",
            ),
        ),
        (f"{TEST_SYNC}::test_state_written_per_page_and_chat_order",),
    ),
    Mutant(
        "pts-early-records",
        "a channel's pts is stored as its change page is built, before its records are out",
        CHANGES,
        (
            (
                "        found = self.changes.chats.get(chat_id) or ChatChanges()\n",
                "        found = self.changes.chats.get(chat_id) or ChatChanges()\n"
                "        if found.pts is not None:\n"
                "            self._partition[PTS_KEY] = found.pts\n",
            ),
        ),
        (f"{POSITIONS}::test_a_channel_pts_moves_only_after_its_last_change_record",),
    ),
    Mutant(
        "pts-early-start-chat",
        "start_chat stores the new pts, so STATE between history pages carries it",
        CHANGES,
        (
            (
                "if found is not None and found.pts is not None and _int(partition.get(PTS_KEY)) is None:",
                "if found is not None and found.pts is not None:",
            ),
        ),
        (
            f"{POSITIONS}::test_a_kill_between_history_pages_keeps_the_old_pts_and_the_rerun_has_the_edit",
        ),
    ),
    Mutant(
        "account-log-failed-chat",
        "account_log moves on although a private chat or basic group failed",
        CHANGES,
        (
            (
                "if not self.pending and not self.failed:",
                "if not self.pending:",
            ),
            (
                "        if chat_id in self.pending:\n            self.failed = True\n",
                "        self.pending.discard(chat_id)\n",
            ),
        ),
        (
            f"{POSITIONS}::test_the_account_log_moves_after_its_last_chat_and_never_past_a_failed_one",
            f"{POSITIONS}::test_a_failed_private_chat_keeps_the_account_log_and_its_edit_comes_next_run",
        ),
    ),
    Mutant(
        "resume-at-bookmark",
        "a resumed chat reads from its bookmark again (the bookmarked message twice)",
        HISTORY_STREAM,
        (
            (
                "return MessageQuery(chat_id=0, after_id=bookmark)",
                "return MessageQuery(chat_id=0, after_id=bookmark - 1)",
            ),
        ),
        (f"{TEST_SYNC}::test_first_sync_then_incremental",),
    ),
    Mutant(
        "resume-past-bookmark",
        "a resumed chat starts one past its bookmark (the next message is lost)",
        HISTORY_STREAM,
        (
            (
                "return MessageQuery(chat_id=0, after_id=bookmark)",
                "return MessageQuery(chat_id=0, after_id=bookmark + 1)",
            ),
        ),
        (f"{TEST_SYNC}::test_first_sync_then_incremental",),
    ),
    Mutant(
        "export-runs-count-unchecked",
        "a msgspec run of the export read is used whatever number of messages it holds",
        "tap_telegram/sources/export/runs.py",
        (("len(messages) != count", "len(messages) < 0"),),
        (
            "tests/sources/export/test_msgspec_runs.py::test_a_run_with_a_message_fewer_than_scanned_is_ijson_s",
        ),
    ),
    Mutant(
        "export-runs-in-every-chat",
        "msgspec runs are read in a chat before the last of its list (its cursor then lags)",
        "tap_telegram/sources/export/read.py",
        (("[-1] is not span:", "[-1] is None:"),),
        (
            "tests/sources/export/test_msgspec_runs.py::test_whole_account_export_runs_only_in_the_last_chat",
        ),
    ),
    Mutant(
        "export-scan-run-int64",
        "the scan's msgspec runs take integers past 64 bits, which ijson refuses (a damaged "
        "file then scans as good)",
        "tap_telegram/sources/export/runs.py",
        (("msgspec.Meta(ge=1 - (1 << 63), le=(1 << 63) - 1)", "msgspec.Meta()"),),
        (
            "tests/sources/export/test_scan_runs.py::"
            "test_a_64_bit_overflow_in_the_middle_of_runs_is_ijson_s_error",
        ),
    ),
    Mutant(
        "export-scan-run-depth",
        "the scan's msgspec runs take messages nested past the scan's depth limit",
        "tap_telegram/sources/export/runs.py",
        (
            (
                "kind = scalar | list[kind] | dict[str, kind]",
                "kind = scalar | list[Any] | dict[str, Any]",
            ),
        ),
        (
            "tests/sources/export/test_scan_runs.py::"
            "test_too_deep_in_the_middle_of_runs_is_the_scan_s_error",
        ),
    ),
    Mutant(
        "export-scan-held-position",
        "bytes held for a run that could not be made name the next chunk's end in their error",
        "tap_telegram/sources/export/runs.py",
        (
            (
                "                self.position = held_read\n"
                "                yield from self._feed(held)\n"
                '                held = b""\n',
                "                self.position = end\n"
                "                yield from self._feed(held)\n"
                '                held = b""\n',
            ),
        ),
        (
            "tests/sources/export/test_scan_runs.py::"
            "test_bytes_held_after_a_cut_fail_at_the_position_they_always_named",
        ),
    ),
    Mutant(
        "export-scan-first-key-wins",
        "the event scan keeps a date_unixtime written before a later one that is a list "
        "(the read's dict, and the runs, keep the last)",
        "tap_telegram/sources/export/scan.py",
        (
            (
                '                    if key == "date_unixtime":\n                        seen.pop(key, None)\n',
                '                    if key == "date_unixtime":\n                        pass\n',
            ),
        ),
        (
            "tests/sources/export/test_scan_runs.py::"
            "test_repeated_keys_count_their_last_value_with_runs_and_without",
        ),
    ),
    Mutant(
        "export-unsorted",
        "an export chat that fits in memory is not sorted by id",
        "tap_telegram/sources/export/order.py",
        (
            (
                "        run.sort(key=_by_id)\n        if runs:",
                "        if runs:",
            ),
        ),
        ("tests/sources/export/test_order.py::test_without_damage_every_order_loads_completely",),
    ),
    Mutant(
        "tombstones-not-channels",
        "lookback tombstones switched off for channels",
        LOOKBACK,
        ((TOMBSTONE_TYPES, 'TOMBSTONE_TYPES = frozenset({"supergroup"})'),),
        (TEST_KINDS,),
    ),
    Mutant(
        "tombstones-not-supergroups",
        "lookback tombstones switched off for supergroups",
        LOOKBACK,
        ((TOMBSTONE_TYPES, 'TOMBSTONE_TYPES = frozenset({"channel"})'),),
        (TEST_KINDS,),
    ),
    Mutant(
        "tombstones-private-chats",
        "lookback tombstones switched on for private chats (ids per account)",
        LOOKBACK,
        ((TOMBSTONE_TYPES, 'TOMBSTONE_TYPES = frozenset({"channel", "supergroup", "user"})'),),
        (TEST_KINDS,),
    ),
    Mutant(
        "tombstones-basic-groups",
        "lookback tombstones switched on for basic groups (ids per account)",
        LOOKBACK,
        ((TOMBSTONE_TYPES, 'TOMBSTONE_TYPES = frozenset({"channel", "supergroup", "group"})'),),
        (TEST_KINDS,),
    ),
    Mutant(
        "history-of-quiet-chats",
        "the dialogs' top_message is dropped: every quiet chat costs a getHistory probe",
        "tap_telegram/sources/mtproto/chats/resolve.py",
        (
            (
                "top_message=dialog.top_message if dialog is not None else None,",
                "top_message=None,",
            ),
        ),
        (
            "tests/sources/mtproto/test_steady_state.py::"
            "test_quiet_rerun_sends_the_dialogs_pass_and_nothing_per_chat",
        ),
    ),
    Mutant(
        "bot-api-confirm-early",
        "the Bot API source confirms a page (getUpdates offset) before it is written",
        "tap_telegram/sources/bot_api/source.py",
        (
            (
                "            if page:\n"
                '                emitted = int(page[-1]["update_id"])\n'
                "                yield self._page(page, totals)\n",
                "            if page:\n"
                '                emitted = int(page[-1]["update_id"])\n'
                "                self.client.call(\n"
                '                    "getUpdates",\n'
                '                    offset=int(page[-1]["update_id"]) + 1,\n'
                "                    limit=1,\n"
                "                    timeout=0,\n"
                "                    allowed_updates=self.allowed_updates,\n"
                "                )\n"
                "                yield self._page(page, totals)\n",
            ),
        ),
        ("tests/sources/bot_api/test_crash.py::test_crash_between_pages",),
    ),
    Mutant(
        "secret-at-debug",
        "the config (session string, api_hash) is logged at DEBUG when the source opens",
        "tap_telegram/sources/mtproto/source.py",
        (
            (
                "        settings = client_settings(self.settings)\n",
                "        settings = client_settings(self.settings)\n"
                '        self.logger.debug("opening with config %s", dict(self.config))\n',
            ),
        ),
        ("tests/test_secrets.py::test_a_run_with_failures_leaks_nothing",),
    ),
    Mutant(
        "exclude-chats-ignored",
        "exclude_chats takes no chat out (MTProto)",
        "tap_telegram/sources/mtproto/chats/resolve.py",
        (
            (
                "kept, unmatched = without_excluded(chats, self.refs, self.matches)",
                "kept, unmatched = list(chats), []",
            ),
        ),
        (
            "tests/sources/mtproto/test_selection.py::"
            "test_exclude_chats_takes_dialogs_out_by_username_id_and_invite_link",
        ),
    ),
    Mutant(
        "id-index-wrong-delta",
        "the delivered-id index packs each delta one too large",
        "tap_telegram/sources/mtproto/changes/id_index.py",
        (
            (
                "delta, previous = message_id - previous, message_id\n",
                "delta, previous = message_id - previous + 1, message_id\n",
            ),
        ),
        ("tests/singer/test_id_index.py",),
    ),
    Mutant(
        "commit-before-records",
        "a page's checkpoint (pts, account_log, lookback memory) is applied before its records",
        HISTORY_STREAM,
        (
            (
                "            yield from self._records_of(page)\n"
                "            if page.commit is not None and page.commit(query.state):\n"
                "                self.mark_state_changed()\n",
                "            if page.commit is not None and page.commit(query.state):\n"
                "                self.mark_state_changed()\n"
                "            yield from self._records_of(page)\n",
            ),
        ),
        (
            f"{TEST_CHANGES}::test_edits_and_deletions_of_any_age_in_every_chat_kind",
            f"{POSITIONS}::test_a_kill_between_history_pages_keeps_the_old_pts_and_the_rerun_has_the_edit",
        ),
    ),
    Mutant(
        "no-state-at-chat-end",
        "no STATE when a chat ends: its bookmark waits for the next chat's second page",
        HISTORY_STREAM,
        (
            (
                "        elif run.messages or run.edits or run.deletions:\n"
                "            self.write_state_if_due()\n",
                "",
            ),
        ),
        (f"{TEST_SYNC}::test_crash_in_chat_two_keeps_chat_one_bookmark",),
    ),
    Mutant(
        "tombstone-never-delivered",
        "change capture tombstones channel messages the tap never delivered",
        CHANGES,
        (
            (
                "gone = {i for i in found.deleted if first <= i <= bookmark}",
                "gone = set(found.deleted)",
            ),
        ),
        (f"{TEST_CHANGES}::test_only_messages_the_tap_delivered_get_changes",),
    ),
    Mutant(
        "edit-never-delivered",
        "change capture re-emits edited messages the tap never delivered",
        CHANGES,
        (
            (
                "in_range = {i for i in found.edited if first <= i <= bookmark} - self._emitted",
                "in_range = set(found.edited) - self._emitted",
            ),
        ),
        (f"{TEST_CHANGES}::test_only_messages_the_tap_delivered_get_changes",),
    ),
    Mutant(
        "account-deletion-any-chat",
        "an account deletion (ids only) is tombstoned in every private chat, not the one that delivered it",
        CHANGES,
        (("mine = {i for i in candidates if i in index}", "mine = set(candidates)"),),
        (f"{TEST_CHANGES}::test_edits_and_deletions_of_any_age_in_every_chat_kind",),
    ),
    Mutant(
        "export-offsets-code-points",
        "export entity offsets count code points, not UTF-16 units (emoji count once)",
        "tap_telegram/sources/export/mapping/messages.py",
        (('return len(text.encode("utf-16-le")) // 2', "return len(text)"),),
        (
            "tests/sources/export/test_handwritten.py::"
            "test_the_mapper_gives_the_hand_written_record",
        ),
    ),
    Mutant(
        "admin-log-state-ahead",
        "an admin-log page's STATE (bookmark = its last event id) is written before its records",
        "tap_telegram/singer/moderation.py",
        (
            (
                "                yield from page\n",
                "                if page:\n"
                '                    partition.update(replication_key="id")\n'
                '                    partition["replication_key_value"] = page[-1]["id"]\n'
                "                    self.mark_state_changed()\n"
                "                    self.write_state_if_changed()\n"
                "                yield from page\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_admin_log.py::"
            "test_long_log_pages_down_to_the_bookmark_and_emits_oldest_first",
        ),
    ),
    Mutant(
        "channel-pins-as-deletions",
        "change capture takes a channel's pins (updatePinnedChannelMessages) for deletions",
        READER,
        (
            (
                "elif isinstance(update, types.UpdateDeleteChannelMessages):",
                "elif isinstance(\n"
                "                update,\n"
                "                (types.UpdateDeleteChannelMessages, types.UpdatePinnedChannelMessages),\n"
                "            ):",
            ),
        ),
        (TEST_OTHER_UPDATES,),
    ),
    Mutant(
        "read-contents-as-deletions",
        "change capture takes the account's read receipts of contents for deletions",
        READER,
        (
            (
                "elif isinstance(update, types.UpdateDeleteMessages):",
                "elif isinstance(update, (types.UpdateDeleteMessages, types.UpdateReadMessagesContents)):",
            ),
        ),
        (TEST_OTHER_UPDATES,),
    ),
    Mutant(
        "account-log-waits-for-channels",
        "a failed channel (or a chats entry that did not resolve) freezes the account position",
        CHANGES,
        (
            (
                "            if not self.pending and not self.failed:\n",
                "            if not self.pending and not self.failed and not self.source.failures:\n",
            ),
        ),
        (
            f"{FAILURES}::"
            "test_unresolvable_chats_and_failing_channels_never_freeze_the_account_position",
        ),
    ),
    Mutant(
        "log-failures-never-reset",
        "the consecutive-failure counter of an update log is not reset once the log reads",
        FAILURES_PY,
        (("        holder.pop(key, None)\n        return 0\n", "        return 0\n"),),
        (
            f"{FAILURES}::"
            "test_an_account_log_that_keeps_failing_costs_no_history_and_is_an_error_at_3_runs",
        ),
    ),
    Mutant(
        "log-failures-only-warn",
        "an update log that failed in 3 runs in a row is only a warning (exit 0)",
        CHANGES,
        (("        if runs < FAILED_RUNS:\n", "        if runs < FAILED_RUNS or True:\n"),),
        (
            f"{FAILURES}::"
            "test_a_channel_log_that_keeps_failing_is_marked_counted_and_an_error_at_3_runs",
        ),
    ),
    Mutant(
        "failed-log-moves-position",
        "a channel whose log read failed takes its current pts (the gap's changes are lost)",
        READER,
        (
            (
                "return ChatChanges(pts=stored, failed=problem_of(exc), requests=1)",
                "return ChatChanges(pts=chat.pts, failed=problem_of(exc), requests=1)",
            ),
        ),
        (
            f"{FAILURES}::"
            "test_a_channel_log_that_keeps_failing_is_marked_counted_and_an_error_at_3_runs",
        ),
    ),
    Mutant(
        "refused-position-unmarked",
        "a position Telegram refused is replaced without marking the chat for verification",
        CHANGES,
        (
            (
                "                mark(partition, Reason.REFUSED)\n                if found.pts",
                "                if found.pts",
            ),
        ),
        (f"{FAILURES}::test_a_refused_channel_position_is_replaced_only_with_a_mark",),
    ),
    Mutant(
        "telethon-update-requests",
        "Telethon sends getState/getDifference of its own at connect, outside the tap's caller",
        "tap_telegram/sources/mtproto/wire/client.py",
        (
            (
                "        if not self._no_updates:\n            return await super()._on_login(user)",
                "        if True:\n            return await super()._on_login(user)",
            ),
        ),
        (f"{FAILURES}::test_telethon_sends_no_update_request_of_its_own",),
    ),
    Mutant(
        "too-long-unmarked",
        "a channel log that was too long moves on without marking the chat for verification",
        CHANGES,
        (
            (
                "            if found.fallback:\n                mark(partition, Reason.TOO_LONG)\n",
                "",
            ),
        ),
        (f"{FAILURES}::test_a_channel_log_too_long_marks_the_chat",),
    ),
    Mutant(
        "state-end-by-cadence",
        "the STATE writer follows the cadence for every STATE: the end's is skipped",
        "tap_telegram/singer/sdk_private.py",
        (
            (
                "        if line != self._last_line:\n",
                "        if line != self._last_line and self._cadence.due():\n",
            ),
        ),
        (
            f"{TEST_SYNC}::test_state_at_the_cadence_by_records_and_always_at_the_end",
            "tests/singer/test_sdk_private_state.py::"
            "test_records_and_state_writes_reach_the_taps_cadence",
        ),
    ),
    Mutant(
        "no-state-at-chat-failure",
        "a failing chat writes no STATE: what was reached waits for the cadence (a kill loses it)",
        HISTORY_STREAM,
        (
            (
                "            # The chat's progress up to the failure, before the run goes on or ends.\n"
                "            self.write_state_if_changed()\n",
                "",
            ),
        ),
        (f"{TEST_SYNC}::test_a_failing_chat_writes_state_at_once_so_a_later_kill_keeps_it",),
    ),
    Mutant(
        "state-before-buffered-records",
        "STATE (at a failure, at the cadence) goes out before the RECORD lines still buffered",
        "tap_telegram/singer/output.py",
        (
            (
                "        self._pending += self.format_message(message)\n",
                "        if isinstance(message, RecordMessage):\n"
                "            self._pending += self.format_message(message)\n"
                "        else:\n"
                "            self._pending[:0] = self.format_message(message)\n",
            ),
        ),
        (
            f"{TEST_SYNC}::test_a_failing_chat_writes_state_at_once_so_a_later_kill_keeps_it",
            f"{TEST_SYNC}::test_state_at_the_cadence_by_records_and_always_at_the_end",
        ),
    ),
    Mutant(
        "cadence-without-records",
        "the cadence counts only time: a fast run writes STATE at its end only",
        "tap_telegram/singer/cadence.py",
        (("        if self.records >= threshold:\n            return True\n", ""),),
        (
            "tests/singer/test_sdk_private_state.py::test_cadence_by_records_by_state_size_and_by_time",
            f"{TEST_SYNC}::test_state_at_the_cadence_by_records_and_always_at_the_end",
        ),
    ),
    Mutant(
        "sweep-over-budget",
        "the sweep sends one history request per chat beyond its share of verify_requests_per_run",
        SWEEP,
        (
            (
                "        for _ in range(turn.requests):\n",
                "        for _ in range(turn.requests + 1):\n",
            ),
        ),
        (
            f"{TEST_SWEEP}::test_budget_respected_and_rotation_covers_every_chat",
            f"{TEST_SWEEP}::test_marked_chats_go_first_and_their_mark_is_cleared_after_a_whole_pass",
        ),
    ),
    Mutant(
        "sweep-tombstone-never-delivered",
        "the sweep tombstones a channel id Telegram never returned to the tap (a gap at delivery)",
        SWEEP_CHECK,
        (
            (
                "            if message_id in present or message_id in gaps:\n",
                "            if message_id in present:\n",
            ),
        ),
        (f"{TEST_SWEEP}::test_no_tombstone_for_an_id_never_delivered",),
    ),
    Mutant(
        "sweep-legacy-gaps-tombstoned",
        "a chat delivered before the sweep gets tombstones on its first pass for ids it may never have delivered",
        SWEEP_CHECK,
        (("            if message_id >= position.known:\n", "            if True:\n"),),
        (f"{TEST_SWEEP}::test_a_chat_delivered_before_the_sweep_learns_its_gaps_first",),
    ),
    Mutant(
        "sweep-marks-ignored",
        "chats marked for verification wait their turn in the rotation instead of coming first",
        SWEEP_PLAN,
        (("            0 if mark is not None else 1,\n", "            1,\n"),),
        (f"{TEST_SWEEP}::test_marked_chats_go_first_and_their_mark_is_cleared_after_a_whole_pass",),
    ),
    Mutant(
        "pace-one-over",
        "a paced method lets one request more than its learned budget into the window",
        "tap_telegram/sources/mtproto/wire/rate.py",
        (
            (
                "over = len(sent) + entry.in_flight - pace.requests\n",
                "over = len(sent) + entry.in_flight - pace.requests - 1\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_pacing.py::"
            "test_after_the_first_wait_no_further_wait_in_the_run_nor_the_next",
            "tests/sources/mtproto/test_pacing.py::"
            "test_paced_method_draws_no_second_wait_and_keeps_the_burst",
        ),
    ),
    Mutant(
        "pace-forgotten",
        "a learned budget is not kept in STATE: every run meets the same FLOOD_WAIT again",
        "tap_telegram/sources/mtproto/wire/rate.py",
        (
            (
                "            stored[method] = [pace.requests, math.ceil(pace.window * 1000), "
                "self._stamp]\n",
                "            stored.clear()\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_pacing.py::"
            "test_after_the_first_wait_no_further_wait_in_the_run_nor_the_next",
            "tests/sources/mtproto/test_pacing.py::"
            "test_a_short_day_draws_flood_waits_only_in_the_first_sync",
        ),
    ),
    Mutant(
        "pace-not-recalled",
        "a budget kept in STATE is not read back: every hourly run learns it again by a wait",
        "tap_telegram/sources/mtproto/wire/rate.py",
        (("            pace = _read(value, now)\n", "            pace = None\n"),),
        (
            "tests/sources/mtproto/test_pacing.py::"
            "test_a_short_day_draws_flood_waits_only_in_the_first_sync",
        ),
    ),
    Mutant(
        "pace-not-rechecked-in-slot",
        "requests queued for a slot before a method's first wait are sent past its pause",
        "tap_telegram/sources/mtproto/wire/rate.py",
        (
            (
                "            if self._delay(entry, self._clock()) is None:\n",
                "            if True:\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_pacing.py::"
            "test_requests_queued_before_the_first_wait_keep_to_what_it_taught",
        ),
    ),
    Mutant(
        "pace-takeout-shared",
        "a takeout run paces by, and overwrites, the budgets plain runs learned (other limits)",
        "tap_telegram/sources/mtproto/source.py",
        (
            (
                "            key = PACE_KEY if self._takeout is None else PACE_TAKEOUT_KEY\n",
                "            key = PACE_KEY\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_pacing.py::"
            "test_a_takeout_run_keeps_its_budgets_apart_from_plain_runs",
        ),
    ),
    Mutant(
        "memory-old-state-kept-long",
        "member listings an older version wrote stay objects: STATE stays long until each "
        "chat is listed again",
        "tap_telegram/sources/mtproto/chats/refresh.py",
        (("        migrate(self.participants, read_members)\n", ""),),
        (
            f"{TEST_REFRESH}::test_state_of_the_previous_version_loads_and_is_rewritten_short",
            "tests/sources/mtproto/test_steady_state.py::"
            "test_state_of_the_previous_version_costs_what_todays_does",
        ),
    ),
    Mutant(
        "memory-old-hashes-lost",
        "the page hashes an older version wrote are dropped on load: every member page is "
        "sent again as if changed",
        ENTRIES,
        (
            (
                "        pages = tuple(h for h in map(_integer, hashes) if h is not None)\n",
                "        pages = ()\n",
            ),
        ),
        (f"{TEST_REFRESH}::test_state_of_the_previous_version_loads_and_is_rewritten_short",),
    ),
    Mutant(
        "memory-hashes-as-decimals",
        "member page hashes are written as decimal strings again: 8 more bytes a page in "
        "every STATE",
        ENTRIES,
        (
            (
                "        hashes = pack_hashes(self.hashes) or None\n",
                "        hashes = [str(h) for h in self.hashes] or None\n",
            ),
        ),
        (f"{TEST_REFRESH}::test_memory_of_a_chat_stays_short",),
    ),
    Mutant(
        "memory-full-as-object",
        "full info is written as an object with named keys again: ~17 more bytes a chat in "
        "every STATE message",
        ENTRIES,
        (
            (
                "        return _trim([self.at, self.about, self.count, self.linked])\n",
                "        return dataclasses.asdict(self)  # type: ignore[return-value]\n",
            ),
        ),
        (
            "tests/sources/mtproto/test_steady_state.py::"
            "test_final_state_stays_within_200_bytes_a_chat_besides_change_capture",
        ),
    ),
    Mutant(
        "memory-topics-time-as-text",
        "a forum's topic listing is remembered with its time as text: the checker's shape "
        "for what a run writes",
        ENTRIES,
        (
            (
                "        return _trim([self.at, self.top])\n",
                "        return _trim([str(self.at), self.top])\n",
            ),
        ),
        ("tests/sources/mtproto/test_rich.py::test_forum_topics_stream_and_topic_ids",),
    ),
    Mutant(
        "dialogs-short-silent",
        "the dialogs pass ends before Telegram's count without a word: a subset synced silently",
        "tap_telegram/sources/mtproto/chats/dialogs.py",
        (("        caller.logger.warning(\n", "        caller.logger.debug(\n"),),
        (
            "tests/sources/mtproto/test_dialogs.py::"
            "test_a_list_that_stops_short_of_its_count_is_a_warning",
        ),
    ),
]
