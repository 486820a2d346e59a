"""graph/naming.py: valid_name makes any text a name name_problem accepts, and leaves
valid names alone (the importer renames Keras's names with it)."""

from hypothesis import given
from hypothesis import strategies as st

from graph.naming import name_problem, names_valid_and_unique, valid_name


@given(st.text(min_size=0, max_size=400))
def test_valid_name_is_always_accepted(text):
    assert name_problem(valid_name(text)) is None


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,254}", fullmatch=True))
def test_a_valid_name_is_kept(name):
    assert valid_name(name) == name


#: Names at the edges of the rule: a newline inside, first characters, lengths, types.
_EDGE_NAMES = ["a", "_", "A-b_9", "a\nb", "a\n", "\n", "", "-a", "9a", "a b", "é", "a" * 255]
_EDGE_NAMES += ["a" * 256, 7, None, b"a"]


@given(st.lists(st.sampled_from(_EDGE_NAMES) | st.text(max_size=8), max_size=6))
def test_names_tested_together_as_one_by_one(names):
    one_by_one = all(name_problem(n) is None for n in names) and len(set(names)) == len(names)
    assert names_valid_and_unique(names) == one_by_one
