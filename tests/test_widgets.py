import re

import pytest
from django import forms

from kam.widgets import FastSelect

CHOICES = [("", "All"), ("a", "A & <b>"), ("Group", [("x", "X"), ("y", "Y")]), (3, "three")]


def without_layout(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["a", "x", 3, None])
def test_the_fast_select_writes_what_djangos_select_writes(value):
    attrs = {"class": "form-select", "id": "id_f", "required": True, "disabled": False}
    django_html = forms.Select(attrs=attrs, choices=CHOICES).render("f", value)
    fast_html = FastSelect(attrs=attrs, choices=CHOICES).render("f", value)
    assert without_layout(fast_html) == without_layout(django_html)
    assert "&lt;b&gt;" in fast_html
