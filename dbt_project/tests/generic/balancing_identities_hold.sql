{#
    Every balancing identity of the template (H1–H6) holds on a fact table: for each report and
    equation of its template version whose terms are all there, sum(lhs) = sum(rhs).  The
    equations are evaluated by the macro identity_residuals, the one SQL form of the identity
    engine.  The facts hold only sections that passed the gate, so any row here means the gate
    and the marts disagree.
#}
{% test balancing_identities_hold(model, table_code, row_column, col_column, value_column='value') %}

with

facts as (

    select
        document_id,
        template_version,
        '{{ table_code }}' as table_code,
        {{ row_column }} as row_code,
        {{ col_column }} as col_code,
        {{ value_column }} as value,
        false as is_corrected

    from {{ model }}

),

reports as (

    select distinct document_id, template_version from facts

),

{{ identity_residuals('reports', 'facts') }}

select * from identity_residuals
where difference <> 0

{% endtest %}
