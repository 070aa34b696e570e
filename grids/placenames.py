"""Place names as residents type them: “园林 3栋”, “春晖家园5号楼2单元”, “园林花园三幢”.

Pure text functions (no database): the same normalisation is applied to what is stored
(compound names and aliases, building numbers) and to what a resident types, so that full-width
digits, Chinese numerals and the many words for a building (号楼/栋/幢/座/#) all compare equal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# A search is bounded: longer input is refused with a message, not searched.
MAX_QUERY = 40
MIN_QUERY = 2

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL_RE = re.compile(r"[零〇一二两三四五六七八九十]+")
# Words for a building after its number, longest first.
_BUILDING_WORDS = r"(?:号楼|号楼栋|栋楼|栋|幢|座|号|#|楼)"
# Words that only say “this is a compound”: stripped to compare the distinctive part.
GENERIC_SUFFIXES = ("小区", "花园", "家园", "新村", "社区", "公寓", "大院", "苑", "院", "里")
_SEPARATORS = re.compile(r"[\s,，、。.;；:：/／()（）\[\]【】\"'“”‘’_]+")


def _numeral_value(text: str) -> int | None:
    """一..九十九 (十, 十二, 二十, 二十三, 三〇一 digit by digit); None when not a number."""
    if "十" in text:
        head, _, tail = text.partition("十")
        if "十" in tail or len(head) > 1 or len(tail) > 1:
            return None
        tens = _DIGITS.get(head, None) if head else 1
        ones = _DIGITS.get(tail, None) if tail else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    value = 0
    for char in text:
        value = value * 10 + _DIGITS[char]
    return value


def _numerals_to_digits(text: str) -> str:
    def replace(match: re.Match) -> str:
        value = _numeral_value(match.group(0))
        return match.group(0) if value is None else str(value)

    return _NUMERAL_RE.sub(replace, text)


def normalize(text: str) -> str:
    """NFKC, lower case, Chinese numerals as digits, separators as single spaces."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _numerals_to_digits(text)
    text = text.replace("—", "-").replace("–", "-")
    return _SEPARATORS.sub(" ", text).strip()


def name_key(text: str) -> str:
    """A stored name (compound, alias, community) in comparable form: no spaces."""
    return normalize(text).replace(" ", "").replace("-", "")


def core_key(key: str) -> str:
    """“园林小区” → “园林”: the distinctive part of a name key (kept whole when that is all)."""
    for suffix in GENERIC_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)]
    return key


def building_number(text: str) -> str:
    """“3号楼” / “三栋” / “３” / “A座” → “3” / “3” / “3” / “a”: the number a building is called by."""
    value = normalize(text).replace(" ", "")
    value = re.sub(_BUILDING_WORDS + "$", "", value)
    return value[:16]


def split_aliases(text: str) -> list[str]:
    """“园林花园、老园林, 园林” → ["园林花园", "老园林", "园林"] (order kept, duplicates dropped)."""
    seen: list[str] = []
    for part in re.split(r"[、,，;；/／\n]+", text or ""):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


@dataclass
class PlaceQuery:
    """What a resident typed, taken apart: name words, building number, unit, door."""

    text: str = ""
    terms: list[str] = field(default_factory=list)
    building: str = ""
    unit: int | None = None
    door: str = ""
    problem: str = ""  # too_short / too_long, when the query is not searched

    @property
    def ok(self) -> bool:
        return not self.problem and bool(self.terms or self.building)


def parse_query(raw: str) -> PlaceQuery:
    """Take a typed place apart. “园林 3栋 2单元 301” → terms ["园林"], building "3", unit 2,
    door "301"; “春晖5号楼” → ["春晖"], "5"; “园林3-2-301” → building 3, unit 2, door 301."""
    raw = (raw or "").strip()
    query = PlaceQuery(text=raw[:MAX_QUERY])
    if len(raw) > MAX_QUERY:
        query.problem = "too_long"
        return query
    text = normalize(raw)
    if len(text.replace(" ", "")) < MIN_QUERY:
        query.problem = "too_short"
        return query
    # 楼-单元-室: “3-2-301”, “3号楼2单元301室”.
    dash = re.search(r"(\d+)\s*" + _BUILDING_WORDS + r"?\s*-\s*(\d+)(?:\s*-\s*(\d+))?", text)
    if dash:
        query.building = dash.group(1)
        query.unit = int(dash.group(2))
        query.door = dash.group(3) or ""
        text = text[: dash.start()] + " " + text[dash.end() :]
    unit = re.search(r"(\d+)\s*单元(?:\s*(\d+)\s*(?:室|号|户)?)?", text)
    if unit:
        query.unit = int(unit.group(1))
        query.door = unit.group(2) or query.door
        text = text[: unit.start()] + " " + text[unit.end() :]
    door = re.search(r"(\d+)\s*(?:室|户)", text)
    if door:
        query.door = door.group(1)
        text = text[: door.start()] + " " + text[door.end() :]
    if not query.building:
        building = re.search(r"(\d+|[a-z])\s*" + _BUILDING_WORDS + r"(?=\s|$|\d)", text)
        if building is None:
            # A bare number after a name: “园林 3”, “园林3”.
            building = re.search(r"(?<=[^\d\s])\s*(\d+)\s*$|^\s*(\d+)\s*$", text)
        if building:
            query.building = next(g for g in building.groups() if g)
            text = text[: building.start()] + " " + text[building.end() :]
    for word in text.split():
        word = word.replace("-", "")
        if word and word not in query.terms:
            query.terms.append(word)
    query.terms = query.terms[:5]
    return query


def name_matches(term: str, keys: list[str]) -> int:
    """How well ``term`` names a place called by ``keys`` (0: not at all; 3: a name exactly;
    2: part of a name; 1: the name's distinctive part lies inside the term, “园林花园小区”)."""
    best = 0
    for key in keys:
        if not key:
            continue
        if term == key:
            return 3
        if term in key:
            best = max(best, 2)
        elif len(core_key(key)) >= 2 and core_key(key) in term:
            best = max(best, 1)
    return best
