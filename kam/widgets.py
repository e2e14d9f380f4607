"""Form widgets."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A select that writes its options in Python, without a template and an option context
    per choice: the same HTML as Django's Select, for lists of hundreds of choices (every key
    account manager, every region) on pages that must stay fast."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        found = False  # a single select marks its first matching option only

        def option(option_value, label) -> tuple:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            return text, " selected" if selected else "", label

        def options(choices) -> str:
            return format_html_join(
                "", '<option value="{}"{}>{}</option>', (option(v, label) for v, label in choices)
            )

        groups = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                groups.append(
                    format_html('<optgroup label="{}">{}</optgroup>', option_value, options(label))
                )
            else:
                groups.append(options([(option_value, label)]))
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            format_html_join("", "{}", ((group,) for group in groups)),
        )
