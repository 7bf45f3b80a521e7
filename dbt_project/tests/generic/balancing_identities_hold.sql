{#
    Every balancing identity of the template (H1–H6, from stg_identity_terms, which the loader
    writes from xxgk.template) holds on a fact table: for each report and equation of its
    template version, sum(lhs terms) = sum(rhs terms).  Marts hold only reports that passed the
    gate, so any row here means the gate and the marts disagree.
#}
{% test balancing_identities_hold(model, table_code, row_column, col_column, value_column='value') %}

with

facts as (

    select
        document_id,
        template_version,
        {{ row_column }} as row_code,
        {{ col_column }} as col_code,
        {{ value_column }} as value

    from {{ model }}

),

reports as (

    select distinct document_id, template_version from facts

),

terms as (

    select * from {{ ref('stg_identity_terms') }}
    where table_code = '{{ table_code }}'

),

term_values as (

    select
        reports.document_id,
        terms.equation_id,
        terms.side,
        facts.value

    from reports
    inner join terms
        on reports.template_version = terms.template_version
    left join facts
        on reports.document_id = facts.document_id
        and terms.row_code = facts.row_code
        and terms.col_code = facts.col_code

),

residuals as (

    select
        document_id,
        equation_id,
        coalesce(sum(value) filter (where side = 'lhs'), 0)
            - coalesce(sum(value) filter (where side = 'rhs'), 0) as difference

    from term_values
    group by document_id, equation_id

)

select * from residuals
where difference <> 0

{% endtest %}
