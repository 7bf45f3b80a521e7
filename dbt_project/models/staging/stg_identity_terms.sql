with

source as (

    select * from {{ source('staging', 'identity_terms') }}

),

renamed as (

    select
        template_version,
        identity_id,
        equation_id,
        side,
        table_code,
        row_code,
        col_code,
        table_code || '/' || row_code || '/' || col_code as cell_id,
        is_optional

    from source

)

select * from renamed
