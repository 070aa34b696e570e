"""Plausible people for demo data and benchmarks: names, GB 11643-valid ID numbers, phones.

Deterministic for a given ``random.Random`` so that seeds and benchmarks are repeatable.
"""

from __future__ import annotations

import random

from core.validators import id_number_check_char

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华春梅海燕志强淑珍凤英国庆晓东子涵雨桐浩然欣怡宇轩梓萱"
REGION = "210302"  # 鞍山市铁东区


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def id_number(serial: int, rng: random.Random, *, birth_year: int | None = None) -> str:
    """A valid ID number; ``serial`` (< 10**7) makes it unique within one data set."""
    year = birth_year or rng.randint(1940, 2015)
    born = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    # Sequence code (3 digits) and the last 4 digits of the region vary with the serial,
    # so up to 10**7 distinct people share a birthday without clashing.
    region = f"21{serial // 1000 % 10000:04d}"
    first17 = f"{region}{born}{serial % 1000:03d}"
    return first17 + id_number_check_char(first17)


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"
