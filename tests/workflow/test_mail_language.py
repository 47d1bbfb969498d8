"""Mails and stored comments in the right language (R22, R24, R34): recipients who chose no
language read Chinese whoever acted, one who chose English reads English, rejection reasons
are stored in Chinese, and the take-down mail is plain text as typed."""

import pytest
from django.core import mail
from django.utils import translation

from tests import factories
from workflow.takedown import restore, take_down

from .conftest import current_task_state, mails_to, prefers, submit

pytestmark = pytest.mark.django_db


def test_r24_a_moderator_in_english_mails_a_chinese_submitter_in_chinese(people):
    page = factories.activity(owner=people["submitter"], title="语言测试活动")
    prefers(people["guangdong"], "en")
    with translation.override("en"):  # the request of a submitter browsing in English
        submit(page, people["submitter"])
    [to_moderator] = mails_to(people["guangdong"])
    assert to_moderator.subject == 'Activity "语言测试活动" awaits your review (Province review)'
    mail.outbox.clear()
    prefers(people["guangdong"], "")
    state = current_task_state(page)
    with translation.override("en"):  # the moderator's English admin
        state.task.specific.on_action(
            state, people["guangdong"], "reject", comment="请补充地点", reasons=["poster"]
        )
    [to_submitter] = mails_to(people["submitter"])
    assert "rejected" not in to_submitter.subject.lower()
    assert "宣传图" in to_submitter.body and "请补充地点" in to_submitter.body
    state.refresh_from_db()
    assert state.comment.startswith("【宣传图") and "poster" not in state.comment


def test_r24_the_take_down_mail_is_plain_text_in_the_owners_language(people):
    page = factories.activity(
        owner=people["submitter"], publish=True, title='广州"机器人" & <科普>日'
    )
    take_down(page, people["national"], '含"商业推广" & <广告> 内容')
    [message] = mails_to(people["submitter"])
    assert '广州"机器人" & <科普>日' in message.subject
    assert '含"商业推广" & <广告> 内容' in message.body and "&quot;" not in message.body
    mail.outbox.clear()
    prefers(people["submitter"], "en")
    restore(page, people["national"])
    [message] = mails_to(people["submitter"])
    assert "listed again" in message.subject
