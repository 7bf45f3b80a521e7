{#
    The body of a fct_*_history model: every published version of one section's cells (the
    versions whose section passed the gate, int_published_sections), each with its basis.

    Incremental: a version's cells rarely change (a document is its bytes), so a build inserts
    the versions not stored yet and leaves the others as they are, except a version whose
    reviewers' corrections changed since it was stored, or that a newer extractor read
    differently (staging.readings), which is rewritten (a version whose section the gate no
    longer passes is deleted by the model's post-hook, prune_section_history).  Only what a
    version itself says is
    stored: its body, whether it is current, and the labels come from dim_report, dim_row and
    dim_applicant, which are rebuilt on every load.  A full refresh rebuilds the same rows.

    row_as / col_as name the row and column codes in the fact; section 二 also keeps the table
    code and the measure's kind, because its measures live in several tables.
#}
{% macro section_history(section, row_as, col_as) %}
{%- set is_s2 = section == 's2' -%}

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where section = '{{ section }}'

),

new_published_versions as (

    -- the versions whose section passed the gate (int_published_sections)
    select document_id, loaded_at
    from {{ ref('int_published_sections') }}
    where section = '{{ section }}'
    {% if is_incremental() %}
        and (
            document_id not in (select document_id from {{ this }})
            -- a stored version whose corrections were added, changed or withdrawn since, or
            -- that a newer extractor read again (a cell changed, added or gone)
            or document_id in (
                select coalesce(cells.document_id, stored.document_id)
                from (
                    select * from cells
                    where document_id in (select document_id from {{ this }})
                ) as cells
                full outer join {{ this }} as stored
                    on cells.document_id = stored.document_id
                    {% if is_s2 %}and cells.table_code = stored.table_code{% endif %}
                    and cells.row_code = stored.{{ row_as }}
                    and cells.col_code = stored.{{ col_as }}
                where cells.document_id is null
                    or stored.document_id is null
                    or cells.value is distinct from stored.value
                    or cells.basis is distinct from stored.basis
                    or cells.is_corrected is distinct from stored.is_corrected
                    or cells.correction_reason is distinct from stored.correction_reason
                    or cells.is_imputed is distinct from stored.is_imputed
                    or cells.page is distinct from stored.page
                    or cells.line is distinct from stored.line
                    or cells.raw_text is distinct from stored.raw_text
            )
        )
    {% endif %}

),

section_history as (

    select
        cells.document_id,
        cells.report_year,
        cells.template_version,
        {% if is_s2 %}cells.table_code,{% endif %}
        cells.row_code as {{ row_as }},
        cells.col_code as {{ col_as }},
        {% if is_s2 %}cells.col_kind as measure_kind,{% endif %}
        cells.value,
        cells.basis,
        cells.extracted_basis,
        cells.printed_value,
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

{# The post-hook of a fct_*_history model: drop the versions whose section is no longer published. #}
{% macro prune_section_history(section) %}
    delete from {{ this }}
    where document_id not in (
        select document_id from {{ ref('int_published_sections') }} where section = '{{ section }}'
    )
{% endmacro %}

{#
    The body of a current fact model (fct_applications, …): the history facts of the current
    versions, with the body and the labels of the day (dim_report, int_cells_labelled).  The
    current facts are a filter of the history, so the two never disagree.
    label_columns: the labels to add, as "source_column as fact_column" items of int_cells_labelled.
#}
{% macro current_section_facts(section, history_model, row_as, col_as, label_columns) %}
{%- set is_s2 = section == 's2' -%}

with

history as (

    select * from {{ ref(history_model) }}

),

current_sections as (

    select document_id from {{ ref('int_published_sections') }}
    where section = '{{ section }}'
        and is_current

),

labels as (

    select * from {{ ref('int_cells_labelled') }}
    where section = '{{ section }}'

),

current_facts as (

    select
        history.document_id,
        labels.body_id,
        history.report_year,
        history.template_version,
        {% if is_s2 %}history.table_code,{% endif %}
        history.{{ row_as }},
        {% for column in label_columns %}labels.{{ column }},
        {% endfor %}
        history.{{ col_as }},
        {% if is_s2 %}history.measure_kind,{% endif %}
        history.value,
        history.basis,
        history.extracted_basis,
        history.printed_value,
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
        {% if is_s2 %}and history.table_code = labels.table_code{% endif %}
        and history.{{ row_as }} = labels.row_code
        and history.{{ col_as }} = labels.col_code

)

select * from current_facts
{% endmacro %}
