-- One row per published version × section that passed the gate: what the facts may hold.  A
-- version is published when a section of it passed (int_report_versions); its other sections
-- are held back (dim_report.s2_verdict, s3_verdict, s4_verdict; marts.quarantine says why).
--
-- Which version is current is decided per section: the latest version (int_report_versions'
-- order, version_seq) whose section passed.  A re-publication whose section 三 is held back
-- replaces the earlier report's sections 二 and 四 but not its section 三, which stays current
-- until the new one's passes: a held-back section never takes published numbers away.
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
        versions.body_id,
        versions.report_year,
        versions.version_seq,
        sections.section,
        versions.loaded_at,
        row_number() over (
            partition by versions.body_id, versions.report_year, sections.section
            order by versions.version_seq desc
        ) = 1 as is_current

    from versions
    inner join sections
        on versions.document_id = sections.document_id

)

select * from published
