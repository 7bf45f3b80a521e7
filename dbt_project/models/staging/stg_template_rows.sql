with

source as (

    select * from {{ source('staging', 'template_rows') }}

),

renamed as (

    select
        template_version,
        table_code,
        section,
        row_code,
        row_label,
        row_label_en,
        row_group,
        cast(row_level as integer) as row_level,
        is_leaf,
        cast(row_order as integer) as row_order

    from source

)

select * from renamed
