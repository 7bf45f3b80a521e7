with

source as (

    select * from {{ source('staging', 'gate_failures') }}

),

renamed as (

    select
        document_id,
        identity_id,
        equation_id,
        lhs_value,
        rhs_value,
        difference,
        cells,
        section,
        cause,
        cause_rank,
        message

    from source

)

select * from renamed
