-- One row per published version × section that passed the gate: what the facts may hold.  A
-- version is published when a section of it passed (int_report_versions); its other sections
-- are held back (dim_report.s2_verdict, s3_verdict, s4_verdict; marts.quarantine says why).
-- A view: the verdicts are written by the gate after the intermediate layer is built.

with

versions as (

    select * from {{ ref('int_report_versions') }}
    where is_published

),

sections as (

    select * from {{ ref('stg_gate_sections') }}
    where section_verdict = 'published'

),

published as (

    select
        versions.document_id,
        sections.section,
        versions.loaded_at,
        versions.is_current

    from versions
    inner join sections
        on versions.document_id = sections.document_id

)

select * from published
