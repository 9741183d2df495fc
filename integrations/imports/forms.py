from django import forms
from django.conf import settings

from .columns import KIND_CHOICES, columns_for
from .formats import FORMATS, formats_for
from .models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="What the file holds")
    mode = forms.ChoiceField(choices=ImportJob.Mode.choices, initial=ImportJob.Mode.CREATE_UPDATE,
                             label="Rows that match an existing record")
    file = forms.FileField(label="CSV, Excel (.xlsx) or vCard (.vcf) file",
                           help_text="UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab separated. Exports of "
                                     "Outlook, Google Contacts, Microsoft 365, ConnectWise, Autotask and HaloPSA "
                                     "are recognised.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class ClientContactsUploadForm(forms.Form):
    """Client → Contacts → Import: the client is the page's; only the file and the mode."""

    mode = forms.ChoiceField(choices=ImportJob.Mode.choices, initial=ImportJob.Mode.CREATE_UPDATE,
                             label="Contacts already at this client (same email)")
    file = forms.FileField(label="Contacts file",
                           help_text="CSV or Excel from Outlook, Google Contacts, the Microsoft 365 admin center, "
                                     "ConnectWise, Autotask or HaloPSA, a vCard (.vcf) file, or any CSV with a "
                                     "header row.")
    clean_file = UploadForm.clean_file


class MappingForm(forms.Form):
    """One select per column of the file: which OpsMerge field it fills, and the
    recognised export format whose rules apply."""

    mode = forms.ChoiceField(choices=ImportJob.Mode.choices)
    source_format = forms.ChoiceField(required=False, label="File format")

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        self.export_format = FORMATS.get(job.source_format)
        self.fields["source_format"].choices = [("", "Generic CSV / Excel (map every column yourself)")] + [
            (f.key, f.label) for f in formats_for(job.kind)]
        self.fields["source_format"].initial = job.source_format
        into_client = job.client_id is not None
        choices = [("", "— ignore this column —")] + [
            (c.key, c.header + (" *" if c.required and not (self.export_format and c.key in
                                                             self.export_format.supplies) else ""))
            for c in columns_for(job.kind, job.msp, into_client=into_client)]
        self.fields["mode"].initial = job.mode
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(choices=choices, required=False, label=header or f"Column {index + 1}",
                                                  initial=job.mapping.get(str(index), ""))
            self.columns.append((header, self[name]))

    @property
    def mapped_columns(self):
        """With a recognised export, the columns it maps (the others are folded away)."""
        if not self.export_format:
            return self.columns
        return [(h, f) for h, f in self.columns if f.value()]

    @property
    def ignored_columns(self):
        return [(h, f) for h, f in self.columns if not f.value()] if self.export_format else []

    def mapping(self) -> dict[int, str]:
        return {i: self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.job.headers))}
