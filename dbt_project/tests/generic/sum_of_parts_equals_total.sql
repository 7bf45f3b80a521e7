{#
    Within each group (e.g. a report's section-三 row), the value of the part named total_value
    equals the sum of the other parts: H2 on fct_applications (总计 = the six applicant types),
    H4–H6 on fct_review_litigation (总计 = upheld + corrected + other + pending).
#}
{% test sum_of_parts_equals_total(model, group_by, part_column, total_value='total', value_column='value') %}

with

parts as (

    select
        {{ group_by | join(', ') }},
        sum({{ value_column }}) filter (where {{ part_column }} = '{{ total_value }}') as total_value,
        sum({{ value_column }}) filter (where {{ part_column }} <> '{{ total_value }}') as sum_of_parts

    from {{ model }}
    group by {{ group_by | join(', ') }}

)

select * from parts
where total_value is distinct from sum_of_parts

{% endtest %}
