with

source as (

    select * from {{ source('staging', 'template_row_groups') }}

),

renamed as (

    select
        row_group,
        row_group_label_en,
        cast(row_group_order as integer) as row_group_order

    from source

)

select * from renamed
