with

source as (

    select * from {{ source('staging', 'template_columns') }}

),

renamed as (

    select
        template_version,
        table_code,
        col_code,
        col_label,
        col_label_en,
        col_kind,
        cast(col_order as integer) as col_order

    from source

)

select * from renamed
