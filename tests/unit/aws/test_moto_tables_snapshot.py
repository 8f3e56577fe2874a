"""`snapshot` reads a dict again when a writer changed its size meanwhile (the bench's push feed
died on "dictionary changed size during iteration" in a 10-minute run)."""

from __future__ import annotations

from typing import Any

from localcloud.aws.moto_tables import snapshot


class _GrowsWhileRead(dict[str, int]):
    """A dict that another thread grows during the first copy of its entries."""

    def __init__(self) -> None:
        super().__init__(a=1)
        self.reads = 0

    def items(self) -> Any:
        self.reads += 1
        if self.reads == 1:
            self["b"] = 2
            raise RuntimeError("dictionary changed size during iteration")
        return super().items()


def test_a_dict_that_grew_during_the_copy_is_read_again() -> None:
    table = _GrowsWhileRead()
    assert snapshot(table) == [("a", 1), ("b", 2)]
    assert table.reads == 2


def test_a_quiet_dict_is_read_once() -> None:
    assert snapshot({"k": "v"}) == [("k", "v")]
