-- The source values are never overwritten: every fact row (current and history) keeps the value
-- as extracted (staging.cells) in printed_value, and its value differs from it only where a
-- reviewer's applied correction says so, with the correction's value and reason.

with

fact_cells as (

    select 'fct_applications' as fact_table, document_id, table_code, row_code, col_code,
        value, printed_value, is_corrected, correction_reason
    from {{ ref('fct_applications') }}
    union all
    select 'fct_review_litigation', document_id, table_code, row_code, col_code, value, printed_value, is_corrected, correction_reason
    from {{ ref('fct_review_litigation') }}
    union all
    select 'fct_active_disclosure', document_id, table_code, row_code, col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown), printed_value, is_corrected, correction_reason
    from {{ ref('fct_active_disclosure') }}
    union all
    select 'fct_applications_history', document_id, table_code, row_code, col_code, value, printed_value, is_corrected, correction_reason
    from {{ ref('fct_applications_history') }}
    union all
    select 'fct_review_litigation_history', document_id, table_code, row_code, col_code, value, printed_value, is_corrected, correction_reason
    from {{ ref('fct_review_litigation_history') }}
    union all
    select 'fct_active_disclosure_history', document_id, table_code, row_code, col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown), printed_value, is_corrected, correction_reason
    from {{ ref('fct_active_disclosure_history') }}

),

source_cells as (

    select * from {{ ref('stg_cells') }}

),

applied_corrections as (

    select * from {{ ref('stg_corrections') }}
    where correction_status = 'applied'

)

select
    fact_cells.*,
    source_cells.value as source_value,
    applied_corrections.corrected_value

from fact_cells
left join source_cells
    on fact_cells.document_id = source_cells.document_id
    and fact_cells.table_code = source_cells.table_code
    and fact_cells.row_code = source_cells.row_code
    and fact_cells.col_code = source_cells.col_code
left join applied_corrections
    on fact_cells.document_id = applied_corrections.document_id
    and fact_cells.table_code = applied_corrections.table_code
    and fact_cells.row_code = applied_corrections.row_code
    and fact_cells.col_code = applied_corrections.col_code
where source_cells.document_id is null
    or fact_cells.printed_value is distinct from source_cells.value
    or fact_cells.is_corrected <> (applied_corrections.correction_seq is not null)
    or (fact_cells.is_corrected and (fact_cells.value is distinct from applied_corrections.corrected_value
                                     or fact_cells.correction_reason is distinct from applied_corrections.correction_reason))
    or (not fact_cells.is_corrected and fact_cells.value is distinct from fact_cells.printed_value)
