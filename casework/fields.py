"""A model field for a set of choices (drivers, vulnerabilities, provision targets).

Stored as text of the form ",a,b," so that "has this choice" is one indexed-free LIKE that works the
same on SQLite and PostgreSQL (ArrayField would tie the project to PostgreSQL, JSON containment is not
available on SQLite). In Python the value is a sorted list of choice codes.
"""

from django import forms
from django.core import checks, exceptions
from django.db import models
from django.db.models import Lookup
from django.utils.translation import gettext_lazy as _


class MultipleChoiceField(models.CharField):
    description = _("A set of choices")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if not self.choices:
            errors.append(checks.Error("MultipleChoiceField needs choices.", obj=self))
        return errors

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 500:
            del kwargs["max_length"]
        if kwargs.get("default") is list:
            del kwargs["default"]
        return name, path, args, kwargs

    @staticmethod
    def _split(value) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return sorted({part for part in value.split(",") if part})
        return sorted(set(value))

    def from_db_value(self, value, expression, connection):
        return self._split(value)

    def to_python(self, value):
        return self._split(value)

    def get_prep_value(self, value):
        codes = self._split(value)
        return f",{','.join(codes)}," if codes else ""

    def value_to_string(self, obj):
        return ",".join(self.value_from_object(obj))

    def validate(self, value, model_instance):
        # CharField.validate would compare the whole list with the choices; check each member instead.
        codes = self._split(value)
        valid = {str(key) for key, _label in self.flatchoices}
        for code in codes:
            if code not in valid:
                raise exceptions.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": code}
                )
        if not codes and not self.blank:
            raise exceptions.ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value):
        # MaxLengthValidator applies to the stored text, not the list.
        super().run_validators(self.get_prep_value(value))

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices_form_class": forms.TypedMultipleChoiceField,
            "choices": self.choices,
            "required": not self.blank,
            "label": self.verbose_name,
            "help_text": self.help_text,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        # Django's field machinery passes these for single-choice fields; they do not fit here.
        for key in ("coerce", "empty_value", "max_length"):
            defaults.pop(key, None)
        return forms.TypedMultipleChoiceField(
            **{k: v for k, v in defaults.items() if k not in ("form_class", "choices_form_class")}
        )

    def display(self, value) -> list[str]:
        labels = dict(self.flatchoices)
        return [str(labels.get(code, code)) for code in self._split(value)]


@MultipleChoiceField.register_lookup
class HasChoice(Lookup):
    """`field__has="code"`: the set contains this choice."""

    lookup_name = "has"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        code = str(self.rhs)
        if not code or "," in code:
            # Not one code: "ideology,political" would otherwise match two neighbouring codes.
            raise exceptions.EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = f"%,{connection.ops.prep_for_like_query(code)},%"
        return f"{lhs} {connection.operators['contains'] % '%s'}", [*lhs_params, pattern]
