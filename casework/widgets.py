"""Form widgets that draw their options in Python.

Django draws a `<select>` through one template include per `<option>`: some 20 µs an option, so the
case page's assignment select (an option per colleague, 335 in a large organisation) and the quick-add
forms' providers took tens of milliseconds a page (docs/PERFORMANCE.md, "Where the list and detail time
goes"). `Select` here writes the same HTML as django/forms/widgets/select.html — the same attributes
(id, required, aria-*), `selected`, `<optgroup>`s, every value and label escaped — with `format_html`.
`DatalistInput` is a text box with a `<datalist>` of suggestions, for a choice among hundreds that
people find faster by typing a few letters than by scrolling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def html_attrs(attrs: dict[str, Any]) -> SafeString:
    """Attributes as django/forms/widgets/attrs.html writes them: True bare, False left out."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value))
    return mark_safe("".join(parts))  # noqa: S308 # nosec B308 B703 - each part went through format_html


class Select(forms.Select):
    """`forms.Select`, drawn in Python: the same markup, without a template include per option."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        selected = set(self.format_value(value))
        widget_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            widget_attrs["multiple"] = True
        parts = [format_html('<select name="{}"{}>', name, html_attrs(widget_attrs))]
        has_selected = False
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                group: Iterable = group_label
                parts.append(format_html('\n  <optgroup label="{}">', group_value))
            else:
                group = [("" if group_value is None else group_value, group_label)]
            for option_value, option_label in group:
                # Only the first match is selected in a single select, as Django's optgroups() does.
                is_selected = (not has_selected or self.allow_multiple_selected) and str(
                    option_value
                ) in selected
                has_selected |= is_selected
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>',
                        option_value,
                        mark_safe(" selected") if is_selected else "",  # noqa: S308 # nosec B308 B703 - a constant
                        option_label,
                    )
                )
            if isinstance(group_label, list | tuple):
                parts.append(mark_safe("\n  </optgroup>"))  # noqa: S308 # nosec B308 B703 - a constant
        parts.append(mark_safe("\n</select>"))  # noqa: S308 # nosec B308 B703 - a constant
        return mark_safe("".join(parts))  # noqa: S308 # nosec B308 B703 - every part went through format_html


class DatalistInput(forms.TextInput):
    """A text box suggesting `options` (value, label pairs, or a callable returning them, read when the box
    is drawn) from a `<datalist>`; the browser filters them as the user types and still accepts anything,
    so the field must validate what comes back."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.options: Iterable[tuple[str, str]] | Callable[[], Iterable[tuple[str, str]]] = ()

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        widget_attrs = self.build_attrs(self.attrs, attrs)
        list_id = f"{widget_attrs.get('id') or name}_options"
        widget_attrs.update({"list": list_id, "autocomplete": "off"})
        options = self.options() if callable(self.options) else self.options
        shown = self.format_value(value)
        if shown is not None:
            widget_attrs["value"] = shown
        return format_html(
            '<input type="{}" name="{}"{}>\n<datalist id="{}">{}</datalist>',
            self.input_type,
            name,
            html_attrs(widget_attrs),
            list_id,
            format_html_join("", '\n  <option value="{}">{}</option>', options),
        )
