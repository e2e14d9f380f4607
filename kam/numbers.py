"""Numbers as the active language writes them, for pages that show hundreds.

`grouped(value, 2)` gives what the template filter `floatformat:"2g"` gives (1.234,57 in
German, 1,234.57 in English; half up), at a tenth of its cost: a dashboard page formats about
a thousand numbers, and the filter's per-call work (parsing its argument, looking up the
locale's formats each time) was a tenth of the page's time.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _


@cache
def _separators(language: str | None) -> dict[int, str]:
    # get_format reads the active language's formats; cached per language, not per call.
    return str.maketrans(
        {",": get_format("THOUSAND_SEPARATOR"), ".": get_format("DECIMAL_SEPARATOR")}
    )


@cache
def _step(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def grouped(value, decimals: int = 0) -> str:
    """`value` rounded half up to `decimals` places, thousands grouped, in the active
    language's separators; "" for what is not a number (as floatformat)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        number = number.quantize(_step(decimals), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not number:
        number = abs(number)  # no "-0"
    return f"{number:,f}".translate(_separators(get_language()))


@cache
def _marks(language: str | None) -> tuple[str, str]:
    """(decimal separator, thousands separator) of a language."""
    return get_format("DECIMAL_SEPARATOR", language), get_format("THOUSAND_SEPARATOR", language)


_SPACES = str.maketrans("", "", " \u00a0\u202f")


def _is_grouped(whole: str, mark: str) -> bool:
    """Whether `whole` is digits grouped by threes with `mark` (1.234.567)."""
    head, *groups = whole.split(mark)
    return (
        bool(groups)
        and 1 <= len(head) <= 3
        and head.isdigit()
        and all(len(group) == 3 and group.isdigit() for group in groups)
    )


def parse_decimal(text, language: str | None = None) -> Decimal:
    """The number typed into a form in a language (the active one by default).

    Accepted: the language's own writing, with or without thousands grouping (German
    1.234,56 and 1234,56; English 1,234.56 and 1234.56), and a number written with the other
    separator where that cannot be read as grouping (German 1234.56 and 1.5, English
    1234,56). Refused with ValidationError(code="invalid"): grouping that is not by threes
    (1.23,4), both separators the other way round (1,234.56 in German), several decimal
    separators, exponents, NaN and anything else that is no plain number. A thousands mark
    followed by exactly three digits is grouping: German 1.234 is 1234, English 1,234 too.
    """
    invalid = ValidationError(_("Enter a number."), code="invalid")
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        return Decimal(text)
    if not isinstance(text, str):
        raise invalid
    decimal_mark, thousands_mark = _marks(language or get_language())
    raw = text.strip().translate(_SPACES)
    sign = ""
    if raw[:1] in ("-", "+", "\u2212"):
        sign, raw = ("" if raw[0] == "+" else "-"), raw[1:]
    other = "." if decimal_mark == "," else ","
    marks = {mark for mark in raw if not mark.isdigit()}
    if not raw or not marks <= {decimal_mark, thousands_mark, other}:
        raise invalid
    whole, fraction = raw, ""
    if decimal_mark in raw:
        whole, _mark, fraction = raw.rpartition(decimal_mark)
        if thousands_mark in whole and not _is_grouped(whole, thousands_mark):
            raise invalid
        whole = whole.replace(thousands_mark, "")
    elif thousands_mark in raw and _is_grouped(raw, thousands_mark):
        whole = raw.replace(thousands_mark, "")
    elif raw.count(other) == 1:
        # The other languages' decimal separator, where it cannot be grouping.
        whole, _mark, fraction = raw.partition(other)
    if not (whole or fraction) or not (whole + fraction).isdigit():
        raise invalid
    # Built from text, without arithmetic: no number of digits overflows the decimal context.
    return Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}")


def format_decimal(value, places: int | None = 2, language: str | None = None) -> str:
    """`value` in a language's writing (the active one by default), thousands grouped:
    1.234,56 in German, 1,234.56 in English; rounded half up to `places` decimals (None:
    as many as the value has). The inverse of parse_decimal; "" for None and what is no
    number."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, Decimal):
            number = value
        else:
            number = Decimal(value if isinstance(value, str) else repr(value))
        if not number.is_finite():
            return ""
        if places is not None:
            number = number.quantize(_step(places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not number:
        number = abs(number)
    decimal_mark, thousands_mark = _marks(language or get_language())
    whole, _point, fraction = f"{number:,f}".partition(".")
    whole = whole.replace(",", thousands_mark)
    return f"{whole}{decimal_mark}{fraction}" if fraction else whole


class LocalizedNumberInput(forms.TextInput):
    """A text input (a number input takes neither "," nor grouping) with a decimal keypad that
    shows a number as format_decimal writes it; posted text is shown back as typed."""

    def __init__(self, attrs=None, decimal_places: int | None = None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})
        self.decimal_places = decimal_places

    def format_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return format_decimal(value, self.decimal_places)
        return super().format_value(value)


class LocalizedDecimalField(forms.DecimalField):
    """A DecimalField that reads numbers with parse_decimal and shows them with
    format_decimal (thousands grouped) in the active language: every numeric input of the
    apps. Its widget is a LocalizedNumberInput, keeping the attributes of the one given."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(*args, **kwargs)
        if not isinstance(self.widget, LocalizedNumberInput) and not self.widget.is_hidden:
            attrs = {k: v for k, v in self.widget.attrs.items() if k not in ("step", "min", "max")}
            self.widget = LocalizedNumberInput(attrs)
            self.widget.is_localized = True
        if isinstance(self.widget, LocalizedNumberInput):
            self.widget.decimal_places = self.decimal_places

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_decimal(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def localized_formfield(db_field, **kwargs):
    """A ModelForm's `formfield_callback`: model DecimalFields become LocalizedDecimalFields."""
    if isinstance(db_field, models.DecimalField):
        return db_field.formfield(form_class=LocalizedDecimalField, **kwargs)
    return db_field.formfield(**kwargs)
