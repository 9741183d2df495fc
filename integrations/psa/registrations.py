"""What the PSA integration puts on other apps' pages (registries of opsmerge/registry.py)."""


def register() -> None:
    pass
