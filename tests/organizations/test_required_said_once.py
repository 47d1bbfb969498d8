"""An empty required name is said to be required once (an accessibility audit: the error
summary listed "名称：这个字段是必填项。" twice, and screen readers read it twice), while a
name of invisible characters only is still refused as empty (R3, R4)."""

import pytest
from django.utils import translation

from activities.models import ActivityType
from organizations.forms import OnboardingForm

pytestmark = pytest.mark.django_db

REQUIRED = "这个字段是必填项。"


def name_errors(form):
    with translation.override("zh-hans"):
        form.is_valid()
        return [str(message) for message in form.errors.get("name", [])]


def test_an_empty_name_on_the_onboarding_form_is_required_once():
    assert name_errors(OnboardingForm({"name": "", "category": "other"})) == [REQUIRED]


def test_a_name_of_invisible_characters_is_still_required():
    assert name_errors(OnboardingForm({"name": "\u200b\u2060", "category": "other"})) == [REQUIRED]


def test_an_empty_option_name_is_required_once_in_the_model():
    from django.core.exceptions import ValidationError

    with translation.override("zh-hans"), pytest.raises(ValidationError) as raised:
        ActivityType(name="").full_clean()
    assert len(raised.value.message_dict["name"]) == 1
