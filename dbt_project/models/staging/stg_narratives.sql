with

source as (

    select * from {{ source('staging', 'narratives') }}

),

renamed as (

    select
        document_id,
        section,
        heading,
        body_text,
        length(body_text) as n_chars,
        page,
        line,
        coalesce(page_to, page) as page_to,
        line_to

    from source

)

select * from renamed
