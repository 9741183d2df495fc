"""Password hashing: scrypt (memory-hard), with its cost from settings.

Django's PBKDF2 default (1,000,000 SHA-256 rounds) costs ~300-900 ms of CPU per
sign-in on a small server and is cheap for GPU attackers; scrypt at N=2**14, r=8
(16 MiB per hash) costs ~40-60 ms and is memory-hard. PASSWORD_SCRYPT_PARALLELISM
raises the cost on faster hardware (p=5 matches OWASP's N=2**17 equivalent).
Argon2id would be preferred; it needs argon2-cffi (docs/decisions/0710).
Existing PBKDF2 hashes still verify and are re-hashed with scrypt at the next sign-in.
"""

from django.conf import settings
from django.contrib.auth.hashers import ScryptPasswordHasher as DjangoScryptPasswordHasher


class ScryptPasswordHasher(DjangoScryptPasswordHasher):
    work_factor = 2 ** getattr(settings, "PASSWORD_SCRYPT_LOG2_N", 14)
    block_size = getattr(settings, "PASSWORD_SCRYPT_BLOCK_SIZE", 8)
    parallelism = getattr(settings, "PASSWORD_SCRYPT_PARALLELISM", 1)
