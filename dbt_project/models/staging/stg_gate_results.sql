with

source as (

    select * from {{ source('staging', 'gate_results') }}

),

renamed as (

    select
        document_id,
        passed as passed_gate,
        -- at least one section passed: the report is published with those sections
        coalesce(is_publishable, passed) as is_publishable,
        checked_at as gate_checked_at

    from source

)

select * from renamed
