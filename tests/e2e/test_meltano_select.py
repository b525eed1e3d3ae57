"""What a real Meltano selects by default: every stream but ``contacts`` (opt-in, meltano.yml).

Meltano's own default is ``select: ['*.*']``, which would select ``contacts`` (and send one
``contacts.getContacts`` a run); the repository's meltano.yml deselects it, so a project built
from it gets the tap's own default.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.meltano_project import EXPORT_EXTRACTOR, Workspace

pytestmark = pytest.mark.e2e


def selected_streams(workspace: Workspace) -> set[str]:
    done = workspace.meltano("--log-level=warning", "invoke", "--dump=catalog", EXPORT_EXTRACTOR)
    text = done.check().output
    catalog = json.loads(text[text.index("{") : text.rindex("}") + 1])
    selected = set()
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == [] and item["metadata"].get("selected"):
                selected.add(entry["tap_stream_id"])
    return selected


def test_contacts_is_not_selected_by_default(workspace: Workspace) -> None:
    assert selected_streams(workspace) == {"chats", "messages", "participants", "topics", "users"}
