-- Section 三: one row per report × row × applicant type, for the current version of
-- each body's report for a year (int_report_versions); every published version is in
-- fct_applications_history.

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where table_code = 's3'

),

current_reports as (

    -- the current version of each body-year: the latest one that passed the gate
    select document_id from {{ ref('int_report_versions') }}
    where is_current

),

applications as (

    select
        cells.document_id,
        cells.body_id,
        cells.report_year,
        cells.template_version,
        cells.row_code,
        cells.row_label,
        cells.row_label_en,
        cells.row_group,
        cells.row_level,
        cells.is_leaf,
        cells.row_order,
        cells.col_code as applicant_code,
        cells.col_label as applicant_label,
        cells.col_label_en as applicant_label_en,
        cells.col_order as applicant_order,
        cells.value,
        cells.printed_value,
        cells.is_corrected,
        cells.correction_reason,
        cells.is_imputed,
        cells.page,
        cells.line,
        cells.raw_text

    from cells
    inner join current_reports
        on cells.document_id = current_reports.document_id

)

select * from applications
