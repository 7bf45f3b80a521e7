-- The reviewers' corrections (warehouse/corrections.py), every line of the file with its status.

with

source as (

    select * from {{ source('staging', 'corrections') }}

),

renamed as (

    select
        correction_seq,
        document_ref,
        document_id,
        cell_id,
        table_code,
        row_code,
        col_code,
        printed_value,
        expected_printed_value,
        corrected_value,
        reason as correction_reason,
        corrected_by,
        corrected_at,
        status as correction_status,
        message as correction_message,
        source_file

    from source

)

select * from renamed
