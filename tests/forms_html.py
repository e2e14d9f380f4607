"""Read the forms of a rendered page as a browser would submit them (tests only)."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class HtmlForm:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def data(self, **changes: str) -> dict[str, str | list[str]]:
        """The values a submit sends (several for a multiple choice), with `changes` applied."""
        data: dict[str, str | list[str]] = {}
        for name, value in self.fields:
            if name in data:
                previous = data[name]
                data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                data[name] = value
        data.update(changes)
        return data


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self.form: HtmlForm | None = None
        self.select: tuple[str, bool] | None = None  # name, whether an option was selected
        self.first_option: str | None = None
        self.option: tuple[str, bool] | None = None
        self.option_text = ""
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form = HtmlForm(action=attr.get("action", ""))
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in ("submit", "button", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self.form.fields.append((name, attr.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = (name, False)
            # A multiple choice sends nothing when nothing is selected; a single one its first.
            self.first_option = "\0none" if "multiple" in attr else None
        elif tag == "option" and self.select is not None:
            self.option = (attr.get("value") or "", "selected" in attr)
            self.option_text = ""
            if "value" not in attr:
                self.option = ("\0text", "selected" in attr)
        elif tag == "textarea" and name:
            self.textarea = name
            self.text = ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data
        if self.option is not None:
            self.option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            self.form.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "option" and self.option is not None and self.select is not None:
            value, selected = self.option
            if value == "\0text":
                value = self.option_text.strip()
            if self.first_option is None:
                self.first_option = value
            if selected and self.form is not None:
                self.form.fields.append((self.select[0], value))
                self.select = (self.select[0], True)
            self.option = None
        elif tag == "select" and self.select is not None:
            name, chosen = self.select
            if not chosen and self.first_option not in (None, "\0none") and self.form is not None:
                self.form.fields.append((name, self.first_option))
            self.select = None


def forms_of(html: str) -> list[HtmlForm]:
    parser = _Parser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, name: str, action: str | None = None) -> HtmlForm:
    """The one form of the page that has a field `name` (and posts to `action`, if given)."""
    found = [
        form
        for form in forms_of(html)
        if name in form.names() and (action is None or form.action in ("", action))
    ]
    assert len(found) == 1, f"{len(found)} forms with {name!r} posting to {action!r}"
    return found[0]
