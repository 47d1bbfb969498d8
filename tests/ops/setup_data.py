"""Data for the operations tests, run inside a configured Django process by
conftest.demo_site: activities waiting for review, and the public pages rendered once so
that the poster renditions exist before any load is measured."""


def create_pending(count):
    from accounts.models import User
    from tests import factories

    owner = User.objects.get(phone="13800000001")  # the demo submitter of 广州市科协
    for number in range(count):
        page = factories.activity(owner=owner, title=f"科普日运维演练活动{number:02d}")
        page.get_workflow().start(page, owner)


def render_public_pages():
    from django.test import Client

    from activities.models import ActivityPage

    client = Client()
    paths = ["/", "/activities/", "/activities/?page=2", "/activities/?sort=newest"]
    # The detail pages the load requests (test_two_instances.Site.live_details).
    paths += [page.url for page in ActivityPage.objects.live().order_by("id")[:4]]
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")


if __name__ == "__main__":
    import sys

    import django

    django.setup()
    if sys.argv[1] == "pending":
        create_pending(int(sys.argv[2]))
    else:
        render_public_pages()
