from django.db import migrations

from beneficiaries import dbconstraints


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0001_initial")]

    operations = [migrations.RunPython(dbconstraints.install, dbconstraints.uninstall)]
