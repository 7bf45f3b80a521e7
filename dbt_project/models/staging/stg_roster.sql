-- The office's roster, each name normalised and stripped as int_body_names compares names.

with

source as (

    select * from {{ source('staging', 'roster') }}

),

renamed as (

    select
        roster_seq,
        body_name as roster_body_name,
        {{ normalised_org_name('body_name') }} as roster_name_normalised,
        body_kind as roster_body_kind,
        parent_name,
        admin_code,
        from_year,
        to_year

    from source

)

select * from renamed
