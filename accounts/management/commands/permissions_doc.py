from django.core.management.base import BaseCommand, CommandError

from accounts.permissions_doc import DOC_PATH, document_with_matrix


class Command(BaseCommand):
    help = "Rewrite the permission table in docs/permissions.md from accounts.permissions.MATRIX."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if the document is out of date")

    def handle(self, *args, check=False, **options):
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        wanted = document_with_matrix(current)
        if check:
            if wanted != current:
                raise CommandError(f"{DOC_PATH} is out of date: run python manage.py permissions_doc")
            self.stdout.write("docs/permissions.md matches the permission matrix.")
            return
        DOC_PATH.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"Wrote {DOC_PATH}")
