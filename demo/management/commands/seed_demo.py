"""`python manage.py seed_demo`: two demo MSPs with staff of every role and ~50
realistic clients (see demo/seed.py). Safe to re-run: nothing is duplicated."""

from django.core.management.base import BaseCommand

from demo.seed import DemoSeeder
from opsmerge.demo import DEMO_PASSWORD, PLATFORM_ADMIN_EMAIL, demo_sign_ins


class Command(BaseCommand):
    help = "Create the demo MSPs, staff sign-ins and clients (idempotent)."

    def handle(self, *args, **options):
        created = DemoSeeder(log=self.stdout.write).seed()
        if created:
            self.stdout.write("Created: " + ", ".join(f"{n} {what}" for what, n in created.items()))
        else:
            self.stdout.write("Demo data already present; nothing to do.")
        self.stdout.write(f"Demo sign-ins (password: {DEMO_PASSWORD}):")
        for msp, role, email in demo_sign_ins():
            self.stdout.write(f"  {email:34} {role:17} {msp}")
        self.stdout.write(f"  {PLATFORM_ADMIN_EMAIL:34} platform admin (Django admin only)")
