"""Administrative units of a province, from the `vietnam-provinces` package.

The package carries the codes in force after the 1/7/2025 reorganisation (province 86,
Vĩnh Long: 124 units), so bantin never hand-maintains a list of communes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from vietnam_provinces import ProvinceCode, Ward

from bantin.content.collation import sort_key_string, unit_sort_key

KIND_NAMES = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "đặc khu": "dac_khu"}


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    kind: str  # xa | phuong | thi_tran | dac_khu
    province_code: str

    @property
    def sort_key(self) -> str:
        return sort_key_string(self.name)


def province_units(province_code: int) -> list[UnitRecord]:
    """Every commune-level unit of the province, in Vietnamese alphabetical order."""
    units = [
        UnitRecord(
            code=str(int(w.code)),
            name=unicodedata.normalize("NFC", w.name),
            kind=KIND_NAMES.get(str(w.division_type.value), str(w.division_type.value)),
            province_code=str(province_code),
        )
        for w in Ward.iter_by_province(ProvinceCode(province_code))
    ]
    return sorted(units, key=lambda u: unit_sort_key(u.name))
