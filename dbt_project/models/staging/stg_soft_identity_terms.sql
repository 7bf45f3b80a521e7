with

source as (

    select * from {{ source('staging', 'soft_identity_terms') }}

),

renamed as (

    select
        identity_id,
        equation_id,
        cast(term_seq as integer) as term_seq,
        description,
        relation,
        string_split(template_versions, ',') as template_versions,
        side,
        cast(sign as integer) as sign,
        cast(year_offset as integer) as year_offset,
        table_code,
        row_code,
        col_code,
        table_code || '/' || row_code || '/' || col_code as cell_id

    from source

)

select * from renamed
