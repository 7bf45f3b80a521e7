-- Every staged cell with the reviewers' applied corrections on top, and every cell a correction
-- sets that the extractor left out: value is the corrected value where a correction applies and
-- the extracted one otherwise; printed_value always keeps what was extracted (null for a cell
-- the extractor left out; staging.cells is never changed).  basis is the evidence the value
-- rests on: 'corrected' for a reviewer's correction, else the extractor's (extracted_basis).
-- Everything downstream (the identities, the gate, the facts) reads value and basis from here.
-- Incremental by document (macros/by_document.sql): a load computes the new documents and those
-- whose reading or corrections changed (int_document_digests).

{{ config(**incremental_by_document()) }}

with

documents_to_build as (

    {{ documents_to_build() }}

),

cells as (

    select * from {{ ref('stg_cells') }}
    where document_id in (select document_id from documents_to_build)

),

corrections as (

    select * from {{ ref('stg_corrections') }}
    where correction_status = 'applied'
        and document_id in (select document_id from documents_to_build)

),

corrected as (

    select
        coalesce(cells.document_id, corrections.document_id) as document_id,
        coalesce(cells.table_code, corrections.table_code) as table_code,
        coalesce(cells.row_code, corrections.row_code) as row_code,
        coalesce(cells.col_code, corrections.col_code) as col_code,
        coalesce(cells.cell_id, corrections.cell_id) as cell_id,
        case
            when corrections.correction_seq is not null then corrections.corrected_value
            else cells.value
        end as value,
        cells.value as printed_value,
        corrections.correction_seq is not null as is_corrected,
        cells.cell_id is null as is_added_by_correction,
        case when corrections.correction_seq is not null then 'corrected' else cells.basis end as basis,
        cells.basis as extracted_basis,
        corrections.correction_reason,
        corrections.corrected_by,
        corrections.corrected_at,
        corrections.correction_seq,
        coalesce(cells.is_imputed, false) as is_imputed,
        cells.page,
        cells.line,
        cells.raw_text,
        cells.where_json

    from cells
    full outer join corrections
        on cells.document_id = corrections.document_id
            and cells.cell_id = corrections.cell_id

)

select * from corrected
