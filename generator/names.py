"""Realistic names of publishing bodies: townships, counties, cities, departments.

Place names are built from common two-character parts (清河, 石桥, …) so they
look real without naming a real body's numbers.
"""

from __future__ import annotations

import random

from generator.model import Body

_PLACE_A = [
    "清",
    "石",
    "龙",
    "青",
    "白",
    "新",
    "东",
    "西",
    "南",
    "北",
    "永",
    "平",
    "安",
    "长",
    "金",
    "宝",
    "华",
    "兴",
    "丰",
    "和",
    "福",
    "富",
    "凤",
    "柳",
    "桃",
    "杨",
    "双",
    "三",
    "红",
    "黄",
    "大",
    "小",
    "高",
    "云",
    "仁",
    "德",
    "洪",
    "汤",
    "梅",
    "荷",
]
_PLACE_B = [
    "河",
    "桥",
    "泉",
    "山",
    "湖",
    "溪",
    "港",
    "塘",
    "口",
    "坪",
    "岗",
    "集",
    "庄",
    "坝",
    "店",
    "阳",
    "城",
    "林",
    "田",
    "沟",
    "水",
    "川",
    "岭",
    "湾",
    "台",
    "丘",
    "亭",
    "宁",
    "安",
    "丰",
    "源",
    "江",
    "州",
    "平",
    "头",
    "寨",
]
_COUNTY_SUFFIX = ("县", "县", "县", "区", "市")
_TOWN_SUFFIX = ("镇", "镇", "镇", "乡", "街道")

DEPARTMENTS: tuple[str, ...] = (
    "发展和改革委员会",
    "教育局",
    "科学技术局",
    "工业和信息化局",
    "公安局",
    "民政局",
    "司法局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化广电和旅游局",
    "卫生健康委员会",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "行政审批局",
    "城市管理局",
    "林业局",
    "人民政府办公室",
)
# Departments that decide many licences or penalties (their section-二 numbers are large).
BUSY_DEPARTMENTS = frozenset(
    {
        "公安局",
        "市场监督管理局",
        "行政审批局",
        "交通运输局",
        "城市管理局",
        "生态环境局",
        "自然资源和规划局",
        "卫生健康委员会",
    }
)

KINDS: tuple[tuple[str, float], ...] = (
    ("township", 0.40),
    ("county_dept", 0.20),
    ("city_dept", 0.20),
    ("county_gov", 0.10),
    ("city_gov", 0.10),
)


def _place(rng: random.Random) -> str:
    a = rng.choice(_PLACE_A)
    b = rng.choice([x for x in _PLACE_B if x != a])
    return a + b


def make_body(rng: random.Random) -> Body:
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    city = _place(rng) + "市"
    county = _place(rng) + rng.choice(_COUNTY_SUFFIX)
    if kind == "township":
        suffix = rng.choice(_TOWN_SUFFIX)
        town = _place(rng) + suffix
        if suffix == "街道":
            name = county + town + "办事处" if rng.random() < 0.6 else county + town
            return Body(name, kind, "本街道", county + "人民政府")
        else:
            style = rng.random()
            if style < 0.45:
                name = county + town + "人民政府"
            elif style < 0.85:
                name = county + town
            else:
                name = town + "人民政府"
            short = "我" + suffix
        return Body(name, kind, short, county + "人民政府")
    if kind == "county_gov":
        name = (city + county if county.endswith("区") and rng.random() < 0.5 else county) + "人民政府"
        return Body(name, kind, "本" + county[-1] + "政府", name)
    if kind == "city_gov":
        return Body(city + "人民政府", kind, "市政府", city + "人民政府")
    dept = rng.choice(DEPARTMENTS)
    if kind == "county_dept":
        return Body(county + dept, kind, "本" + _short_dept(dept), county + "人民政府")
    return Body(city + dept, kind, "本" + _short_dept(dept), city + "人民政府")


def _short_dept(dept: str) -> str:
    if dept.endswith("委员会"):
        return "委"
    if dept.endswith("办公室"):
        return "办"
    return dept[-1]


def is_busy(body: Body) -> bool:
    return any(body.name.endswith(d) for d in BUSY_DEPARTMENTS)
