with

source as (

    select * from {{ source('staging', 'reading_changes') }}

),

renamed as (

    select
        ---------- ids
        document_id,
        cast(reading_seq as integer) as reading_seq,
        cast(previous_reading_seq as integer) as previous_reading_seq,
        table_code,
        row_code,
        col_code,
        table_code || '/' || row_code || '/' || col_code as cell_id,

        ---------- the change
        change,
        previous_value,
        value,
        previous_basis,
        basis,
        previous_extractor_version,
        extractor_version,

        ---------- timestamps
        read_at

    from source

)

select * from renamed
