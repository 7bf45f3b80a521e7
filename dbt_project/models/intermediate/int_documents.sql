-- One row per loaded document, with the key of the body that published it.

with

documents as (

    select * from {{ ref('stg_documents') }}

),

keyed as (

    select
        document_id,
        {{ body_key('org_name') }} as body_id,
        org_name,
        {{ normalised_org_name('org_name') }} as org_name_normalised,
        region,
        report_year,
        template_version,
        status,
        source_path,
        source_format,
        n_cells,
        n_problems,
        loaded_at

    from documents

)

select * from keyed
