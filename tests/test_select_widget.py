"""casework.widgets.Select draws the same <select> as Django's template-drawn one, only faster.

Each test draws a field with Django's `forms.Select` and with ours and compares what a browser would
read: the elements, their attributes (id, name, required, aria-*, selected, optgroup labels) and their
text, parsed from the HTML — so escaping counts, and whitespace between tags does not.
"""

from html.parser import HTMLParser

import pytest
from django import forms

from casework.choices import Role
from casework.models import User
from casework.widgets import Select
from tests.factories import UserFactory

HOSTILE = '"><script>alert("x")</script>&amp;<b>'


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(sorted(attrs, key=lambda pair: pair[0]))))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def parsed(html: str) -> list[tuple]:
    tree = _Tree()
    tree.feed(str(html))
    tree.close()
    return tree.items


def both(field_factory, data=None, initial=None):
    """The field drawn in a form, once with Django's Select and once with ours."""

    def form_with(widget):
        class TheForm(forms.Form):
            choice = field_factory(widget)

        return TheForm(data=data, initial=initial, auto_id="id_%s")

    django_form, our_form = form_with(forms.Select), form_with(Select)
    if data is not None:
        django_form.is_valid()
        our_form.is_valid()
    return str(django_form["choice"]), str(our_form["choice"])


FLAT = [("", "Choose…"), ("a", "Alpha"), ("b", "Beta & co"), (3, "Three")]
GROUPED = [
    ("", "None chosen"),
    ("Kazakhstan", [(1, "Legal aid"), (2, "Counselling")]),
    ("Kyrgyzstan", [(3, "Housing")]),
]


@pytest.mark.parametrize(
    ("choices", "initial"),
    [(FLAT, None), (FLAT, "b"), (FLAT, 3), (GROUPED, None), (GROUPED, 2), (GROUPED, "3")],
    ids=["flat", "flat-selected", "flat-number-selected", "groups", "groups-selected", "groups-str"],
)
def test_options_groups_and_selection_are_those_django_draws(choices, initial):
    django_html, our_html = both(
        lambda widget: forms.ChoiceField(choices=choices, required=True, widget=widget),
        initial={"choice": initial} if initial is not None else None,
    )
    assert parsed(our_html) == parsed(django_html)
    assert " required" in our_html  # a placeholder first: the browser may insist on a choice


def test_a_refused_value_is_marked_invalid_and_described_like_django():
    django_html, our_html = both(
        lambda widget: forms.ChoiceField(choices=FLAT, help_text="Pick one.", widget=widget),
        data={"choice": "not-a-choice"},
    )
    assert parsed(our_html) == parsed(django_html)
    assert 'aria-invalid="true"' in our_html and "aria-describedby=" in our_html


def test_hostile_labels_values_and_group_names_are_escaped_as_django_escapes_them():
    hostile_choices = [
        ("", HOSTILE),
        (HOSTILE, HOSTILE),
        (HOSTILE + "group", [(HOSTILE + "1", "<i>label</i>")]),
    ]
    django_html, our_html = both(
        lambda widget: forms.ChoiceField(choices=hostile_choices, required=False, widget=widget),
        data={"choice": HOSTILE},
    )
    assert parsed(our_html) == parsed(django_html)
    assert "<script>" not in our_html and "<i>" not in our_html and "<b>" not in our_html
    assert ("start", "option", (("selected", None), ("value", HOSTILE))) in parsed(our_html)


def test_only_the_first_of_two_equal_values_is_selected_as_in_django():
    choices = [("x", "First"), ("x", "Second")]
    django_html, our_html = both(
        lambda widget: forms.ChoiceField(choices=choices, widget=widget), initial={"choice": "x"}
    )
    assert parsed(our_html) == parsed(django_html)
    assert our_html.count("selected") == 1


def test_a_multiple_select_keeps_every_selected_value():
    class Multiple(Select):
        allow_multiple_selected = True

    choices = [("a", "A"), ("b", "B"), ("c", "C")]
    django_field = forms.MultipleChoiceField(choices=choices, widget=forms.SelectMultiple)
    our_field = forms.MultipleChoiceField(choices=choices, widget=Multiple)
    django_html = django_field.widget.render("m", ["a", "c"], {"id": "id_m"})
    our_html = our_field.widget.render("m", ["a", "c"], {"id": "id_m"})
    assert parsed(our_html) == parsed(django_html)


@pytest.mark.django_db
def test_model_choices_are_drawn_as_django_draws_them(org_a):
    UserFactory(organisation=org_a, role=Role.CASEWORKER, username="o'brien", first_name="<Ann>")
    chosen = UserFactory(organisation=org_a, role=Role.CASEWORKER, username="zed")
    queryset = User.objects.filter(organisation=org_a).order_by("username")
    django_html, our_html = both(
        lambda widget: forms.ModelChoiceField(queryset=queryset, empty_label="Nobody", widget=widget),
        initial={"choice": chosen.pk},
    )
    assert parsed(our_html) == parsed(django_html)
    assert f'<option value="{chosen.pk}" selected>' in our_html
