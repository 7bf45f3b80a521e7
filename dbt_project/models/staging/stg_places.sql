-- The gazetteer's divisions of a body name or a roster code (warehouse/gazetteer.py).

with

source as (

    select * from {{ source('staging', 'places') }}

),

renamed as (

    select
        place_key,
        key_kind,
        province,
        city,
        county,
        admin_code,
        matched_text

    from source

)

select * from renamed
