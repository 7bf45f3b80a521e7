{#
    Use a model's custom schema as-is (`stg`, `intermediate`, `marts`) instead of dbt's default
    `<target_schema>_<custom_schema>`: the gate and the publisher address these schemas by name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
