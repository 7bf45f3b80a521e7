{#
    H7 (template.md §4): a count is a non-negative integer, a signed value an integer, a decimal
    (money) non-negative.  kind_column names the column holding each row's kind; without it,
    every row is a count.
#}
{% test values_match_kind(model, column_name, kind_column=none) %}

{% set kind = kind_column if kind_column is not none else "'count'" %}

select * from {{ model }}
where {{ column_name }} is not null
    and (
        ({{ kind }} = 'count' and ({{ column_name }} < 0 or {{ column_name }} <> trunc({{ column_name }})))
        or ({{ kind }} = 'signed' and {{ column_name }} <> trunc({{ column_name }}))
        or ({{ kind }} = 'decimal' and {{ column_name }} < 0)
        or {{ kind }} not in ('count', 'signed', 'decimal')
    )

{% endtest %}
