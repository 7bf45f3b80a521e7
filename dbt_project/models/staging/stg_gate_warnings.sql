with

source as (

    select * from {{ source('staging', 'gate_warnings') }}

),

renamed as (

    select
        document_id,
        identity_id,
        equation_id,
        check_id,
        anchor_document_id,
        document_ids,
        report_years,
        relation,
        lhs_value,
        rhs_value,
        difference,
        cells,
        description

    from source

)

select * from renamed
