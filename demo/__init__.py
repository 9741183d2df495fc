"""The demo data of `make run` (`python manage.py seed_demo`): the composition root
above every app, so it may use them all. The sign-ins themselves live in
opsmerge.demo, free of Django imports, so the dev runner can print them."""
