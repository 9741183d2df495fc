from django.core.exceptions import ValidationError
from django.db import models

from .validators import subdivision_matches_country, validate_country_code, validate_subdivision_code


class PostalAddress(models.Model):
    """Street address with ISO codes for country (3166-1 alpha-2) and state (3166-2)."""

    street = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=6, blank=True, validators=[validate_subdivision_code],
                             help_text="ISO 3166-2 code, e.g. US-CA or GB-MAN")
    country = models.CharField(max_length=2, blank=True, validators=[validate_country_code],
                               help_text="ISO 3166-1 alpha-2 code, e.g. GB")

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        self.country = self.country.upper()
        self.state = self.state.upper()
        if not subdivision_matches_country(self.state, self.country):
            raise ValidationError({"state": f"{self.state} is not a region of {self.country}."})

    @property
    def address_lines(self) -> list[str]:
        return [part for part in (self.street, " ".join(p for p in (self.postal_code, self.city) if p),
                                  self.state, self.country) if part]
