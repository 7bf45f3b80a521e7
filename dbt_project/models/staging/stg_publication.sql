with

source as (

    select * from {{ source('staging', 'publication') }}

),

renamed as (

    select
        document_id,
        published_on,
        published_basis,
        published_page,
        published_line,
        published_raw,
        source_url

    from source

)

select * from renamed
