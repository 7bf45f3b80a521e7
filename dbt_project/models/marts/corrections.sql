-- Every line of the reviewers' corrections file (corrections/corrections.csv, or
-- XXGK_CORRECTIONS), with the report it names, the value printed and the corrected one, why, who
-- and when, whether it applies (correction_status) and the report's gate verdict with it.

with

corrections as (

    select * from {{ ref('stg_corrections') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

gate_results as (

    select * from {{ ref('stg_gate_results') }}

),

listed as (

    select
        corrections.correction_seq,
        corrections.document_ref,
        corrections.document_id,
        documents.body_id,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.source_path,
        corrections.cell_id,
        corrections.table_code,
        corrections.row_code,
        corrections.col_code,
        corrections.printed_value,
        corrections.expected_printed_value,
        corrections.corrected_value,
        corrections.correction_reason,
        corrections.corrected_by,
        corrections.corrected_at,
        corrections.correction_status,
        corrections.correction_message,
        corrections.correction_status = 'applied' as is_applied,
        gate_results.passed_gate,
        corrections.source_file

    from corrections
    left join documents
        on corrections.document_id = documents.document_id
    left join gate_results
        on corrections.document_id = gate_results.document_id

)

select * from listed
