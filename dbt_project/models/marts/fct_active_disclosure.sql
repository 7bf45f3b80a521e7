-- Section 二 (tables s2.*): one row per report × table × row × measure, for the current version
-- of each body's report for a year (int_report_versions); every published version is in
-- fct_active_disclosure_history.  v2019 and v2021 measures have different codes (template.md
-- §1.3): in particular s2.art20_8 counts fee items in v2019 (items_last_year,
-- items_change_this_year) but is money in v2021 (fee_amount_wan_cny, 万元).  Never add values
-- across measure codes.

with

cells as (

    select * from {{ ref('int_cells_labelled') }}
    where section = 's2'

),

current_reports as (

    -- the current version of each body-year: the latest one that passed the gate
    select document_id from {{ ref('int_report_versions') }}
    where is_current

),

active_disclosure as (

    select
        cells.document_id,
        cells.body_id,
        cells.report_year,
        cells.template_version,
        cells.table_code,
        cells.row_code,
        cells.row_label,
        cells.row_label_en,
        cells.col_code as measure_code,
        cells.col_label as measure_label,
        cells.col_label_en as measure_label_en,
        cells.col_kind as measure_kind,
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

select * from active_disclosure
