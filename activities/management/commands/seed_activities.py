import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from activities import bulk_seed

# treebeard's own find_problems() asks two queries per page; above this many pages the
# equivalent set-based check runs instead unless --check treebeard asks for it.
TREEBEARD_CHECK_LIMIT = 20_000


class Command(BaseCommand):
    help = (
        "Generate N approved, live activities with bulk SQL for scale tests (issue #8): "
        "page tree, revisions, units, reference and search index entries. --pending K also "
        "creates K activities waiting at the province stage and K at the national stage. "
        "Running it again appends."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--count", type=int, required=True, help="approved, live activities to create"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed: same seed, same data"
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=None,
            help="activities per transaction (default 5000 on PostgreSQL, 2000 on SQLite)",
        )
        parser.add_argument(
            "--pending",
            type=int,
            default=0,
            help="activities waiting at each review stage (province and national)",
        )
        parser.add_argument(
            "--check",
            choices=["auto", "treebeard", "sql"],
            default="auto",
            help=(
                "tree check afterwards: treebeard's Page.find_problems(), its set-based SQL "
                f"equivalent, or treebeard up to {TREEBEARD_CHECK_LIMIT:,} pages (auto)"
            ),
        )

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", settings.DEBUG):
            raise CommandError(
                "Generated activities are demo data; seeding is refused unless DEBUG or "
                "DEMO_DATA_ALLOWED is on."
            )
        started = time.monotonic()
        try:
            plan = bulk_seed.prepare(
                count=options["count"],
                pending=options["pending"],
                seed=options["seed"],
                batch=options["batch"],
                log=self.stdout.write,
            )
        except bulk_seed.SeedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Seeding {plan.count:,} approved activities"
            + (f" and {2 * plan.pending:,} pending review" if plan.pending else "")
            + f" under {plan.index_url_path} ({plan.vendor}, batches of {plan.batch:,}, "
            f"seed {plan.seed})"
        )
        writing = time.monotonic()
        try:
            stats = bulk_seed.run(plan, bulk_seed.Progress(self.stderr, plan.total))
        except bulk_seed.SeedError as error:
            raise CommandError(str(error)) from error
        written = stats.written
        elapsed_writing = time.monotonic() - writing
        self.stdout.write(
            f"Generated and wrote in {elapsed_writing:.1f} s: the database statements took "
            f"{stats.writing:.1f} s, waiting for generated batches {stats.waiting:.1f} s, "
            f"the generating process used {stats.worker_cpu:.1f} s of CPU."
        )

        checking = time.monotonic()
        problems = bulk_seed.tree_problems()
        checked_with = "set-based SQL"
        from wagtail.models import Page

        pages = Page.objects.count()
        if options["check"] == "treebeard" or (
            options["check"] == "auto" and pages <= TREEBEARD_CHECK_LIMIT
        ):
            names = ("evil_chars", "bad_steplen", "orphans", "wrong_depth", "wrong_numchild")
            for name, found in zip(names, Page.find_problems(), strict=True):
                problems[name] = sorted(set(problems[name]) | set(found))
            checked_with += " and treebeard's Page.find_problems()"
        counts = bulk_seed.seeded_counts(plan)
        dangling = bulk_seed.dangling_references(plan)
        elapsed_checking = time.monotonic() - checking
        if any(problems.values()):
            raise CommandError(f"The page tree has problems: {problems}")
        if dangling:
            raise CommandError(f"Rows point at missing objects (table.column: rows): {dangling}")
        expected = {
            "pages": plan.total,
            "live": plan.count,
            "activities": plan.total,
            "revisions": plan.total,
            "search entries": plan.total,
            "pending workflows": 2 * plan.pending,
        }
        wrong = {name: (counts[name], number) for name, number in expected.items()}
        wrong = {name: pair for name, pair in wrong.items() if pair[0] != pair[1]}
        if wrong:
            raise CommandError(f"Counts differ from the plan (found, expected): {wrong}")

        if bulk_seed.invalidate_site_caches():
            cache_note = "page cache invalidated"
        else:
            cache_note = "no page cache to invalidate"
        total = time.monotonic() - started
        self.stdout.write(
            f"Tree check ({checked_with}) over {pages:,} pages and foreign key check of the "
            f"new rows{' (loaded without constraint triggers)' if stats.triggers_skipped else ''}"
            f": no problems ({elapsed_checking:.1f} s)."
        )
        self.stdout.write(
            "Rows for this run: " + ", ".join(f"{name} {value:,}" for name, value in counts.items())
        )
        size = bulk_seed.database_size()
        self.stdout.write(
            self.style.SUCCESS(
                f"{written:,} activities in {total:.1f} s ({written / max(total, 1e-6):,.0f}/s "
                f"overall, {written / max(elapsed_writing, 1e-6):,.0f}/s writing); "
                f"database {size / 2**30:.2f} GiB; {cache_note}."
            )
        )
