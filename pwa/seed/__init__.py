"""Deterministic synthetic demo data: a 河北 city (or the whole province) of units and people.

No real persons: names are drawn from Faker's zh_CN lists, ID numbers are invented but
checksum-valid and stored only encrypted, masked and blind-indexed.
"""

from .generate import SCALES, SeedReport, generate_demo

__all__ = ["SCALES", "SeedReport", "generate_demo"]
