"""Every run of the tap against the fake passes its stdout through the stream checker.

:func:`check_run` is what the harnesses (:mod:`.harness`, the e2e Meltano runs, the
bench) call after a run: :mod:`tests.stream_check` with the fake's world (its update
logs), its update-log settings, the run's input STATE and the chats the config can
select (:func:`selection_of`, a superset: a record of any other chat is a violation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from singer_sdk.singerlib import Message, RecordMessage
from typing_extensions import override

from tap_telegram.singer.output import PageFlushWriter
from tests.fake_telegram.fake import FakeTelegram
from tests.fake_telegram.records import ChatRecord
from tests.fake_telegram.spec import fake_from_spec, load_spec
from tests.fake_telegram.tee import OFFLINE_FLAGS
from tests.fake_telegram.updatelog import UpdateLogSettings
from tests.fake_telegram.world import World
from tests.stream_check import StreamChecker, StreamReport, check_stream

#: The tap's ``chat_types`` of each kind of chat of the fake.
TYPES = {
    "private": "user",
    "group": "group",
    "supergroup": "supergroup",
    "forum": "supergroup",
    "channel": "channel",
}
_SPLIT = re.compile(r"[/?=&@\s+]+")


def selection_of(world: World, config: Mapping[str, Any]) -> set[int]:
    """Marked ids of every chat ``config`` can select (with the chats they bring along).

    Generous on purpose (a chat named in any way an entry could name it; ``exclude_chats``
    only when an entry names the chat exactly), so that only a real leak is a violation:
    a record of a chat no setting selects. A selected chat brings its discussion group
    (comments) and the group it was upgraded from or to.
    """
    refs = config.get("chats")
    if any(str(ref).strip().lower().startswith("folder:") for ref in refs or ()):
        # A chat folder's rules (tests/fake_telegram/folders.py) may take any chat.
        chosen = list(world.chats.values())
    elif refs:
        chosen = [
            chat for chat in world.chats.values() if any(_named(world, chat, r) for r in refs)
        ]
    else:
        kinds = set(config.get("chat_types") or TYPES.values())
        chosen = [chat for chat in world.chats.values() if TYPES[chat.kind] in kinds]
    excluded = [str(entry).strip().lower() for entry in config.get("exclude_chats") or ()]
    chosen = [chat for chat in chosen if not _excluded(world, chat, excluded)]
    out = {world.marked_id(chat) for chat in chosen}
    for chat in chosen:
        related = [chat.linked, chat.migrated_to]
        related += [c.key for c in world.chats.values() if chat.key in {c.linked, c.migrated_to}]
        out.update(world.marked_id(key) for key in related if key and key in world.chats)
    return out


def _names(world: World, chat: ChatRecord) -> set[str]:
    marked = world.marked_id(chat)
    names = {str(marked), str(abs(marked)), str(chat.id), chat.key.lower()}
    names.update(_usernames(world, chat))
    if chat.invite_hash:
        names.add(chat.invite_hash.lower())
    return names


def _usernames(world: World, chat: ChatRecord) -> list[str]:
    """The chat's username, or (a private chat) its user's, lower case."""
    user = world.users.get(chat.user_key) if chat.user_key else None
    return [name.lower() for name in (chat.username, user.username if user else None) if name]


def _named(world: World, chat: ChatRecord, ref: Any) -> bool:
    text = str(ref).strip().lower()
    names = _names(world, chat)
    return text in names or any(token in names for token in _SPLIT.split(text) if token)


def _excluded(world: World, chat: ChatRecord, entries: Iterable[str]) -> bool:
    exact = {str(world.marked_id(chat)), chat.key.lower()}
    for username in _usernames(world, chat):
        exact |= {username, "@" + username}
    return any(entry in exact for entry in entries)


def is_sync(args: Iterable[str]) -> bool:
    """Whether a tap command line syncs (prints a Singer stream)."""
    return not OFFLINE_FLAGS.intersection(args)


def checker_for(
    fake: FakeTelegram | World | None,
    config: Mapping[str, Any] | None,
    state: Mapping[str, Any] | None,
) -> StreamChecker:
    """A :class:`StreamChecker` for one run against ``fake`` (fed as the run writes)."""
    world, settings = _world(fake, config)
    return StreamChecker(
        input_state=state,
        selection=selection_of(world, config or {}) if world is not None else None,
        world=world,
        update_log=settings,
    )


def check_run(
    stdout: str | Iterable[str | bytes],
    fake: FakeTelegram | World | None,
    config: Mapping[str, Any] | None,
    state: Mapping[str, Any] | None,
    *,
    cut_ok: bool = False,
) -> StreamReport:
    """Check a finished run's stdout (a string or its lines); see the module docstring."""
    world, settings = _world(fake, config)
    lines = stdout.splitlines() if isinstance(stdout, str) else stdout
    return check_stream(
        (line for line in lines if line.strip()),
        input_state=state,
        selection=selection_of(world, config or {}) if world is not None else None,
        world=world,
        update_log=settings,
        cut_ok=cut_ok,
    )


def check_teed(folder: Path, *, cut_ok: bool = False) -> list[StreamReport]:
    """Check the runs :mod:`.tee` copied into ``folder`` since the last call, oldest first.

    ``cut_ok``: the runs were killed on purpose (their last line may be cut).
    """
    reports = []
    for meta_path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        world = meta.get("world")
        fake = fake_from_spec(load_spec(world)) if world else None
        out = meta_path.with_suffix(".out")
        text = out.read_bytes().decode("utf-8", "replace") if out.exists() else ""
        reports.append(check_run(text, fake, meta.get("config"), meta.get("state"), cut_ok=cut_ok))
        meta_path.rename(meta_path.with_suffix(".checked"))
    return reports


def _world(
    fake: FakeTelegram | World | None, config: Mapping[str, Any] | None = None
) -> tuple[World | None, UpdateLogSettings | None]:
    """The world and update-log settings the run reads; none when it reads another source."""
    if (config or {}).get("source", "mtproto") != "mtproto":
        return None, None  # an export or the Bot API: the fake's world is not what it reads
    if isinstance(fake, FakeTelegram):
        return fake.world, fake.update_log
    return fake, None


class ProbingWriter(PageFlushWriter):
    """The tap's writer that shows the checker the STATE in memory before each RECORD.

    A SIGTERM can come between any two bytecodes and writes the state in memory: so
    before each record goes out, the records before it are flushed to the checker and
    the state in memory is checked as if it were written there
    (:meth:`~tests.stream_check.StreamChecker.probe`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.checker: StreamChecker | None = None
        self.tap_state: Mapping[str, Any] | None = None

    @override
    def write_message(self, message: Message) -> None:
        """Probe before a ``messages`` RECORD; then write as the tap does."""
        if (
            self.checker is not None
            and self.tap_state is not None
            and isinstance(message, RecordMessage)
            and message.stream.startswith("messages")
        ):
            chat_id = message.record.get("chat_id")
            if isinstance(chat_id, int):
                self.flush()
                self.checker.probe(self.tap_state, message.stream, chat_id)
        super().write_message(message)
