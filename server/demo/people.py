"""The 800 demo people: names, countries, organisations and bios.

Stakeholder groups and genders are dealt from lists built with exact counts and then
shuffled, so the shares are exactly the intended ones for every seed.
"""

from __future__ import annotations

import random

from server.demo import names, themes
from server.demo.model import DemoPerson

PEOPLE_COUNT = 800
# Percent of people per stakeholder group; "other" takes whatever is left.
STAKEHOLDER_SHARES: dict[str, int] = {
    "government": 32,
    "private_sector": 21,
    "academia": 14,
    "international_organisation": 9,
    "civil_society": 8,
}
WOMEN_SHARE = 45  # percent
UNDECLARED_GENDER_SHARE = 2  # percent with gender None


def exact_counts(total: int, shares: dict[str, int], rest: str) -> list[str]:
    out: list[str] = []
    for key, percent in shares.items():
        out += [key] * round(total * percent / 100)
    return out + [rest] * (total - len(out))


_ARTICLE_PREFIXES = (
    "Ministry", "National", "Permanent", "Government", "University", "Centre", "School",
    "International", "United Nations", "UN Department", "UN Economic", "World", "Food",
    "Universal", "Foundation", "Association", "Rural", "Children", "Global", "WSIS",
)  # fmt: skip
_ARTICLE_SUFFIXES = (
    "Coalition", "Association", "Network", "Chapter", "Institute of Technology",
    "Daily News", "Chamber of Commerce",
)  # fmt: skip


def _with_article(org: str) -> str:
    if org.startswith(_ARTICLE_PREFIXES) or org.endswith(_ARTICLE_SUFFIXES):
        return f"the {org}"
    return org


def _organisation(rng: random.Random, group: str, country: str) -> tuple[str, str]:
    """(organisation, role) appropriate to the stakeholder group."""
    fields = {
        "country": names.country_name(country),
        "country_in_sentence": names.country_in_sentence(country),
        "city": names.country_city(country),
    }
    if group == "government":
        return rng.choice(names.GOVERNMENT_ORGS).format(**fields), rng.choice(
            names.GOVERNMENT_ROLES
        )
    if group == "private_sector":
        org = f"{rng.choice(names.COMPANY_PREFIXES)} {rng.choice(names.COMPANY_SUFFIXES)}"
        return org, rng.choice(names.PRIVATE_ROLES)
    if group == "academia":
        return rng.choice(names.ACADEMIC_ORGS).format(**fields), rng.choice(names.ACADEMIC_ROLES)
    if group == "international_organisation":
        return rng.choice(names.INTERNATIONAL_ORGS), rng.choice(names.INTERNATIONAL_ROLES)
    if group == "civil_society":
        return rng.choice(names.CIVIL_SOCIETY_ORGS).format(**fields), rng.choice(
            names.CIVIL_SOCIETY_ROLES
        )
    return rng.choice(names.OTHER_ORGS).format(**fields), rng.choice(names.OTHER_ROLES)


def _person_name(rng: random.Random, region: names.Region, gender: str | None) -> str:
    if gender is None:  # not declared: the name says nothing either way
        gender = rng.choice(("woman", "man"))
    given = rng.choice(region.women if gender == "woman" else region.men)
    family = rng.choice(region.families)
    if isinstance(family, tuple):
        family = family[1] if gender == "woman" else family[0]
    return f"{family} {given}" if region.family_first else f"{given} {family}"


def build_people(rng: random.Random) -> list[DemoPerson]:
    groups = exact_counts(PEOPLE_COUNT, STAKEHOLDER_SHARES, "other")
    genders: list[str | None] = [
        *exact_counts(
            PEOPLE_COUNT, {"woman": WOMEN_SHARE, "undeclared": UNDECLARED_GENDER_SHARE}, "man"
        )
    ]
    genders = [None if g == "undeclared" else g for g in genders]
    rng.shuffle(groups)
    rng.shuffle(genders)
    weights = [region.weight for region in names.REGIONS]
    used_names: set[str] = set()
    people: list[DemoPerson] = []
    for index, (group, gender) in enumerate(zip(groups, genders, strict=True)):
        region = rng.choices(names.REGIONS, weights=weights)[0]
        name = _person_name(rng, region, gender)
        while name in used_names:
            name = _person_name(rng, region, gender)
        used_names.add(name)
        country = rng.choice(region.countries)
        organisation, role = _organisation(rng, group, country)
        first, second = rng.sample(themes.THEMES, 2)
        bio = (
            f"{name} is {role} at {_with_article(organisation)}, working on "
            f"{themes.decap(first.title)} as well as {themes.decap(second.title)}. "
            f"Involved in the WSIS process since {rng.randrange(2003, 2020)}."
        )
        people.append(
            DemoPerson(
                key=f"p{index + 1:03d}",
                name=name,
                organisation=organisation,
                country=country,
                stakeholder_group=group,
                gender=gender,
                bio=bio,
            )
        )
    return people
