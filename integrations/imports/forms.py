from django import forms
from django.conf import settings

from .columns import KIND_CHOICES, columns_for
from .models import ImportJob


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="What the file holds")
    mode = forms.ChoiceField(choices=ImportJob.Mode.choices, initial=ImportJob.Mode.CREATE_UPDATE,
                             label="Rows that match an existing record")
    file = forms.FileField(label="CSV or Excel (.xlsx) file",
                           help_text="UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab separated.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.IMPORT_MAX_BYTES // (1024 * 1024)} MB.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class MappingForm(forms.Form):
    """One select per column of the file: which OpsMerge field it fills."""

    mode = forms.ChoiceField(choices=ImportJob.Mode.choices)

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", "— ignore this column —")] + [
            (c.key, c.header + (" *" if c.required else "")) for c in columns_for(job.kind, job.msp)]
        self.fields["mode"].initial = job.mode
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(choices=choices, required=False, label=header or f"Column {index + 1}",
                                                  initial=job.mapping.get(str(index), ""))
            self.columns.append((header, self[name]))

    def mapping(self) -> dict[int, str]:
        return {i: self.cleaned_data.get(f"col_{i}") or "" for i in range(len(self.job.headers))}
