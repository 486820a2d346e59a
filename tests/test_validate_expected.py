"""Validation gives exactly the reports pinned in tests/validate_expected.json (see
tests/validate_cases.py): every problem, shape, order, source and weight total of a
few hundred graphs, cold and after edits, as the code gave them when they were pinned."""

import json

from tests.validate_cases import EXPECTED, cases, digest


def test_every_pinned_report_is_unchanged():
    expected = json.loads(EXPECTED.read_text())
    got = dict(cases())
    assert list(got) == list(expected)  # the same cases, so none is silently dropped
    changed = [(name, text) for name, text in got.items() if digest(text) != expected[name]]
    assert not changed, f"{len(changed)} reports changed, the first: {changed[0]}"
