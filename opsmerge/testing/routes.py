"""Enumerate every URL pattern of the project, for the isolation test."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    namespace: str
    pattern: str
    kwargs: tuple[str, ...]
    converters: dict


def iter_routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", converters=None):
    resolver = resolver or get_resolver()
    converters = dict(converters or {})
    for entry in resolver.url_patterns:
        conv = {**converters, **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if namespace and entry.namespace:
                ns = f"{namespace}:{entry.namespace}"
            yield from iter_routes(entry, prefix + str(entry.pattern), ns, conv)
        elif isinstance(entry, URLPattern):
            if not entry.name:
                continue
            full = f"{namespace}:{entry.name}" if namespace else entry.name
            # re_path() routes (e.g. django-allauth's) name their kwargs as regex groups, not converters
            groups = getattr(getattr(entry.pattern, "regex", None), "groupindex", {})
            kwargs = tuple(dict.fromkeys([*conv.keys(), *groups]))
            yield Route(name=full, namespace=namespace, pattern=prefix + str(entry.pattern),
                        kwargs=kwargs, converters=conv)
