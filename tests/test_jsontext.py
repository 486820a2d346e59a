"""graph.jsontext: the nesting pre-check counts exactly the brackets json would parse."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from graph.jsontext import _STRING, MAX_NESTING, nesting_depth, too_deep


def reference_depth(text: str) -> int:
    """The obvious character-by-character scan: brackets outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def value_depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(value_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(value_depth, value.values()), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab"\\[]{}\n'),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='k"\\[{', max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_depth_of_valid_json_is_its_values_depth(value):
    assert nesting_depth(json.dumps(value)) == value_depth(value)


@given(st.text(alphabet='"\\[]{}a\n', max_size=200))
def test_depth_of_any_text_equals_a_character_scan(text):
    assert nesting_depth(text) == reference_depth(text)


@given(st.text(alphabet='"\\[]{}a', max_size=100), st.data())
def test_the_string_pattern_matches_at_every_quote(text, data):
    # Why the check is linear: a quote never starts a failed match that a retry at the
    # next quote scans again (the old pattern failed at each quote of an unterminated
    # string, so a file of backslash-quote pairs took quadratic time).
    quotes = [i for i, ch in enumerate(text) if ch == '"']
    if quotes:
        assert _STRING.match(text, data.draw(st.sampled_from(quotes))) is not None


def test_an_unterminated_string_of_escaped_quotes_hides_its_brackets():
    hostile = '{"a": "' + '\\"' * 100_000 + "[" * 500
    assert nesting_depth(hostile) == 1
    assert too_deep(hostile) is None


def test_too_deep_names_the_depth():
    text = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    assert too_deep(text) == f"values are nested too deeply (101 levels; at most {MAX_NESTING})"
    assert too_deep("[" * MAX_NESTING + "]" * MAX_NESTING) is None
