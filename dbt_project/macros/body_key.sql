{#
    A reporting body is named by its title, which is spaced differently from year to year
    (NBSP, ideographic spaces, spaces between CJK characters).  The normalised name drops every
    kind of whitespace after Unicode NFC; the body key is its md5, so it is stable across years
    and reloads.
#}
{% macro normalised_org_name(org_name) -%}
    nullif(regexp_replace(nfc_normalize({{ org_name }}), '[\s\x{00a0}\x{3000}]+', '', 'g'), '')
{%- endmacro %}

{% macro body_key(org_name) -%}
    md5({{ normalised_org_name(org_name) }})
{%- endmacro %}
