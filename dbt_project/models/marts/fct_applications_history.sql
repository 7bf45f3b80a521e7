{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='document_id',
        on_schema_change='fail',
        post_hook="delete from {{ this }} where document_id not in (select document_id from {{ ref('int_report_versions') }} where is_published)"
    )
}}

-- Section 三, every published version: one row per report version × row × applicant type.
-- A published version is one that passed the gate, current or superseded (dim_report).
-- Incremental: a version's cells never change (a document is its bytes), so a build inserts
-- the versions not here yet and leaves the others as they are, except a version whose
-- reviewers' corrections changed since it was stored, which is rewritten; a version the gate no
-- longer passes is deleted (post-hook). Only what a version itself says is stored here: its body,
-- whether it is current, and the labels come from dim_report, dim_row and dim_applicant,
-- which are rebuilt on every load. A full refresh rebuilds the same rows from staging.

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where table_code = 's3'

),

new_published_versions as (

    select document_id, loaded_at
    from {{ ref('int_report_versions') }}
    where is_published
    {% if is_incremental() %}
        and (
            document_id not in (select document_id from {{ this }})
            -- a stored version whose corrections were added, changed or withdrawn since
            or document_id in (
                select cells.document_id
                from cells
                inner join {{ this }} as stored
                    on cells.document_id = stored.document_id
                    and cells.row_code = stored.row_code
                    and cells.col_code = stored.applicant_code
                where cells.value is distinct from stored.value
                    or cells.is_corrected is distinct from stored.is_corrected
                    or cells.correction_reason is distinct from stored.correction_reason
            )
        )
    {% endif %}

),

applications_history as (

    select
        cells.document_id,
        cells.report_year,
        cells.template_version,
        cells.row_code,
        cells.col_code as applicant_code,
        cells.value,
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

select * from applications_history
