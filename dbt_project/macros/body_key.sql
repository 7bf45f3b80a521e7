{#
    Reporting bodies are named by their report titles, which vary from year to year:
    spacing (NBSP, ideographic spaces, spaces between CJK characters), a trailing 人民政府,
    and the county or city in front of a town (大涌镇 / 中山市大涌镇). These macros give the
    pieces int_body_names resolves names with; dbt_project/README.md ("Reporting bodies")
    describes the rules.
#}

{# Unicode NFC with every kind of whitespace removed; null when nothing is left. #}
{% macro normalised_org_name(org_name) -%}
    nullif(regexp_replace(nfc_normalize({{ org_name }}), '[\s\x{00a0}\x{3000}]+', '', 'g'), '')
{%- endmacro %}

{#
    A normalised name without the words that do not change which body it is: a trailing
    人民政府 or 政府 after the name of a level of government (邢庄镇人民政府 → 邢庄镇,
    金寨县人民政府 → 金寨县, but 金寨县人民政府办公室 stays), and 街道办事处 → 街道.
#}
{% macro stripped_body_name(name) -%}
    regexp_replace(
        regexp_replace({{ name }}, '街道办事处$', '街道'),
        '^(.+(?:镇|乡|街道|苏木|县|市|区|旗|州|盟|省))(?:人民政府|政府)$', '\1')
{%- endmacro %}

{#
    One administrative-division name in front of a body's own name: two to eight Han
    characters and a division suffix, shortest first (金寨县, 中山市, 蓬莱区, 福建省, 延边朝鲜族自治州).
    Names of one Han character and a suffix (蠡县) are not recognised: such a prefix is kept
    as part of the name, which at worst leaves two variants apart (fix with the seed).
#}
{% macro admin_division_pattern() -%}
    \p{Han}{2,8}?(?:省|自治区|自治州|地区|市|州|盟|县|区|旗)
{%- endmacro %}

{# The leading division names of a stripped name, and what is left (at least two Han characters). #}
{% macro body_name_prefix(name) -%}
    regexp_extract({{ name }}, '^((?:{{ admin_division_pattern() }})*)(\p{Han}{2,}.*)$', 1)
{%- endmacro %}

{% macro body_name_core(name) -%}
    coalesce(nullif(regexp_extract({{ name }}, '^((?:{{ admin_division_pattern() }})*)(\p{Han}{2,}.*)$', 2), ''), {{ name }})
{%- endmacro %}

{% macro body_name_divisions(prefix) -%}
    regexp_extract_all({{ prefix }}, '{{ admin_division_pattern() }}')
{%- endmacro %}

{# The key of a body: md5 of its canonical name, so it is stable across years and reloads. #}
{% macro body_key(canonical_name) -%}
    md5({{ canonical_name }})
{%- endmacro %}
