from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import SKU, Category, Supplier, Warehouse


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")
    timezone = "UTC"


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.replace(' ', '').lower()}@example.com")
    lead_time_days = 10
    logistics_days = 5


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    seller_sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    tiktok_sku_id = factory.Sequence(lambda n: str(1729382256910270000 + n))
    name = factory.Sequence(lambda n: f"Product {n}")
    unit_cost = Decimal("4.00")
    unit_price = Decimal("9.90")
    supplier = factory.SubFactory(SupplierFactory)
    category = factory.SubFactory(CategoryFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
            if extracted == "admin":
                self.is_staff = self.is_superuser = True
                self.save()

    @factory.post_generation
    def warehouses(self, create, extracted, **kwargs):
        if extracted:
            self.warehouses.add(*extracted)
