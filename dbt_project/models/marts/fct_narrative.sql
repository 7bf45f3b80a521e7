-- One row per narrative section of a current published report: 一 总体情况 (s1), 五 存在的主要问题
-- 及改进情况 (s5), 六 其他需要报告的事项 (s6), with the page and lines it was printed on. The copied-text
-- check (C1, report_warnings) compares these texts.

with

narratives as (

    select * from {{ ref('stg_narratives') }}

),

documents as (

    select * from {{ ref('int_documents') }}

),

versions as (

    select * from {{ ref('int_report_versions') }}

),

sections as (

    select
        narratives.document_id,
        documents.body_id,
        documents.body_name,
        documents.org_name as printed_body_name,
        documents.report_year,
        documents.template_version,
        narratives.section,
        narratives.heading,
        narratives.body_text,
        narratives.n_chars,
        narratives.page,
        narratives.line,
        narratives.page_to,
        narratives.line_to

    from narratives
    inner join documents
        on narratives.document_id = documents.document_id
    inner join versions
        on narratives.document_id = versions.document_id
    where versions.is_current and versions.is_published

)

select * from sections
