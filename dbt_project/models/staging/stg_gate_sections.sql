-- The gate's verdict per report × section (s2 二, s3 三, s4 四): published, held_back or absent.

with

source as (

    select * from {{ source('staging', 'gate_sections') }}

),

renamed as (

    select
        document_id,
        section,
        verdict as section_verdict,
        cause as section_cause,
        reason as section_reason,
        n_cells,
        checked_at as gate_checked_at

    from source

)

select * from renamed
