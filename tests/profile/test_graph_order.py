"""The graph looks identities up in the order of their primary key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collector.profile.graph import _sort_keys
from collector.profile.graphstate import Key

_part = st.sampled_from(["", "a", "ab", "b", "ORG@AdobeOrg", "ecid", "email", "é", "\x00"])


@given(st.lists(st.tuples(_part, _part, st.text(max_size=4) | _part), max_size=40))
def test_keys_are_sorted_as_tuples_are(keys: list[Key]) -> None:
    ordered = list(keys)
    _sort_keys(ordered)
    assert ordered == sorted(keys)
