{{ config(**incremental_by_document()) }}

-- Section 二 (tables s2.*): one row per report × table × row × measure, for the current version
-- of each body's report for a year (int_report_versions) whose section 二 passed the gate; a
-- filter of fct_active_disclosure_history (macro current_section_facts).  v2019 and v2021
-- measures have different codes (template.md §1.3): in particular s2.art20_8 counts fee items
-- in v2019 (items_last_year, items_change_this_year) but is money in v2021
-- (fee_amount_wan_cny, 万元, in amount_wan_cny).  Never add values across col codes.

{{ current_section_facts('s2', 'fct_active_disclosure_history', [
    'row_label', 'row_label_en',
    'col_label as measure_label', 'col_label_en as measure_label_en',
]) }}
