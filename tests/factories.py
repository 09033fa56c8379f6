from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from alerts.models import PlanningFigures
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


class PlanningFiguresFactory(factory.django.DjangoModelFactory):
    """A replenishment row as the night writes it: a SKU at its reorder point."""

    class Meta:
        model = PlanningFigures

    warehouse = factory.SubFactory(WarehouseFactory)
    sku = factory.SubFactory(SKUFactory)
    as_of = date(2026, 11, 25)
    on_hand = 10
    on_order = 0
    avg_daily_demand = 1.0
    demand_std = 0.5
    lead_time_days = 10
    lead_time_std_days = 0.0
    lead_time_std_source = "default"
    service_level = 0.95
    z = 1.645
    safety_stock = 3.0
    reorder_point = 13.0
    safety_stock_units = 3
    reorder_point_units = 13
    order_up_to = 20.0
    suggested_order_qty = 10
    days_of_cover = 10.0
    status = "REORDER"
    urgency = 2
    ad_advice = "KEEP"
    computed_at = factory.LazyFunction(timezone.now)
    checked_at = factory.LazyFunction(timezone.now)


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
