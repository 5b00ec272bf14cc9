"""The case list's "assigned caseworker" filter: a box with the colleagues as suggestions.

Typed or picked, a username filters the list; the ids and "null" of the addresses made before (the
dashboard's link to the unassigned cases, bookmarks) still work and show the username in the box; a
name that is no colleague is refused on the field, and the suggestions never name another
organisation's staff. The suggestions and the check take one query together, however many colleagues.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.choices import Role
from casework.models import AuditEvent
from tests.factories import CaseFactory, UserFactory

LIST = reverse("casework:case-list")


def references(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/cases/([A-Z0-9]{4}-[A-Z0-9]{4})/">', html)


def page(client, user, **params) -> str:
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return response.content.decode()


def box(html: str) -> str:
    return re.search(r'<input type="text" name="caseworker"[^>]*>', html).group(0)


@pytest.fixture
def cases(org_a, caseworker_a, colleague_a):
    return {
        "alice": CaseFactory(organisation=org_a, assigned_to=caseworker_a),
        "carol": CaseFactory(organisation=org_a, assigned_to=colleague_a),
        "nobody": CaseFactory(organisation=org_a, assigned_to=None),
    }


def test_a_username_typed_in_the_box_filters_the_list(client, cases, supervisor_a, colleague_a):
    html = page(client, supervisor_a, caseworker=colleague_a.username)
    assert references(html) == [cases["carol"].reference]
    assert f'value="{colleague_a.username}"' in box(html)


def test_spaces_around_a_username_are_ignored(client, cases, supervisor_a, colleague_a):
    html = page(client, supervisor_a, caseworker=f"  {colleague_a.username} ")
    assert references(html) == [cases["carol"].reference]


def test_an_address_with_an_id_still_works_and_shows_the_username(client, cases, supervisor_a, colleague_a):
    html = page(client, supervisor_a, caseworker=colleague_a.pk)
    assert references(html) == [cases["carol"].reference]
    assert f'value="{colleague_a.username}"' in box(html)


def test_null_lists_the_unassigned_cases_and_is_suggested_as_nobody(client, cases, supervisor_a):
    html = page(client, supervisor_a, caseworker="null")
    assert references(html) == [cases["nobody"].reference]
    assert '<option value="null">Nobody (unassigned)</option>' in html


def test_the_box_is_labelled_and_tied_to_its_suggestions(client, cases, supervisor_a):
    html = page(client, supervisor_a)
    field = box(html)
    assert 'id="id_caseworker"' in field and 'list="id_caseworker_options"' in field
    assert '<label for="id_caseworker">Assigned caseworker</label>' in html
    assert '<datalist id="id_caseworker_options">' in html


def test_a_name_that_is_no_colleague_is_refused_on_the_field_and_kept_in_the_box(
    client, cases, supervisor_a, caseworker_b
):
    for typed in ("nobody-here", caseworker_b.username, str(caseworker_b.pk)):
        html = page(client, supervisor_a, caseworker=typed)
        assert 'href="#id_caseworker">Assigned caseworker: Select a valid choice' in html
        assert f'value="{typed}"' in box(html) and 'aria-invalid="true"' in box(html)
        assert cases["alice"].reference in html  # the other filters still apply; this one is ignored
        event = AuditEvent.objects.filter(action="view").latest("pk")
        assert event.details["filters"] == {"invalid": ["caseworker"]}
        assert typed not in str(event.details)


def test_inactive_colleagues_are_suggested_and_marked(client, org_a, supervisor_a):
    UserFactory(organisation=org_a, role=Role.CASEWORKER, username="gone", is_active=False)
    UserFactory(organisation=org_a, role=Role.CASEWORKER, username="ann", first_name="Ann", last_name="Lee")
    html = page(client, supervisor_a)
    assert '<option value="gone">gone (inactive)</option>' in html
    assert '<option value="ann">Ann Lee</option>' in html


def test_a_hostile_name_is_escaped_in_the_box_and_the_suggestions(client, org_a, supervisor_a):
    UserFactory(organisation=org_a, role=Role.CASEWORKER, username="x", first_name='"><script>x</script>')
    html = page(client, supervisor_a, caseworker='"><script>y</script>')
    assert "<script>x</script>" not in html and "<script>y</script>" not in html
    assert "&quot;&gt;&lt;script&gt;x&lt;/script&gt;" in html


def test_the_suggestions_and_the_check_take_the_same_queries_for_3_or_60_colleagues(
    client, org_a, supervisor_a, colleague_a, django_assert_max_num_queries
):
    def queries() -> int:
        client.force_login(supervisor_a)
        with CaptureQueriesContext(connection) as captured:
            client.get(LIST, {"caseworker": colleague_a.username})
        return len(captured)

    few = queries()
    for _ in range(57):
        UserFactory(organisation=org_a, role=Role.CASEWORKER)
    assert queries() == few
    with django_assert_max_num_queries(12):
        client.get(LIST, {"caseworker": colleague_a.username})
