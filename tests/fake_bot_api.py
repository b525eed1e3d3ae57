"""A fake Telegram Bot API served by a real local HTTP server (pytest-httpserver).

It keeps Telegram's ``getUpdates`` semantics, which the tap's checkpointing relies on:

* updates stay queued until a call with ``offset`` confirms them: every update with
  ``update_id < offset`` is deleted for good *when the request arrives*, whatever
  happens to the answer;
* ``limit`` (1-100, default 100) caps a page; ``timeout`` long-polls: with nothing
  queued the call waits up to ``timeout`` seconds for :meth:`FakeBotApi.push`;
* ``allowed_updates`` is remembered for the bot and, as on Telegram, applies to
  updates created after the call (already queued ones are still delivered); an
  absent or empty list keeps the previous setting;
* ``getMe``, ``getChat`` (by id or @username), ``deleteWebhook``, ``setWebhook``;
* faults: a queued list of ``(method, status, body, headers)`` answers served before
  the real one (401, 409, 429 with ``retry_after``, 5xx). A 429 may carry a
  ``Retry-After`` header as well as the body's ``parameters.retry_after`` (RFC 6585
  section 4 gives 429 that header; issue 27 saw Telegram's server send both), so
  :meth:`FakeBotApi.fail` takes headers. Network errors are real ones: point
  ``bot_api_url`` at a closed port.

Every request is recorded (method, params, token) so tests can assert on offsets.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "123456789:AAE-fakeTOKENfakeTOKENfakeTOKEN12345"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Archive", "username": "archive_bot"}
DEFAULT_TYPES = ("message", "edited_message", "channel_post", "edited_channel_post")


@dataclasses.dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    token: str


class FakeBotApi:
    """State of one fake bot; :meth:`install` routes an HTTPServer to it."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 500_000_000
        self.chats: dict[int, dict[str, Any]] = {}
        self.webhook: str | None = None
        self.allowed: list[str] = list(DEFAULT_TYPES)
        self.faults: list[tuple[str, int, Any, dict[str, str]]] = []
        self.calls: list[Call] = []
        self.confirmed_up_to = 0
        self.lock = threading.Condition()
        #: Called with the offset of every getUpdates before it is answered (tests
        #: use it to kill the tap at a chosen moment).
        self.on_get_updates: Any = None
        #: The HTTP server serving this fake (set by :meth:`install`).
        self.server: HTTPServer | None = None

    # ----- the world ------------------------------------------------------------

    def add_chat(self, chat: Mapping[str, Any]) -> dict[str, Any]:
        """Register a chat getChat can answer for; returns it."""
        self.chats[int(chat["id"])] = dict(chat)
        return self.chats[int(chat["id"])]

    def push(self, kind: str, payload: Mapping[str, Any]) -> int | None:
        """Queue an update ``{update_id, kind: payload}``; returns its id.

        ``None`` when the bot's ``allowed_updates`` excludes ``kind``: Telegram does
        not create the update at all.
        """
        with self.lock:
            if kind not in self.allowed:
                return None
            self.next_update_id += 1
            self.updates.append({"update_id": self.next_update_id, kind: dict(payload)})
            self.lock.notify_all()
            return self.next_update_id

    def fail(
        self, method: str, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next call of ``method`` (``*`` any) with ``status``/``body``/``headers``."""
        self.faults.append((method, status, body, dict(headers or {})))

    def expire(self) -> None:
        """Drop every queued update, as Telegram does after 24 hours."""
        with self.lock:
            self.updates.clear()

    def restart_ids(self, next_id: int) -> None:
        """Continue numbering at ``next_id`` (Telegram picks a random start after a
        week without updates)."""
        with self.lock:
            self.next_update_id = next_id - 1

    def pending_ids(self) -> list[int]:
        """Ids of updates still queued on the fake's side."""
        return [update["update_id"] for update in self.updates]

    def get_updates_offsets(self) -> list[int | None]:
        """The ``offset`` of each getUpdates call, in order."""
        return [call.params.get("offset") for call in self.calls if call.method == "getUpdates"]

    # ----- HTTP -------------------------------------------------------------------

    def install(self, server: HTTPServer) -> None:
        """Serve every ``/bot<token>/<method>`` path of ``server``."""
        import re

        self.server = server
        server.expect_request(re.compile(r"^/bot[^/]*/\w+$")).respond_with_handler(self.handle)

    def url(self, server: HTTPServer | None = None) -> str:
        """The ``bot_api_url`` setting (of ``server``, default the installed one)."""
        server = server or self.server
        assert server is not None, "install() first"
        return server.url_for("").rstrip("/")

    def handle(self, request: Request) -> Response:
        """Route one request (any HTTP method; JSON body or query string)."""
        _, token_part, method = request.path.split("/", 2)
        token = token_part.removeprefix("bot")
        params: dict[str, Any] = dict(request.args)
        if request.data:
            params.update(json.loads(request.data))
        self.calls.append(Call(method, params, token))
        for index, (fault_method, status, body, headers) in enumerate(self.faults):
            if fault_method in (method, "*"):
                del self.faults[index]
                payload = body or {"ok": False, "error_code": status, "description": "fault"}
                if isinstance(payload, str):  # raw JSON text, e.g. numbers json.dumps cannot write
                    answer = Response(payload, status=status, content_type="application/json")
                else:
                    answer = _json(payload, status)
                answer.headers.update(headers)
                return answer
        if token != self.token:
            return _error(401, "Unauthorized")
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        result = handler(params)
        if isinstance(result, Response):
            return result
        return _json({"ok": True, "result": result}, 200)

    def api_getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API name
        return BOT

    def api_getChat(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API name
        wanted = params.get("chat_id")
        for chat in self.chats.values():
            if str(chat["id"]) == str(wanted) or (
                isinstance(wanted, str) and f"@{chat.get('username')}".lower() == wanted.lower()
            ):
                return chat
        return _error(400, "Bad Request: chat not found")

    def api_deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API name
        self.webhook = None
        return True

    def api_setWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API name
        self.webhook = params.get("url") or None
        return True

    def api_getUpdates(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API name
        if self.webhook:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        with self.lock:
            if allowed:
                self.allowed = list(allowed)
            if offset is not None:
                offset = int(offset)
                if offset < 0:
                    raise NotImplementedError("negative offsets")
                # Confirmation happens on receipt, before the answer is sent.
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self.confirmed_up_to = max(self.confirmed_up_to, offset - 1)
        if self.on_get_updates is not None:
            self.on_get_updates(offset)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                page = self.updates
                if page or time.monotonic() >= deadline:
                    return page[:limit]
                self.lock.wait(max(deadline - time.monotonic(), 0))


def _json(payload: Any, status: int) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _error(code: int, description: str, **parameters: Any) -> Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return _json(body, code)


def flood(retry_after: int) -> dict[str, Any]:
    """The body of a 429 answer."""
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


# ----- Bot API objects ---------------------------------------------------------------

GROUP: dict[str, Any] = {
    "id": -1001111111111,
    "title": "Builders",
    "username": "builders",
    "type": "supergroup",
}
CHANNEL: dict[str, Any] = {
    "id": -1002222222222,
    "title": "News",
    "username": "newsroom",
    "type": "channel",
}
ALICE: dict[str, Any] = {
    "id": 1001,
    "is_bot": False,
    "first_name": "Alice",
    "last_name": "A",
    "username": "alice",
}
BOB: dict[str, Any] = {"id": 1002, "is_bot": False, "first_name": "Bob", "language_code": "de"}


def message(chat: Mapping[str, Any], message_id: int, text: str, **extra: Any) -> dict[str, Any]:
    """A Message in ``chat``; from ALICE in groups, a channel post (sender_chat) in channels."""
    out: dict[str, Any] = {
        "message_id": message_id,
        "date": 1_760_000_000 + message_id,
        "chat": dict(chat),
        "text": text,
    }
    if chat["type"] == "channel":
        out["sender_chat"] = dict(chat)
    else:
        out["from"] = dict(ALICE)
    out.update(extra)
    return out
