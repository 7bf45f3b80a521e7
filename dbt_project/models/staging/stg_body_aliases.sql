-- The user-edited body aliases (seed body_aliases), with both names normalised as
-- int_body_names compares them.

with

source as (

    select * from {{ ref('body_aliases') }}

),

renamed as (

    select
        alias,
        {{ normalised_org_name('alias') }} as alias_normalised,
        canonical_name,
        {{ normalised_org_name('canonical_name') }} as canonical_name_normalised,
        note

    from source

)

select * from renamed
