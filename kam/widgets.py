"""Form widgets."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A select that writes its options in Python, without a template and an option context
    per choice: the same HTML as Django's Select, for lists of hundreds of choices (every key
    account manager, every region) on pages that must stay fast."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        found = False  # a single select marks its first matching option only

        def option(option_value, label) -> str:
            nonlocal found
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            mark = " selected" if selected else ""
            return f'<option value="{escape(text)}"{mark}>{escape(label)}</option>'

        parts = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                inner = "".join(option(v, sub) for v, sub in label)
                parts.append(f'<optgroup label="{escape(option_value)}">{inner}</optgroup>')
            else:
                parts.append(option(option_value, label))
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{"".join(parts)}</select>')
