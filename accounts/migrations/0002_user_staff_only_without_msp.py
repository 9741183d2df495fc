from django.db import migrations, models


def clear_staff_flag_of_msp_users(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(msp__isnull=False, is_staff=True).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunPython(clear_staff_flag_of_msp_users, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_staff", False), ("msp__isnull", True), _connector="OR"),
                name="user_staff_only_without_msp",
                violation_error_message="A user who belongs to an MSP cannot have Django admin access "
                                        "(staff status); only platform admins with no MSP can.",
            ),
        ),
    ]
