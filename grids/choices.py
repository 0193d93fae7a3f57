from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Administrative level of a center, from the top down. Nothing assumes exactly three."""

    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    TOWN = "town", _("Town / street")
    COMMUNITY = "community", _("Community / village")


class GridKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
    DEDICATED = "dedicated", _("Dedicated grid")


class DedicatedSubtype(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    MARKET = "market", _("Market")
    INDUSTRIAL_PARK = "industrial_park", _("Industrial park")
    SCENIC_AREA = "scenic_area", _("Scenic area")
    TRANSPORT_HUB = "transport_hub", _("Transport hub")
    OTHER = "other", _("Other")


class VolunteerCategory(models.TextChoices):
    """What a volunteer does for a living or in the community: whom a center can ask for what
    (a night-market vendor sees the market at night, a delivery rider every lane)."""

    SECURITY_GUARD = "security_guard", _("Security guard")
    CLEANER = "cleaner", _("Cleaner")
    DELIVERY_RIDER = "delivery_rider", _("Delivery rider")
    DRIVER = "driver", _("Taxi / ride-hailing driver")
    NIGHT_MARKET_VENDOR = "night_market_vendor", _("Night-market vendor")
    PARKING_ATTENDANT = "parking_attendant", _("Parking attendant")
    PROPERTY_STAFF = "property_staff", _("Property management staff")
    RESIDENT = "resident", _("Resident")
    RETIRED_CADRE = "retired_cadre", _("Retired cadre / party member")
    OTHER = "other", _("Other")


class PlaceKind(models.TextChoices):
    """What a place inside a grid is: the route a patrol walks is made of these."""

    STREET = "street", _("Street")
    COMPOUND = "compound", _("Compound / courtyard")
    BUILDING = "building", _("Building")
    ENTRANCE = "entrance", _("Entrance")
