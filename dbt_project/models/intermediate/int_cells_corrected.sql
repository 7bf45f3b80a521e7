-- Every staged cell with the reviewers' applied corrections on top: value is the corrected
-- value where a correction applies and the extracted one otherwise; printed_value always keeps
-- what was extracted (staging.cells is never changed). Everything downstream (the identities,
-- the gate, the facts) reads value from here.

with

cells as (

    select * from {{ ref('stg_cells') }}

),

corrections as (

    select * from {{ ref('stg_corrections') }}
    where correction_status = 'applied'

),

corrected as (

    select
        cells.document_id,
        cells.table_code,
        cells.row_code,
        cells.col_code,
        cells.cell_id,
        case
            when corrections.correction_seq is not null then corrections.corrected_value
            else cells.value
        end as value,
        cells.value as printed_value,
        corrections.correction_seq is not null as is_corrected,
        corrections.correction_reason,
        corrections.corrected_by,
        corrections.corrected_at,
        corrections.correction_seq,
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text,
        cells.where_json

    from cells
    left join corrections
        on cells.document_id = corrections.document_id
        and cells.cell_id = corrections.cell_id

)

select * from corrected
