{#
    The body of a fct_*_history model: every published version of one section's cells (the
    versions whose section passed the gate, int_published_sections), each with its basis.

    Incremental by document (macros/by_document.sql): a build writes the versions whose
    digest (int_document_digests: the labelled cells, whether the section is published) changed,
    i.e. the new versions, those whose reviewers' corrections changed or that a newer extractor
    read again, and those whose section the gate now publishes or no longer does (their rows
    are deleted and nothing is written).  Only what a version itself says is stored: its body,
    whether it is current, and the labels come from dim_report, dim_row and dim_applicant, which
    are rebuilt on every load.  A full refresh rebuilds the same rows.

    Every fact names its cell by table_code, row_code, col_code (dbt_project/README.md, "Names
    and types").  Counts are BIGINT in `value`; section 二 also keeps the measure's kind, and
    its money measures go to a column named for their unit (fact_value_columns).
#}
{% macro section_history(section) %}
{%- set is_s2 = section == 's2' -%}

with

documents_to_build as (

    {{ documents_to_build() }}

),

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where section = '{{ section }}'
        and document_id in (select document_id from documents_to_build)

),

new_published_versions as (

    -- the versions whose section passed the gate (int_published_sections)
    select document_id, loaded_at
    from {{ ref('int_published_sections') }}
    where section = '{{ section }}'
        and document_id in (select document_id from documents_to_build)

),

section_history as (

    select
        cells.document_id,
        cells.report_year,
        cells.template_version,
        cells.table_code,
        cells.row_code,
        cells.col_code,
        {% if is_s2 %}cells.col_kind as measure_kind,{% endif %}
        {{ fact_value_columns('cells', is_s2) }},
        cells.basis,
        cells.extracted_basis,
        cells.is_corrected,
        cells.correction_reason,
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text,
        new_published_versions.loaded_at

    from cells
    inner join new_published_versions
        on cells.document_id = new_published_versions.document_id

)

select * from section_history
{% endmacro %}

{#
    The body of a current fact model (fct_applications, …): the history facts of the current
    versions, with the body and the labels of the day (dim_report, int_cells_labelled).  The
    current facts are a filter of the history, so the two never disagree.  Incremental by
    document (macros/by_document.sql): a version is rewritten when its labelled cells change or
    it becomes current or stops being current (a newer version of its body-year passed).
    label_columns: the labels to add, as "source_column as fact_column" items of int_cells_labelled.
#}
{% macro current_section_facts(section, history_model, label_columns) %}
{%- set is_s2 = section == 's2' -%}

with

documents_to_build as (

    {{ documents_to_build() }}

),

history as (

    select * from {{ ref(history_model) }}
    where document_id in (select document_id from documents_to_build)

),

current_sections as (

    select document_id from {{ ref('int_published_sections') }}
    where section = '{{ section }}'
        and is_current
        and document_id in (select document_id from documents_to_build)

),

labels as (

    select * from {{ ref('int_cells_labelled') }}
    where section = '{{ section }}'
        and document_id in (select document_id from documents_to_build)

),

current_facts as (

    select
        history.document_id,
        labels.body_id,
        history.report_year,
        history.template_version,
        history.table_code,
        history.row_code,
        {% for column in label_columns %}labels.{{ column }},
        {% endfor %}
        history.col_code,
        {% if is_s2 %}history.measure_kind,{% endif %}
        history.value,
        {% if is_s2 %}
            history.amount_wan_cny,
            history.amount_cny,
            history.amount_unit_unknown,
        {% endif %}
        history.printed_value,
        history.basis,
        history.extracted_basis,
        history.is_corrected,
        history.correction_reason,
        history.is_imputed,
        history.page,
        history.line,
        history.raw_text

    from history
    inner join current_sections
        on history.document_id = current_sections.document_id
    inner join labels
        on history.document_id = labels.document_id
        and history.table_code = labels.table_code
        and history.row_code = labels.row_code
        and history.col_code = labels.col_code

)

select * from current_facts
{% endmacro %}

{#
    The value columns of a fact, from a labelled cell (int_cells_labelled): a count (template
    kind count or signed; the gate publishes whole numbers only, H7) is BIGINT in `value`; money
    (kind decimal, section 二 only) is DECIMAL(18, 4) in the column of its unit — the v2021 fee
    (header 万元) and amounts printed with 万元 in amount_wan_cny, with 元 in amount_cny, a bare
    amount (v2019 采购总金额 states no unit) in amount_unit_unknown — so 万元 and 元 are never
    summed together.  printed_value: the value as extracted, unchanged (DECIMAL): it is the
    evidence, and where a reviewer corrected a cell it may be what made it wrong (1520.5 in a
    count).
#}
{% macro fact_value_columns(cells, with_amounts) -%}
    {%- set is_count = cells ~ ".col_kind <> 'decimal'" -%}
    {%- set unit -%}
        case
            when {{ cells }}.col_code = 'fee_amount_wan_cny' or {{ cells }}.printed_unit = '万元' then 'wan_cny'
            when {{ cells }}.printed_unit = '元' then 'cny'
            else 'unknown'
        end
    {%- endset -%}
    cast(case when {{ is_count }} then {{ cells }}.value end as bigint) as value,
    {%- if with_amounts %}
        cast(case when not {{ is_count }} and {{ unit }} = 'wan_cny' then {{ cells }}.value end as decimal(18, 4))
            as amount_wan_cny,
        cast(case when not {{ is_count }} and {{ unit }} = 'cny' then {{ cells }}.value end as decimal(18, 4))
            as amount_cny,
        cast(case when not {{ is_count }} and {{ unit }} = 'unknown' then {{ cells }}.value end as decimal(18, 4))
            as amount_unit_unknown,
    {%- endif %}
    {{ cells }}.printed_value
{%- endmacro %}
