{# Every row satisfies a SQL boolean expression (null counts as false). #}
{% test expression_is_true(model, expression) %}

select * from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
