"""A bounded, thread-safe store of responses and of item provenance.

Stored responses (``store: true``) make ``previous_response_id`` work.
Whatever ``store`` says, the server remembers (bounded) which reasoning
item each of its function calls came with, so that a function call sent
back without that reasoning item gets the real API's 400.

Introduced in 06_gpt51_agent_loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    """A stored response: its body and the full conversation it saw."""

    response: dict[str, Any]
    context: list[dict]  # normalised items, input then output


class ResponseStore:
    """Responses by id (LRU-bounded) plus fc-id -> rs-id provenance.

    Introduced in 06_gpt51_agent_loop.
    """

    def __init__(self, max_responses: int = 2000) -> None:
        self._lock = threading.Lock()
        self._max = max_responses
        self._records: OrderedDict[str, Record] = OrderedDict()
        self._items: OrderedDict[str, str] = OrderedDict()  # id -> resp
        self._fc_rs: OrderedDict[str, str] = OrderedDict()

    def put(self, record: Record) -> None:
        """Store a response (evicting the oldest beyond the bound)."""
        rid = record.response["id"]
        with self._lock:
            self._records[rid] = record
            for item in record.response.get("output", []):
                if isinstance(item.get("id"), str):
                    self._items[item["id"]] = rid
            while len(self._records) > self._max:
                self._records.popitem(last=False)
            while len(self._items) > 8 * self._max:
                self._items.popitem(last=False)

    def get(self, response_id: str) -> Record | None:
        """The stored record, or ``None``."""
        with self._lock:
            return self._records.get(response_id)

    def delete(self, response_id: str) -> bool:
        """Forget a response; True if it was stored."""
        with self._lock:
            return self._records.pop(response_id, None) is not None

    def has_item(self, item_id: str) -> bool:
        """True when an output item id belongs to a stored response."""
        with self._lock:
            rid = self._items.get(item_id)
            return rid is not None and rid in self._records

    def link(self, fc_id: str, rs_id: str) -> None:
        """Remember that function call ``fc_id`` came with ``rs_id``."""
        with self._lock:
            self._fc_rs[fc_id] = rs_id
            while len(self._fc_rs) > 16 * self._max:
                self._fc_rs.popitem(last=False)

    def reasoning_of(self, fc_id: str) -> str | None:
        """The reasoning item id a function call came with, if known."""
        with self._lock:
            return self._fc_rs.get(fc_id)
