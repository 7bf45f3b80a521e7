{#
    The grain test: no two rows share the same values of combination_of_columns.
    (dbt_utils has one, but packages cannot be installed without network access.)
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grain as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from grain
where n_rows > 1

{% endtest %}
