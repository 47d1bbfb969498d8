"""Issue #9 (hardening): simultaneous submissions, reviews and edits leave every activity in
exactly one valid state and lose no edit (R16, R19–R23, R25).

The threaded tests need PostgreSQL: each thread has its own connection and real row locks.
SQLite serialises writers, and pytest's in-memory SQLite shares one cache between threads
with table-level locking, so there the races cannot be reproduced faithfully; the
two-editors test runs on both databases with interleaved requests instead of threads.
tests/workflow/test_concurrency.py covers two moderators calling on_action directly.
"""

import contextlib
import datetime
import re
import threading
from collections import Counter

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection, transaction
from django.test import Client
from django.utils import translation
from wagtail.models import Page, PageLogEntry, Revision, TaskState, WorkflowState

from accounts import roles
from activities.models import ActivityPage
from organizations.models import Organization
from tests import factories
from tests.activities.editor import ADD_URL, EDIT_URL, editor_data, form_fields, open_editor

IS_POSTGRES = connection.vendor == "postgresql"
IN_WINDOW = datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC)

THREADED_MARKS = (
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: parallel writers, row locks"),
    # serialized_rollback: the flush after a transactional test would otherwise empty the
    # migrated regions, organizations and workflows for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
)


def threaded(test):
    for mark in THREADED_MARKS:
        test = mark(test)
    return test


@pytest.fixture(autouse=True)
def campaign_open():
    # tick=True: revisions saved one after another get increasing timestamps, which
    # Wagtail's conflict detection compares.
    with time_machine.travel(IN_WINDOW, tick=True):
        yield


def at_once(jobs, timeout=120):
    """Run each job in its own thread, all released by one barrier; return what each job
    returned, or the exception it raised, in order."""
    barrier = threading.Barrier(len(jobs), timeout=timeout)
    results = [None] * len(jobs)

    def run(position, job):
        try:
            barrier.wait()
            results[position] = job()
        except Exception as error:  # reported by the callers' assertions
            results[position] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def revisions_of(page):
    return Revision.objects.filter(
        base_content_type=page.get_base_content_type(), object_id=str(page.pk)
    )


def workflow_states_of(page):
    return WorkflowState.objects.filter(
        base_content_type=page.get_base_content_type(), object_id=str(page.pk)
    )


# --- (a) twenty submitters at once -------------------------------------------------------


@threaded
def test_twenty_submitters_submitting_at_once():
    """R6, R19: twenty units submit through the editor in the same instant; each activity
    gets its own place in the tree, address, revision, workflow and first step."""
    index = factories.index()
    add_url = ADD_URL.format(index=index.pk)
    channel = factories.channel()
    submitters = [factories.submitter(real_name=f"提交人{n}") for n in range(20)]
    posters = [factories.poster(user) for user in submitters]
    clients = [logged_in(user) for user in submitters]
    # Four units happen to choose the same name: their addresses must still differ.
    titles = [f"并发提交科普活动第{n}场" for n in range(16)] + ["社区科普大讲堂"] * 4

    def submit(n):
        data = editor_data(posters[n], channel, title=titles[n])
        return clients[n].post(add_url, data)

    responses = at_once([lambda n=n: submit(n) for n in range(20)])

    assert [getattr(r, "status_code", r) for r in responses] == [302] * 20, responses
    pages = list(ActivityPage.objects.filter(owner__in=submitters).order_by("pk"))
    assert len(pages) == 20
    assert Counter(page.owner_id for page in pages) == Counter(u.pk for u in submitters)
    assert sorted(page.title for page in pages) == sorted(titles)
    slugs = [page.slug for page in pages]
    assert len(set(slugs)) == 20, slugs
    paths = list(Page.objects.child_of(index).values_list("path", flat=True))
    assert len(paths) == len(set(paths))
    index.refresh_from_db()
    assert index.numchild == Page.objects.child_of(index).count()
    for page in pages:
        states = list(workflow_states_of(page))
        assert [state.status for state in states] == [WorkflowState.STATUS_IN_PROGRESS]
        task_states = list(TaskState.objects.filter(workflow_state=states[0]))
        assert len(task_states) == 1
        assert task_states[0].status == TaskState.STATUS_IN_PROGRESS
        assert task_states[0].task.specific.review_stage == "province"
        revisions = list(revisions_of(page))
        assert len(revisions) == 1
        assert task_states[0].revision_id == revisions[0].pk == page.latest_revision_id
        assert not page.live
        assert page.review_province_id == "440000"


# --- (b) moderators on overlapping steps at once ------------------------------------------


def moderator(role, name, province=None):
    return factories.user(role, province=province, real_name=name, email=f"{name}@example.cn")


def in_review(owner, stage, title):
    """An activity submitted through Wagtail's workflow API, waiting at its first step:
    the province step for a Guangdong association's channel, the national step for a
    national society's."""
    fields = {"title": title}
    if stage == "national":
        fields.update(
            channel_category="national_society",
            channel=Organization.objects.get(name="中国化学会", category="national_society"),
        )
    page = factories.activity(owner=owner, **fields)
    page.save_revision(user=owner)
    page.get_workflow().start(page, owner)
    page = ActivityPage.objects.get(pk=page.pk)
    state = page.current_workflow_state.current_task_state
    assert state.task.specific.review_stage == stage
    return page, state


def action_url(page, action, state):
    return f"/admin/pages/workflow/action/{page.pk}/{action}/{state.pk}/"


def zh(message, **values):
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % values if values else text


ALREADY_DONE = "This review step has already been completed by someone else."
NO_LONGER_YOURS = "No longer awaiting your review."
NOT_IN_REVIEW = "The page '%(page_title)s' is not currently awaiting moderation."
GENERIC_REFUSAL = "Sorry, you do not have permission to access this area."


def shown_errors(response):
    """The error messages on an admin page, read from the HTML: the test client's
    response.context is collected through a global signal, so in threads it can hold
    another thread's page."""
    items = BeautifulSoup(response.content, "html.parser").select("div.messages li.error")
    for item in items:
        for button in item.select("button"):
            button.decompose()
    return [" ".join(item.get_text().split()) for item in items]


def error_messages(client):
    """What the admin shows the user next (the messages of every request so far)."""
    response = client.get("/admin/review/")
    assert response.status_code == 200
    return shown_errors(response)


@threaded
def test_moderators_acting_on_overlapping_steps_at_once():
    """R20–R22, R25: two province and two national moderators work through overlapping
    selections at once, by the review action and by the review desk's bulk action."""
    submitter = factories.submitter(real_name="提交人")
    gd = [moderator(roles.PROVINCE_MODERATORS, f"广东审核员{n}", "440000") for n in "甲乙"]
    nat = [moderator(roles.NATIONAL_MODERATORS, f"全国审核员{n}") for n in "甲乙"]
    province = [in_review(submitter, "province", f"广东并发审核活动第{n}场") for n in range(6)]
    national = [in_review(submitter, "national", f"学会并发审核活动第{n}场") for n in range(6)]
    clients = {user.pk: logged_in(user) for user in gd + nat}
    revisions_before = {page.pk: revisions_of(page).count() for page, _ in province + national}

    def one_by_one(user, items, action):
        """The moderator clicks the action on each activity, in this order."""
        data = {"comment": "请补充活动对象"} if action == "reject" else {"comment": ""}
        return [
            clients[user.pk].post(action_url(page, action, state), data).status_code
            for page, state in items
        ]

    def desk(user, items, action):
        """The moderator ticks these on the review desk and applies one bulk action."""
        data = {"task_states": [state.pk for _page, state in items], "action": action}
        if action == "reject":
            data["comment"] = "请补充联系方式"
        return [clients[user.pk].post("/admin/review/", data).status_code]

    p, n = province, national
    # Both moderators of a stage start on the same step (P0, N0); then their selections
    # overlap from opposite ends (P2, P3 and N2, N3) with opposite or equal actions.
    plans = [
        (gd[0], [(p[0], "approve"), (p[1], "approve"), (p[2], "approve"), (p[3], "approve")]),
        (gd[1], [(p[0], "approve"), (p[3], "reject"), (p[2], "reject"), (p[4], "reject"),
                 (p[5], "reject")]),
        (nat[0], [(n[0], "approve"), (n[1], "approve"), (n[2], "approve"), (n[3], "reject")]),
        (nat[1], [(n[0], "approve"), (n[3], "approve"), (n[2], "reject"), (n[4], "approve"),
                  (n[5], "reject")]),
    ]  # fmt: skip

    def run(user, steps):
        first, rest = steps[0], steps[1:]
        codes = one_by_one(user, [first[0]], first[1])
        if user in (gd[1], nat[1]):
            # The second moderator of each stage works through the review desk.
            for action in ("approve", "reject"):
                items = [item for item, act in rest if act == action]
                if items:
                    codes += desk(user, items, action)
        else:
            for item, action in rest:
                codes += one_by_one(user, [item], action)
        return codes

    results = at_once([lambda plan=plan: run(*plan) for plan in plans])
    for (user, _steps), codes in zip(plans, results, strict=True):
        assert not isinstance(codes, Exception), (user, codes)
        assert set(codes) == {302}, (user, codes)

    planned = Counter()
    won = Counter()
    for user, steps in plans:
        for (_page, state), action in steps:
            planned[user.pk] += 1
            finished = TaskState.objects.get(pk=state.pk)
            expected_status = {"approve": "approved", "reject": "rejected"}[action]
            if finished.finished_by_id == user.pk and finished.status == expected_status:
                won[user.pk] += 1

    everything = province + national
    # Each step was acted on exactly once, by one of the moderators who tried.
    assert sum(won.values()) == len(everything)
    for page, state in everything:
        state = TaskState.objects.get(pk=state.pk)
        assert state.status in {TaskState.STATUS_APPROVED, TaskState.STATUS_REJECTED}
        logged = PageLogEntry.objects.filter(
            page=page, action__in=["wagtail.workflow.approve", "wagtail.workflow.reject"]
        )
        assert logged.count() == 1, (page.title, list(logged.values_list("action", "user")))
        assert revisions_of(page).count() == revisions_before[page.pk]
        workflows = list(workflow_states_of(page))
        assert len(workflows) == 1
        workflow = workflows[0]
        tasks = list(
            TaskState.objects.filter(workflow_state=workflow)
            .order_by("pk")
            .values_list("task__content_type__model", "status")
        )
        page = ActivityPage.objects.get(pk=page.pk)
        stage = state.task.specific.review_stage
        if state.status == TaskState.STATUS_REJECTED:
            assert workflow.status == WorkflowState.STATUS_NEEDS_CHANGES
            assert len(tasks) == 1
            assert not page.live
        elif stage == "province":
            assert workflow.status == WorkflowState.STATUS_IN_PROGRESS
            assert tasks == [
                ("provinceapprovaltask", TaskState.STATUS_APPROVED),
                ("nationalapprovaltask", TaskState.STATUS_IN_PROGRESS),
            ]
            assert not page.live
        else:
            assert workflow.status == WorkflowState.STATUS_APPROVED
            assert tasks == [("nationalapprovaltask", TaskState.STATUS_APPROVED)]
            assert page.live
            assert page.live_revision_id == state.revision_id

    # Every moderator is told about each step a colleague handled first, in words.
    explanations = [zh(ALREADY_DONE), zh(NO_LONGER_YOURS)]
    explanations += [zh(NOT_IN_REVIEW, page_title=page.title) for page, _ in everything]
    shown = {user.pk: error_messages(clients[user.pk]) for user in gd + nat}
    for user in gd + nat:
        assert zh(GENERIC_REFUSAL) not in shown[user.pk]
        assert len(shown[user.pk]) == planned[user.pk] - won[user.pk], (user, shown[user.pk])
        for message in shown[user.pk]:
            assert any(text in message for text in explanations), message
    # P0's step moved on to the national one, so whenever the loser's click arrived, the
    # province task itself refused it.
    p0_loser = gd[1] if TaskState.objects.get(pk=p[0][1].pk).finished_by_id == gd[0].pk else gd[0]
    assert zh(ALREADY_DONE) in shown[p0_loser.pk]


@threaded
def test_publishing_two_activities_at_once_does_not_deadlock_the_search_index(monkeypatch):
    """Publishing indexes the activity in the approval's transaction: the backend upserts
    the entry, then rescales every entry whose title_norm is still 1.0, which includes the
    other transaction's entry when that one's committed norm is 1.0 (a title of average
    length). Found by the test above as a deadlock that aborted one moderator's approval;
    search.backends makes index writes take turns."""
    from modelsearch import index as search_index
    from modelsearch.backends.database.postgres.postgres import PostgresIndex
    from wagtail.search.models import IndexEntry

    pages = [factories.activity(title=f"并发索引活动第{n}场", publish=True) for n in range(2)]
    entries = IndexEntry.objects.filter(object_id__in=[str(page.pk) for page in pages])
    assert entries.count() >= 2
    entries.update(title_norm=1.0)

    # Each transaction upserts its entry, then waits (up to 2 s) for the other to have
    # upserted too before rescaling: the interleaving that deadlocked.
    barrier = threading.Barrier(2, timeout=2)
    rescale = PostgresIndex._refresh_title_norms

    def rescale_after_the_other(self, full=False):
        with contextlib.suppress(threading.BrokenBarrierError):  # it waits for its turn
            barrier.wait()
        return rescale(self, full)

    monkeypatch.setattr(PostgresIndex, "_refresh_title_norms", rescale_after_the_other)

    def reindex(page):
        with transaction.atomic():
            search_index.insert_or_update_object(ActivityPage.objects.get(pk=page.pk))
            return ActivityPage.objects.filter(pk=page.pk).count()

    assert at_once([lambda p=page: reindex(p) for page in pages]) == [1, 1]


# --- the editor as a browser posts it ------------------------------------------------------


def save(client, page, form, action=None, **changes):
    data = {**form, **changes}
    if action:
        data[action] = "1"
    return client.post(EDIT_URL.format(pk=page.pk), data)


def latest(page):
    return ActivityPage.objects.get(pk=page.pk).get_latest_revision()


STALE = (
    "Not saved: %(user)s saved a newer version at %(time)s, after you opened this page. What "
    "you typed is kept below. Open the activity in a new tab to see their version; save again "
    "only if yours should replace it."
)
LOCKED = "The page could not be saved as it is locked."


def is_stale_refusal(message, user=".+"):
    pattern = re.escape(zh(STALE))
    pattern = pattern.replace(re.escape("%(user)s"), user).replace(re.escape("%(time)s"), ".+")
    return re.fullmatch(pattern, message) is not None


# --- (c) the submitter saves while a moderator approves ------------------------------------


@threaded
def test_submitter_saving_while_a_moderator_approves():
    """R22, R23: the submitter's tab was opened before submitting (its form is older than
    the submitted revision) or after (the activity is then locked for review); either way
    the save never changes what the moderator approved, and what was typed comes back."""
    submitter = factories.submitter(real_name="提交人")
    national = moderator(roles.NATIONAL_MODERATORS, "全国审核员")
    reviewer = logged_in(national)
    cases = []
    for n in range(4):
        page = factories.activity(
            owner=submitter,
            title=f"学会边改边审活动第{n}场",
            channel_category="national_society",
            channel=Organization.objects.get(name="中国化学会", category="national_society"),
        )
        tab = logged_in(submitter)
        form = open_editor(tab, page)
        assert save(tab, page, form, "action-submit").status_code == 302
        if n % 2:
            form = open_editor(tab, page)  # else: a second tab opened before submitting
        state = ActivityPage.objects.get(pk=page.pk).current_workflow_state.current_task_state
        assert state.task.specific.review_stage == "national"
        cases.append((page, state, tab, form))

    def edit(page, tab, form, n):
        response = save(tab, page, form, contact_person=f"改过的联系人{n}")
        if response.status_code != 200:
            return response.status_code, []
        assert f"改过的联系人{n}" in response.content.decode()  # what was typed comes back
        return response.status_code, shown_errors(response)

    def approve(page, state):
        return reviewer.post(action_url(page, "approve", state), {"comment": ""}).status_code

    jobs = []
    for n, (page, state, tab, form) in enumerate(cases):
        jobs += [lambda c=(page, tab, form, n): edit(*c), lambda c=(page, state): approve(*c)]
    results = at_once(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results

    outcomes = Counter()
    for n, (page, state, _tab, _form) in enumerate(cases):
        (edit_status, shown), approve_status = results[2 * n], results[2 * n + 1]
        assert approve_status == 302
        page = ActivityPage.objects.get(pk=page.pk)
        # What was approved is exactly what was submitted, and it is live.
        assert page.live
        assert page.live_revision_id == state.revision_id
        assert page.contact_person == "王老师"
        workflow = workflow_states_of(page).get()
        assert workflow.status == WorkflowState.STATUS_APPROVED
        assert TaskState.objects.filter(workflow_state=workflow).count() == 1
        assert (
            PageLogEntry.objects.filter(page=page, action="wagtail.workflow.approve").count() == 1
        )
        if edit_status == 302:
            # Saved after the approval: a new draft of the live activity, not yet public.
            outcomes["saved as a new draft"] += 1
            assert latest(page).as_object().contact_person == f"改过的联系人{n}"
            assert latest(page).pk != page.live_revision_id
            assert page.has_unpublished_changes
        else:
            assert edit_status == 200
            assert len(shown) == 1
            if shown[0] == zh(LOCKED):
                outcomes["refused: in review"] += 1
            else:
                assert is_stale_refusal(shown[0]), shown
                outcomes["refused: form older than the submission"] += 1
            assert latest(page).pk == state.revision_id
    # The old tabs are refused whether they came before or after the approval.
    assert outcomes["refused: form older than the submission"] >= 2, outcomes


# --- (d) two editors on one draft ---------------------------------------------------------


def two_editors_on_a_draft():
    submitter = factories.submitter(real_name="提交人")
    admin = factories.user(None, real_name="平台管理员", is_superuser=True, is_staff=True)
    page = factories.activity(owner=submitter, title="两人同改的草稿")
    return page, logged_in(submitter), logged_in(admin)


@pytest.mark.django_db
@pytest.mark.parametrize("action", [None, "action-submit"], ids=["save-draft", "submit"])
def test_second_editor_of_a_draft_is_warned_and_the_first_editors_text_survives(action):
    """Issue #9: two editors open one draft; the first saves; the second's save (draft or
    submission) is refused with what they typed kept, instead of replacing the first's."""
    page, first, second = two_editors_on_a_draft()
    first_form = open_editor(first, page)
    second_page = second.get(EDIT_URL.format(pk=page.pk))
    second_form = form_fields(second_page.content)
    assert first_form["loaded_revision_id"] == second_form["loaded_revision_id"]

    assert save(first, page, first_form, contact_person="甲编辑的联系人").status_code == 302
    saved = latest(page)
    assert saved.as_object().contact_person == "甲编辑的联系人"

    # The editing session's ping (every 10 s, on even with autosave off) tells the second
    # editor's browser that a newer version exists, so Wagtail's editor can warn on save.
    session = BeautifulSoup(second_page.content, "html.parser").select_one(
        "form.w-editing-sessions"
    )
    ping = second.post(
        session["data-w-swap-src-value"],
        {
            "revision_id": session.select_one("[name=revision_id]")["value"],
            "revision_created_at": session.select_one("[name=revision_created_at]")["value"],
            "is_editing": "1",
        },
    )
    assert ping.status_code == 200
    assert [other["revision_id"] for other in ping.json()["other_sessions"]] == [saved.pk]

    # Without JavaScript, or before the next ping, the second save reaches the server.
    refused = save(second, page, second_form, action, scientists="乙编辑的科学家")
    assert refused.status_code == 200
    [message] = shown_errors(refused)
    assert is_stale_refusal(message, user="提交人"), message
    assert "乙编辑的科学家" in refused.content.decode()  # kept for the second editor
    assert latest(page).pk == saved.pk
    assert revisions_of(page).count() == 2
    assert not workflow_states_of(page).exists()

    # The refusal page carries the newest version's id: saving again is deliberate.
    again = save(second, page, form_fields(refused.content), action)
    assert again.status_code == 302
    assert latest(page).as_object().scientists == "乙编辑的科学家"
    assert revisions_of(page).count() == 3  # the first editor's version stays in history
    assert workflow_states_of(page).count() == (1 if action else 0)


@threaded
def test_two_editors_saving_a_draft_at_the_same_instant():
    """Issue #9: the same in the same instant: exactly one save wins, the other is refused
    (the activity's row lock makes the check and the save one step)."""
    page, first, second = two_editors_on_a_draft()
    for round_ in range(2):
        forms = [open_editor(first, page), open_editor(second, page)]
        before = revisions_of(page).count()
        texts = [f"甲第{round_}次的联系人", f"乙第{round_}次的联系人"]
        results = at_once(
            [
                lambda c=client, f=form, t=text: save(c, page, f, contact_person=t)
                for client, form, text in zip((first, second), forms, texts, strict=True)
            ]
        )
        assert sorted(r.status_code for r in results) == [200, 302], results
        winner = next(n for n, r in enumerate(results) if r.status_code == 302)
        loser = results[1 - winner]
        [message] = shown_errors(loser)
        assert is_stale_refusal(message), message
        assert texts[1 - winner] in loser.content.decode()
        assert revisions_of(page).count() == before + 1
        assert latest(page).as_object().contact_person == texts[winner]
