"""What goes into an event's details: structured values old → new, free text only as "changed"."""

from casework import audit
from casework.models import CaseNote, LegalProceeding, Referral


def test_a_referral_outcome_choice_is_recorded_but_a_proceeding_outcome_text_is_not():
    referral = audit.changes({"outcome": ""}, {"outcome": "goals_met"}, Referral)
    proceeding = audit.changes({"outcome": "old words"}, {"outcome": "new words"}, LegalProceeding)

    assert referral == {"outcome": {"old": "", "new": "goals_met"}}
    assert proceeding == {"outcome": "changed"}


def test_a_note_text_change_never_copies_the_text():
    details = audit.changes(
        {"text": "secret one", "restricted": False}, {"text": "secret two", "restricted": True}, CaseNote
    )

    assert details == {"text": "changed", "restricted": {"old": False, "new": True}}
    assert "secret" not in str(details)


def test_unchanged_fields_are_left_out():
    assert audit.changes({"status": "active"}, {"status": "active"}, Referral) == {}
