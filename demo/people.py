"""The demo's participants: plausible international names for a Seoul-hosted workshop.

Pure and seeded: the same random generator state gives the same people.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

# Given and family names by region, for plausible participants of a Seoul-hosted workshop of a
# forum held in Mexico City. Each region lists the languages its people write questions in.
_REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], float]] = {
    "korea": (
        ("Min-ji", "Seo-yeon", "Ji-hoon", "Hyun-woo", "Eun-ji", "Dong-hyun", "Soo-ah",
         "Jae-won", "Ha-eun", "Sung-min", "Yeon-woo", "Da-eun"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Yoon", "Han", "Shin", "Oh", "Lim"),
        ("ko", "en"),
        0.22,
    ),
    "taiwan": (
        ("Yi-ting", "Chia-hao", "Shu-fen", "Wei-lun", "Pei-shan", "Chih-wei", "Hsin-yi",
         "Yu-chen", "Tsung-han", "Ya-wen"),
        ("Chen", "Lin", "Huang", "Chang", "Wang", "Wu", "Tsai", "Liu", "Hsu", "Kuo"),
        ("zh", "en"),
        0.14,
    ),
    "latin-america": (
        ("María Fernanda", "José Luis", "Guadalupe", "Alejandro", "Ximena", "Diego",
         "Valeria", "Carlos", "Lucía", "Andrés", "Rosa", "Emiliano"),
        ("Hernández", "García", "Martínez", "López", "Ramírez", "Flores", "Morales",
         "Torres", "Castillo", "Reyes", "Quispe", "Vargas"),
        ("es", "en"),
        0.26,
    ),
    "east-africa": (
        ("Wanjiru", "Achieng", "Otieno", "Kamau", "Njeri", "Mwangi", "Akinyi", "Kiprop",
         "Auma", "Mutua", "Nasimiyu"),
        ("Odhiambo", "Wambui", "Kariuki", "Mutiso", "Chebet", "Njoroge", "Omondi",
         "Kimani", "Wekesa", "Atieno"),
        ("en",),
        0.12,
    ),
    "francophone": (
        ("Camille", "Amadou", "Élodie", "Mamadou", "Léa", "Fatou", "Julien", "Aïssatou",
         "Yannick", "Mariam"),
        ("Diallo", "Martin", "Ndiaye", "Dubois", "Traoré", "Lefèvre", "Sow", "Moreau",
         "Tremblay", "Koné"),
        ("fr", "en"),
        0.10,
    ),
    "south-asia": (
        ("Priya", "Arjun", "Ananya", "Rohan", "Nilufar", "Farhan", "Kavya", "Sanjay"),
        ("Sharma", "Nair", "Rahman", "Iyer", "Chowdhury", "Patel", "Das", "Hossain"),
        ("en",),
        0.06,
    ),
    "philippines": (
        ("Maricel", "Paolo", "Jomar", "Kristine", "Rowena", "Nikko"),
        ("Santos", "Dela Cruz", "Bautista", "Villanueva", "Mendoza", "Aquino"),
        ("en",),
        0.05,
    ),
    "southern-africa": (
        ("Thabo", "Naledi", "Sipho", "Lerato", "Zanele", "Tendai"),
        ("Mokoena", "Dlamini", "Nkosi", "Molefe", "Moyo", "Khumalo"),
        ("en",),
        0.04,
    ),
    "europe": (
        ("Ingrid", "Tomás", "Sofia", "Lukas", "Elena", "Marta", "Jonas"),
        ("Lindqvist", "Costa", "Novak", "Schmidt", "Rossi", "Kowalska", "Jensen"),
        ("en",),
        0.05,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    """A simulated participant: a Discord username, a display name and the languages they write."""

    index: int
    username: str
    display_name: str
    region: str
    langs: tuple[str, ...]
    talkative: float  # how readily they ask (a weight)


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower().replace(" ", ".") if ch.isalnum() or ch == ".")


def make_people(count: int, rng: random.Random) -> list[Person]:
    """Return `count` participants with distinct, plausible international names."""
    regions = list(_REGIONS)
    weights = [_REGIONS[r][3] for r in regions]
    people: list[Person] = []
    taken: set[str] = set()
    usernames: set[str] = set()
    for i in range(count):
        region = rng.choices(regions, weights)[0]
        given, family, langs, _ = _REGIONS[region]
        for _attempt in range(50):
            name = f"{rng.choice(given)} {rng.choice(family)}"
            if name not in taken:
                break
        else:
            name = f"{rng.choice(given)} {rng.choice(family)} {i + 1}"
        taken.add(name)
        base = _slug(name) or f"participant{i + 1}"
        username, n = base, 1
        while username in usernames:
            n += 1
            username = f"{base}{n}"
        usernames.add(username)
        people.append(Person(i, username, name, region, langs, rng.uniform(0.3, 1.0)))
    return people
