with

source as (

    select * from {{ source('staging', 'gate_results') }}

),

renamed as (

    select
        document_id,
        passed as passed_gate,
        checked_at as gate_checked_at

    from source

)

select * from renamed
