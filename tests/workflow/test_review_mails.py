"""What the review mails say (R22, R24, R34): they speak of the activity and its review
step in the reader's language, never of "the page" or the workflow's stored name; an
approval passes on what each reviewer wrote; a request for changes gives the step, the
reason and where to correct it; a moderator's mail says where to review."""

import pytest
from django.core import mail

from tests import factories

from .conftest import current_task_state, mails_to, prefers, submit

pytestmark = pytest.mark.django_db


def act(page, user, action, comment=""):
    state = current_task_state(page)
    extra = {"reasons": ["poster"]} if action == "reject" else {}
    state.task.specific.on_action(state, user, action, comment=comment, **extra)


def test_r24_the_moderator_mail_names_the_step_and_the_desk(people):
    page = factories.activity(owner=people["submitter"], title="广州机器人科普日")
    submit(page, people["submitter"])
    [message] = mails_to(people["guangdong"])
    assert message.subject == "活动“广州机器人科普日”等待您审核（省级审核）"
    assert "/admin/review/" in message.body and "/workflow/preview/" in message.body
    assert "页面" not in message.subject + message.body
    assert str(page.channel) in message.body


def test_r24_the_approval_mail_passes_on_each_reviewers_comment(people):
    page = factories.activity(owner=people["submitter"], title="广州机器人科普日")
    submit(page, people["submitter"])
    act(page, people["guangdong"], "approve", "建议增加线上直播")
    mail.outbox.clear()
    act(page, people["national"], "approve", "请在活动后提交总结")
    [message] = mails_to(people["submitter"])
    assert message.subject == "您的活动“广州机器人科普日”已通过审核"
    assert "省级审核: 建议增加线上直播" in message.body
    assert "全国审核: 请在活动后提交总结" in message.body
    page.refresh_from_db()
    assert page.live and page.full_url in message.body
    assert "页面" not in message.subject + message.body
    assert "工作流" not in message.body


def test_r24_an_approval_without_comments_says_only_that_it_passed(people):
    page = factories.activity(owner=people["submitter"], title="无意见活动")
    submit(page, people["submitter"])
    act(page, people["guangdong"], "approve")
    act(page, people["national"], "approve")
    [message] = mails_to(people["submitter"])
    assert "审核意见" not in message.body and "已通过审核" in message.body


def test_r22_the_rejection_mail_gives_step_reason_and_edit_link(people):
    page = factories.activity(owner=people["submitter"], title='含<特殊>&"字符"的活动')
    submit(page, people["submitter"])
    act(page, people["guangdong"], "reject", "请补充活动地点")
    [message] = mails_to(people["submitter"])
    assert message.subject == '您的活动“含<特殊>&"字符"的活动”需要修改'
    assert "在“省级审核”环节被退回修改" in message.body
    assert "请补充活动地点" in message.body and "&lt;" not in message.body
    assert f"/admin/pages/{page.pk}/edit/" in message.body


def test_r34_a_submitter_who_chose_english_reads_english_step_names(people):
    prefers(people["submitter"], "en")
    page = factories.activity(owner=people["submitter"], title="英文读者的活动")
    submit(page, people["submitter"])
    act(page, people["guangdong"], "reject", "请补充活动地点")
    [message] = mails_to(people["submitter"])
    assert message.subject == 'Your activity "英文读者的活动" needs changes'
    assert 'at the step "Province review"' in message.body
    assert "省级审核" not in message.body and "the page" not in message.body.lower()
