with

source as (

    select * from {{ source('staging', 'cells') }}

),

renamed as (

    select
        ---------- ids
        document_id,
        table_code,
        row_code,
        col_code,
        table_code || '/' || row_code || '/' || col_code as cell_id,

        ---------- value
        value,
        is_imputed,
        -- the evidence the value rests on (xxgk.record.BASES); the gate publishes a section only
        -- when each of its cells has a publishable one
        basis,

        ---------- provenance
        page,
        line,
        raw_text,
        where_json

    from source

)

select * from renamed
