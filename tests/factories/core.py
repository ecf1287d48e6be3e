import factory
from django.contrib.auth.models import Group

from grocery.models import PartnerOrganisation, Site, User


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Épicerie {n}")
    code = factory.Sequence(lambda n: f"site{n}")
    city = "Caen"
    postcode = "14000"
    address = "1 rue de la Paix"
    opening_hours = "mardi et jeudi 9h-12h"


class PartnerOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Association {n}")
    kind = PartnerOrganisation.Kind.CHARITY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Camille"
    last_name = "Martin"
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-demo")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                # get_or_create: a transactional test's flush removes the migration's groups.
                self.groups.add(Group.objects.get_or_create(name=str(role))[0])
        if create:
            self.save()
