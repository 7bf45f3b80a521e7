with

source as (

    select * from {{ source('staging', 'document_paths') }}

),

renamed as (

    select
        ---------- ids
        document_id,
        source_path,

        ---------- the name alone (the last part of the path)
        regexp_extract(source_path, '[^/\\]+$') as file_name,

        ---------- timestamps
        first_seen_at

    from source

)

select * from renamed
