"""graph/naming.py: valid_name makes any text a name name_problem accepts, and leaves
valid names alone (the importer renames Keras's names with it)."""

from hypothesis import given
from hypothesis import strategies as st

from graph.naming import name_problem, valid_name


@given(st.text(min_size=0, max_size=400))
def test_valid_name_is_always_accepted(text):
    assert name_problem(valid_name(text)) is None


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,254}", fullmatch=True))
def test_a_valid_name_is_kept(name):
    assert valid_name(name) == name
