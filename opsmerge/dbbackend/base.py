"""Django's PostgreSQL backend with one difference: an MSP-owned table's real primary
key is (msp_id, id) (opsmerge.schema), so `GROUP BY <table>.id` no longer lets
PostgreSQL infer the other columns. Django then groups by every selected column of
such a model instead of its id alone."""

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model):
        from opsmerge.tenancy import MspOwnedModel

        if issubclass(model, MspOwnedModel):
            return False
        return super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
