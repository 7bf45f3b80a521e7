-- One row per current report × soft identity equation (S1–S3, template.md §4) whose reports are
-- all loaded: the two sides (after the reviewers' corrections) and their difference. This is
-- what the gate validates as warnings, after it has written its verdicts: an equation anchored
-- on the current report of a body for year y takes each term from the current report of the
-- same body for year y + year_offset (S1: y + 1; S2: y − 1), and applies only when every report
-- involved exists and has one of the equation's template versions (S2 and S3: v2021 only; S1
-- across the v2019 → v2021 boundary). Soft checks never decide whether a report is published.
--
-- "Current" is decided per section, as the facts show it (int_published_sections): an equation
-- of section 三 (S1) reads the version whose section 三 is current, one of section 二 (S2, S3)
-- the version whose section 二 is. A re-publication whose section 三 is held back leaves the
-- earlier version's section 三 published, and S1 compares that one. A body-year with no
-- published version of the section keeps its current report, whose held-back section gives no
-- terms (the check is not made).
--
-- A view on purpose: the current versions depend on the gate's verdicts (int_report_versions).

with

terms as (

    select * from {{ ref('stg_soft_identity_terms') }}

),

versions as (

    select * from {{ ref('int_report_versions') }}
    where is_current

),

documents as (

    select document_id, template_version from {{ ref('int_documents') }}

),

cells as (

    -- only the sections that passed the gate: a held-back section warns about nothing
    select cells.document_id, cells.cell_id, cells.value, cells.is_corrected
    from {{ ref('int_cells_corrected') }} as cells
    inner join {{ ref('int_published_sections') }} as published
        on cells.document_id = published.document_id
            and published.section = case when cells.table_code like 's2.%' then 's2' else cells.table_code end

),

current_sections as (

    select body_id, report_year, section, document_id
    from {{ ref('int_published_sections') }}
    where is_current

),

current_reports as (

    -- per body, year and section: the version whose section is current, else the current report
    select
        coalesce(current_sections.document_id, versions.document_id) as document_id,
        versions.body_id,
        versions.report_year,
        sections.section,
        documents.template_version

    from versions
    cross join (values ('s2'), ('s3')) as sections (section)
    left join current_sections
        on versions.body_id = current_sections.body_id
            and versions.report_year = current_sections.report_year
            and sections.section = current_sections.section
    inner join documents
        on coalesce(current_sections.document_id, versions.document_id) = documents.document_id

),

equations as (

    select
        identity_id,
        equation_id,
        description,
        relation,
        template_versions,
        -- every term of an equation is in one section
        case when min(table_code) like 's2.%' then 's2' else min(table_code) end as section
    from terms
    group by identity_id, equation_id, description, relation, template_versions

),

anchored as (

    select
        current_reports.document_id as anchor_document_id,
        current_reports.body_id,
        current_reports.report_year as anchor_year,
        equations.identity_id,
        equations.equation_id,
        equations.description,
        equations.relation,
        equations.template_versions,
        equations.section

    from current_reports
    inner join equations
        on current_reports.section = equations.section
            and list_contains(equations.template_versions, current_reports.template_version)

),

term_reports as (

    select
        anchored.anchor_document_id,
        anchored.anchor_year,
        anchored.equation_id,
        terms.term_seq,
        terms.side,
        terms.sign,
        terms.cell_id,
        anchored.anchor_year + terms.year_offset as term_year,
        other_reports.document_id as term_document_id,
        coalesce(list_contains(anchored.template_versions, other_reports.template_version), false)
            as is_term_report_usable

    from anchored
    inner join terms
        on anchored.equation_id = terms.equation_id
    left join current_reports as other_reports
        on anchored.body_id = other_reports.body_id
            and anchored.anchor_year + terms.year_offset = other_reports.report_year
            and anchored.section = other_reports.section

),

checkable_equations as (

    -- the equations whose every report is loaded and of the equation's template versions: the
    -- only ones checked.  Most anchors have no report of the next year yet, so these are a few
    -- of term_reports' equations, and only their terms' cells are looked up (at 100 000 reports
    -- the view took 24 s when every anchor's were, 4.5 s so).
    select anchor_document_id, equation_id
    from term_reports
    group by anchor_document_id, equation_id
    having bool_and(is_term_report_usable)

),

checkable_term_reports as (

    select term_reports.*
    from term_reports
    semi join checkable_equations
        on term_reports.anchor_document_id = checkable_equations.anchor_document_id
            and term_reports.equation_id = checkable_equations.equation_id

),

term_values as (

    select
        checkable_term_reports.*,
        cells.value,
        coalesce(cells.is_corrected, false) as is_corrected

    from checkable_term_reports
    left join cells
        on checkable_term_reports.term_document_id = cells.document_id
            and checkable_term_reports.cell_id = cells.cell_id

),

sides as (

    select
        anchor_document_id,
        equation_id,
        cast(coalesce(sum(sign * value) filter (where side = 'lhs'), 0) as decimal(38, 6)) as lhs_value,
        cast(coalesce(sum(sign * value) filter (where side = 'rhs'), 0) as decimal(38, 6)) as rhs_value,
        count(*) as n_terms,
        count(*) filter (where value is null) as n_missing_terms,
        count(*) filter (where is_corrected) as n_corrected_terms,
        string_agg(
            cast(term_year as varchar) || ':' || case when sign < 0 then '−' else '' end || cell_id,
            ',' order by term_seq
        ) as cells

    from term_values
    group by anchor_document_id, equation_id

),

involved_reports as (

    select
        anchor_document_id,
        equation_id,
        string_agg(term_document_id, ',' order by term_year) as document_ids,
        string_agg(cast(term_year as varchar), ',' order by term_year) as report_years

    from (
        select distinct anchor_document_id, equation_id, term_document_id, term_year
        from checkable_term_reports
    ) as checked_term_reports
    group by anchor_document_id, equation_id

),

residuals as (

    select
        anchored.anchor_document_id,
        anchored.body_id,
        anchored.anchor_year,
        anchored.identity_id,
        anchored.equation_id,
        anchored.equation_id || '@' || cast(anchored.anchor_year as varchar) as check_id,
        anchored.description,
        anchored.relation,
        sides.lhs_value,
        sides.rhs_value,
        cast(sides.lhs_value - sides.rhs_value as decimal(38, 6)) as difference,
        sides.n_terms,
        sides.n_missing_terms,
        sides.n_corrected_terms,
        involved_reports.document_ids,
        involved_reports.report_years,
        sides.cells

    from anchored
    inner join sides
        on anchored.anchor_document_id = sides.anchor_document_id
            and anchored.equation_id = sides.equation_id
    inner join involved_reports
        on anchored.anchor_document_id = involved_reports.anchor_document_id
            and anchored.equation_id = involved_reports.equation_id

)

select * from residuals
