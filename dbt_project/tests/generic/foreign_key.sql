{#
    Every row's key (columns, all non-null) is found in `to` (to_columns, in the same order;
    default: the same names), among the rows of `to` where to_where holds. dbt's relationships
    test takes one column and no filter on the parent; dimensions keyed by two columns (dim_row:
    table_code, row_code) need both.
#}
{% test foreign_key(model, columns, to, to_columns=none, to_where=none) %}

{% set parent_columns = to_columns if to_columns is not none else columns %}

with

children as (

    -- the model, or the part of it the test's `where` selects (a subquery dbt names itself)
    select * from {{ model }}

),

parents as (

    select {{ parent_columns | join(', ') }}
    from {{ to }}
    {% if to_where is not none %} where {{ to_where }} {% endif %}

)

select {{ columns | join(', ') }}
from children as child
where
    {% for column in columns %}
        child.{{ column }} is not null and
    {% endfor %}
    not exists (
        select 1
        from parents
        where
            {% for column in columns %}
                child.{{ column }} = parents.{{ parent_columns[loop.index0] }}
                {% if not loop.last %} and {% endif %}
            {% endfor %}
    )

{% endtest %}
