"""Tenancy: every MSP-owned row carries `msp` on its own table, and every query on
such a model fails closed unless an MSP scope is active.

Layers (see ARCHITECTURE.md): the scoped manager raises without a scope; middleware
and the Celery task base open the scope; selectors/services still filter by msp;
lookups by id go through `msp_get_or_404`, which answers the same for "missing" and
"not yours".
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core import exceptions
from django.db import models
from django.db.models.lookups import Exact
from django.http import Http404
from django_scopes import ScopedManager, ScopeError, get_scope, scope, scopes_disabled

log = logging.getLogger("opsmerge.tenancy")

__all__ = [
    "MspOwnedModel",
    "MspQuerySet",
    "ScopeError",
    "TenantForeignKey",
    "current_msp",
    "msp_get_or_404",
    "msp_manager",
    "msp_scope",
    "tenant_model",
    "unscoped",
]


def tenant_model() -> type[models.Model]:
    """The MSP model (settings.OPSMERGE_TENANT_MODEL), as get_user_model() is for users."""
    return apps.get_model(settings.OPSMERGE_TENANT_MODEL)


class MspQuerySet(models.QuerySet):
    """The queryset of MSP-owned models."""

    def delete(self):
        # Django's deletion collector finds related rows and deletes by id lists,
        # without the MSP: on Citus that reaches every node. Deletes are rare and
        # bounded by the ids collected here, so they are an allowed exception.
        from .citus import multi_shard_allowed

        with multi_shard_allowed("deletion: Django's collector works by id"):
            return super().delete()


def msp_manager(queryset_class: type[models.QuerySet] = MspQuerySet):
    """A manager that filters by the active MSP scope and raises when none is open."""
    if not issubclass(queryset_class, MspQuerySet):
        raise TypeError(f"{queryset_class.__name__} must subclass opsmerge.tenancy.MspQuerySet")
    return ScopedManager(_manager_class=models.Manager.from_queryset(queryset_class), msp="msp")


class MspOwnedModel(models.Model):
    """Base for every table that belongs to one MSP (the tenant).

    `msp` is NOT NULL, not editable through forms, and PROTECTed: removing an MSP is
    a deliberate offboarding job, never a side effect of a click in the admin.
    """

    msp = models.ForeignKey(settings.OPSMERGE_TENANT_MODEL, on_delete=models.PROTECT, editable=False, related_name="+")

    objects = msp_manager()

    class Meta:
        abstract = True

    # save() and refresh_from_db() look the row up by (msp_id, id), the table's real
    # key (opsmerge.schema), so they reach one shard on Citus; msp never changes.
    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        values = [value for value in values if value[0].attname != "msp_id"]
        return super()._do_update(base_qs.filter(msp_id=self.msp_id), using, pk_val, values, update_fields,
                                  forced_update)

    def delete(self, using=None, keep_parents=False):
        from .citus import multi_shard_allowed

        with multi_shard_allowed("deletion: Django's collector works by id"):
            return super().delete(using=using, keep_parents=keep_parents)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        msp_id = self.__dict__.get("msp_id")  # not self.msp_id: a deferred msp_id is loaded through here
        if from_queryset is None and msp_id is not None:
            from_queryset = type(self)._base_manager.filter(msp_id=msp_id)
        return super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)


class TenantForeignKey(models.ForeignKey):
    """A foreign key from one MSP-owned model to another; every such link uses it.

    - In the database the reference is the pair: `(msp_id, <fk>_id) → target(msp_id,
      id)`, so PostgreSQL itself refuses a row of one MSP pointing at another MSP's
      row. Django does not manage that constraint (`db_constraint=False`: it would
      create `<fk>_id → target(id)`, which needs `id` alone to be unique); the schema
      reconciler (opsmerge.schema, after every migrate) does.
    - Every join through it also matches `msp_id` (`a.client_id = b.id AND a.msp_id =
      b.msp_id`), and `contact.client` looks the client up by (msp_id, id), so a query
      touches one MSP's rows only and a sharded database (Citus, by msp_id) can send
      it to one node.

    `tenant_constraint=False` keeps the join condition without the database
    constraint (e.g. the audit log, whose rows outlive the client they name)."""

    def __init__(self, *args, tenant_constraint: bool = True, **kwargs):
        kwargs["db_constraint"] = False
        self.tenant_constraint = tenant_constraint
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        if not self.tenant_constraint:
            kwargs["tenant_constraint"] = False
        return name, path, args, kwargs

    def get_extra_descriptor_filter(self, instance):
        # `contact.client` fetches the client of the contact's MSP only
        return {"msp_id": instance.msp_id}

    def validate(self, value, model_instance):
        # full_clean()'s "does the target exist" check, within the row's own MSP: a
        # target of another MSP is "does not exist", as it is for every other reader
        msp_id = model_instance.__dict__.get("msp_id") if model_instance is not None else None
        if msp_id is None:  # a new row a form validates before the service sets its MSP
            msp_id = getattr(current_msp(), "pk", None)
        if msp_id is None:
            return super().validate(value, model_instance)
        models.Field.validate(self, value, model_instance)  # choices, null, blank
        if value is None:
            return None
        qs = self.remote_field.model._base_manager.filter(msp_id=msp_id, **{self.remote_field.field_name: value})
        if not qs.complex_filter(self.get_limit_choices_to()).exists():
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid",
                params={"model": self.remote_field.model._meta.verbose_name, "pk": value,
                        "field": self.remote_field.field_name, "value": value})
        return None

    def get_extra_restriction(self, alias, related_alias):
        # alias: the target's table (e.g. clients_client), related_alias: this
        # model's. Django passes None for one side when it trims a join out of a
        # subquery; there is then nothing to pair.
        if alias is None or related_alias is None:
            return None
        target_msp = self.related_model._meta.get_field("msp")
        own_msp = self.model._meta.get_field("msp")
        return Exact(target_msp.get_col(alias), own_msp.get_col(related_alias))


@contextmanager
def msp_scope(msp):
    """Open the tenant scope for `msp` (an Msp instance). Never accepts None: a None
    scope would silently mean "no filter" in django-scopes."""
    if msp is None or getattr(msp, "pk", None) is None:
        raise ValueError("msp_scope needs a saved Msp")
    with scope(msp=msp):
        yield msp


@contextmanager
def unscoped(reason: str):
    """Explicit, logged escape hatch for the Django admin, migrations, platform
    commands and benchmarks. Always give a reason; it is logged. Queries in it may
    look across MSPs, so on Citus they may reach every node (opsmerge.citus)."""
    if not reason:
        raise ValueError("unscoped() needs a reason")
    from .citus import multi_shard_allowed

    log.info("unscoped access: %s", reason)
    with scopes_disabled(), multi_shard_allowed(f"unscoped: {reason}"):
        yield


def current_msp():
    """The Msp of the active scope, or None."""
    value = get_scope().get("msp")
    return value if getattr(value, "pk", None) else None


def msp_get_or_404(queryset, *, msp, **lookup):
    """Fetch one row of `msp` or raise Http404 — the same answer for a missing row and
    for another MSP's row, so ids cannot be probed."""
    if msp is None:
        raise Http404
    try:
        return queryset.filter(msp=msp).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
